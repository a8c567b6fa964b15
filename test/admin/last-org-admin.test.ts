import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, api, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from '../csv/import-support.ts';
import { patchOps, postUser, scimRequest } from '../support/scim.ts';
import { setUserAccess } from '../../src/directory/org-admins.ts';
import { testActor } from '../support/app.ts';
import { asPerson, signIn, type SignedIn } from './support.ts';

/** Issue 7: the last enabled org admin of an org cannot be disabled, deleted or demoted, by any door. */
describe('the last org admin', function () {
  this.timeout(120_000);
  let t: TestApp;
  let org: SeededOrg;
  let admin: SignedIn;
  let n = 0;

  before(async () => {
    t = await createTestApp({ config: { scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } } });
  });
  after(() => t.close());

  beforeEach(async () => {
    org = await seedOrg(t.container, `org-${++n}`);
    admin = await signIn(t, org, `admin@${org.slug}.test`, { orgRole: 'org_admin' });
  });

  const state = async (id: string) => (await sql(t, 'select state, org_role from users where id = ?', [id]))[0]!;
  const makeAdmin = (id: string) => setUserAccess(t.container.fork(), { orgId: org.id, orgSlug: org.slug, actor: testActor }, id, { orgRole: 'org_admin' });

  function assertLastAdmin(res: { status: number; body: { error: { code: string } } }): void {
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'last_org_admin');
  }

  it('refuses to disable them with 409 last_org_admin, even at their own request, and writes nothing', async () => {
    assertLastAdmin(await api(t, org).post(`/users/${admin.userId}/disable`));
    assertLastAdmin(await asPerson(t, org, admin)('post', `/users/${admin.userId}/disable`));
    assert.equal((await state(admin.userId)).state, 'active');
    assert.equal((await sql(t, `select count(*)::int as n from audit_events where target_id = ? and action = 'user.disabled'`, [admin.userId]))[0]!.n, 0);
  });

  it('refuses to delete them', async () => {
    assertLastAdmin(await api(t, org).delete(`/users/${admin.userId}`, { confirmEmail: admin.email }));
    assert.equal((await state(admin.userId)).state, 'active');
  });

  it('refuses to demote them', async () => {
    assertLastAdmin(await asPerson(t, org, admin)('put', `/users/${admin.userId}/access`, { orgRole: 'member' }));
    assert.equal((await state(admin.userId)).org_role, 'org_admin');
  });

  it('reports them as refused in a bulk disable and disables the others', async () => {
    const other = await addUser(t, org, { userName: `other@${org.slug}.test` });
    const res = await api(t, org).post('/users/disable', { ids: [admin.userId, other], force: true }).expect(200);
    assert.deepEqual(res.body.results.map((r: { done: boolean; reason?: string }) => [r.done, r.reason ?? null]), [[false, 'last_org_admin'], [true, null]]);
    assert.equal((await state(admin.userId)).state, 'active');
    assert.equal((await state(other)).state, 'disabled');
  });

  it('flags their row of a CSV disable import at preview and applies the rest', async () => {
    const other = await addUser(t, org, { userName: `leaver@${org.slug}.test` });
    const res = await upload(t, org, csv('Email', admin.email, `leaver@${org.slug}.test`), { mode: 'disable' }).expect(201);
    const mine = () => previewRows(t, org, res.body.id).then((rows) => rows.find((r) => r.userId === admin.userId)!);
    assert.deepEqual([(await mine()).action, (await mine()).errors.map((e: { reason: string }) => e.reason)], ['skip', ['last_org_admin']]);
    await commit(t, org, res.body.id, { rows: 'all', force: true }).expect(200);
    assert.equal((await mine()).outcome, null, 'never attempted');
    assert.equal((await state(admin.userId)).state, 'active');
    assert.equal((await state(other)).state, 'disabled');
  });

  it('fails their row of a CSV disable import at commit when they became the last org admin since the preview', async () => {
    const deputy = await addUser(t, org, { userName: `deputy@${org.slug}.test` });
    await makeAdmin(deputy);
    const res = await upload(t, org, csv('Email', admin.email), { mode: 'disable' }).expect(201);
    assert.deepEqual((await previewRows(t, org, res.body.id)).map((r) => r.action), ['disable']);
    await api(t, org).post(`/users/${deputy}/disable`).expect(200);
    await commit(t, org, res.body.id, { rows: 'all', force: true }).expect(200);
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual([row!.outcome, row!.errors.at(-1).reason], ['failed', 'last_org_admin']);
    assert.equal((await state(admin.userId)).state, 'active');
  });

  it('refuses SCIM active:false and DELETE for an IdP-managed last org admin with 409', async () => {
    const created = await postUser(t, org.tokens.scim, `idp-admin@${org.slug}.test`);
    await makeAdmin(String(created.id));
    await api(t, org).post(`/users/${admin.userId}/disable`).expect(200);
    const patched = await scimRequest(t, org.tokens.scim, 'patch', `/Users/${created.id}`, patchOps({ op: 'replace', path: 'active', value: false }));
    assert.equal(patched.status, 409, JSON.stringify(patched.body));
    assert.equal(patched.body.status, '409');
    assert.equal((await scimRequest(t, org.tokens.scim, 'delete', `/Users/${created.id}`)).status, 409);
    assert.equal((await state(String(created.id))).state, 'active');
  });

  it('allows all of it while another enabled org admin remains, but not for that one afterwards', async () => {
    const second = await signIn(t, org, `second@${org.slug}.test`, { orgRole: 'org_admin' });
    await asPerson(t, org, second)('put', `/users/${admin.userId}/access`, { orgRole: 'member' }).expect(200);
    assert.equal((await state(admin.userId)).org_role, 'member');
    assertLastAdmin(await api(t, org).post(`/users/${second.userId}/disable`));
    await makeAdmin(admin.userId);
    await api(t, org).post(`/users/${second.userId}/disable`).expect(200);
    await api(t, org).delete(`/users/${second.userId}`, { confirmEmail: second.email }).expect(200);
  });

  it('does not count a disabled org admin as one who remains', async () => {
    const second = await signIn(t, org, `second@${org.slug}.test`, { orgRole: 'org_admin' });
    await api(t, org).post(`/users/${second.userId}/disable`).expect(200);
    assertLastAdmin(await api(t, org).post(`/users/${admin.userId}/disable`));
  });

  it('leaves an org without any org admin (managed by tokens) free to disable and delete', async () => {
    const tokenOnly = await seedOrg(t.container, `tokens-${n}`);
    const member = await addUser(t, tokenOnly, { userName: `m@tokens-${n}.test` });
    await api(t, tokenOnly).post(`/users/${member}/disable`).expect(200);
    await api(t, tokenOnly).delete(`/users/${member}`, { confirmEmail: `m@tokens-${n}.test` }).expect(200);
  });

  it('lets only one of two admins disabling each other at once succeed', async () => {
    const second = await signIn(t, org, `second@${org.slug}.test`, { orgRole: 'org_admin' });
    const results = await Promise.all([
      api(t, org).post(`/users/${admin.userId}/disable`),
      api(t, org).post(`/users/${second.userId}/disable`),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    const enabled = await sql(t, `select count(*)::int as n from users where org_id = ? and org_role = 'org_admin' and state = 'active'`, [org.id]);
    assert.equal(enabled[0]!.n, 1);
  });
});
