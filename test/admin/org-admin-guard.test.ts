import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addSession, sql } from '../people/support.ts';
import request from 'supertest';
import { csv, previewRows } from '../csv/import-support.ts';
import { asPerson, asToken, signIn, tokenWith, type SignedIn } from './support.ts';
import { permissions } from '../../src/directory/permissions.ts';

/**
 * An org admin's account is changed only by an org admin (as a help-desk admin
 * of Okta or Entra cannot touch a super admin): a member granted users.edit,
 * users.disable or users.delete, or a narrowed admin token, gets 403 on an org
 * admin's profile, status, password, second factors and sessions. The member's
 * grants still work on everyone else.
 */
describe('org admins are changed only by org admins', function () {
  this.timeout(60_000);
  let t: TestApp;
  let org: SeededOrg;
  let boss: SignedIn;
  let helpdesk: SignedIn;
  let colleague: SignedIn;
  const all = [...permissions].filter((p) => p !== 'settings.manage');

  before(async () => {
    t = await createTestApp({ config: { auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } } });
    org = await seedOrg(t.container, 'guarded');
    boss = await signIn(t, org, 'boss@guarded.test', { orgRole: 'org_admin' });
    helpdesk = await signIn(t, org, 'helpdesk@guarded.test', { permissions: all });
    colleague = await signIn(t, org, 'colleague@guarded.test');
  });
  after(() => t.close());

  function refused(res: { status: number; body: { error: { code: string; message: string; details?: { reason?: string } } } }, what: string): void {
    assert.equal(res.status, 403, `${what}: ${res.status} ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'forbidden', what);
    assert.equal(res.body.error.details?.reason, 'org_admin_target', what);
    assert.match(res.body.error.message, /org admin/, what);
  }

  it('refuses a member with grants every change to an org admin, and writes nothing', async () => {
    const as = asPerson(t, org, helpdesk);
    const session = await addSession(t, org, boss.userId);
    const before = (await sql(t, 'select count(*)::int as n from audit_events where org_id = ?', [org.id]))[0]!.n;
    refused(await as('patch', `/users/${boss.userId}`, { title: 'Intern' }), 'profile');
    refused(await as('post', `/users/${boss.userId}/disable`), 'disable');
    refused(await as('delete', `/users/${boss.userId}`, { confirmEmail: boss.email }), 'delete');
    refused(await as('post', `/users/${boss.userId}/password-reset`), 'password reset');
    refused(await as('post', `/users/${boss.userId}/mfa/reset`), 'second factors');
    refused(await as('delete', `/sessions/${session}`), 'session');
    const bulk = await as('post', '/users/disable', { ids: [boss.userId, colleague.userId], force: true });
    assert.equal(bulk.status, 200, JSON.stringify(bulk.body));
    const byId = Object.fromEntries(bulk.body.results.map((r: { id: string }) => [r.id, r]));
    assert.deepEqual([byId[boss.userId].done, byId[boss.userId].reason], [false, 'forbidden']);
    assert.equal(byId[colleague.userId].done, true, 'the grant still works on a member');

    const row = (await sql(t, 'select state, title from users where id = ?', [boss.userId]))[0]!;
    assert.deepEqual([row.state, row.title], ['active', null]);
    assert.equal((await sql(t, 'select revoked_at from sessions where id = ?', [session]))[0]!.revoked_at, null);
    const after = (await sql(t, `select count(*)::int as n from audit_events where org_id = ? and target_id = ?`, [org.id, boss.userId]))[0]!.n;
    assert.ok(Number(after) <= Number(before));
    assert.equal((await sql(t, `select count(*)::int as n from audit_events where org_id = ? and target_id = ? and action like 'user.%' and actor_id = ?`, [org.id, boss.userId, helpdesk.userId]))[0]!.n, 0);
    await asPerson(t, org, boss)('post', `/users/${colleague.userId}/reactivate`).expect(200);
  });

  it('refuses a narrowed admin token the same, while a token holding every permission may', async () => {
    const narrow = asToken(t, org, await tokenWith(t, org, ['users.edit', 'users.disable']));
    refused(await narrow('post', `/users/${boss.userId}/disable`), 'narrow token');
    const full = asToken(t, org, org.tokens.admin);
    await full('patch', `/users/${boss.userId}`, { title: 'Chief' }).expect(200);
    await asPerson(t, org, boss)('patch', `/users/${boss.userId}`, { title: 'Chief executive' }).expect(200);
  });

  it('fails the CSV row that would disable an org admin when a member commits it', async () => {
    await signIn(t, org, 'deputy@guarded.test', { orgRole: 'org_admin' });
    const res = await request(t.app).post(`/api/orgs/${org.slug}/imports?mode=upsert`).set('Cookie', helpdesk.cookie).set('X-CSRF-Token', helpdesk.csrf)
      .set('Content-Type', 'text/csv').send(csv('Email,Status', 'boss@guarded.test,disabled'));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const done = await asPerson(t, org, helpdesk)('post', `/imports/${res.body.id}/commit`, { rows: 'all', force: true });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const [row] = await previewRows(t, org, res.body.id);
    assert.deepEqual([row!.outcome, row!.errors.at(-1)?.reason], ['failed', 'forbidden']);
    assert.equal((await sql(t, 'select state from users where id = ?', [boss.userId]))[0]!.state, 'active');
  });
});
