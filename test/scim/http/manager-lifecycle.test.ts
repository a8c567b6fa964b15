import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { ENTERPRISE_SCHEMA as ENT, USER_SCHEMA, createScimTestApp, ids, patchOps, postUser, scimRequest, userRow } from '../../support/scim.ts';

type Json = Record<string, unknown>;

/**
 * A report never shows a deleted person as manager. A soft delete keeps the report's pointer
 * (restorable for 30 days: a restored manager is shown again, as their memberships come back);
 * reads leave the manager out while they are deleted.
 */
describe('SCIM users: a deleted or restored manager', () => {
  let t: TestApp;
  let acme: SeededOrg;

  const managerOf = (body: Json) => (body[ENT] as Json | undefined)?.manager as Json | undefined;
  const get = async (id: unknown) => (await scimRequest(t, acme.tokens.scim, 'get', `/Users/${String(id)}`).expect(200)).body as Json;
  const reportOf = (userName: string, manager: Json) =>
    postUser(t, acme.tokens.scim, userName, { schemas: [USER_SCHEMA, ENT], [ENT]: { department: 'Ops', manager: { value: manager.id } } });
  const remove = (id: unknown) => scimRequest(t, acme.tokens.scim, 'delete', `/Users/${String(id)}`).expect(204);
  const restore = (id: unknown) => request(t.app).post(`/api/orgs/acme/users/${String(id)}/restore`).set('Authorization', `Bearer ${acme.tokens.admin}`).expect(200);
  const filterIds = async (filter: string) => ids(await scimRequest(t, acme.tokens.scim, 'get', `/Users?filter=${encodeURIComponent(filter)}`).expect(200));

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  describe('deleted, then restored', () => {
    let boss: Json;
    let report: Json;

    before(async () => {
      boss = await postUser(t, acme.tokens.scim, 'leaving@acme.test', { displayName: 'Lea Ving' });
      report = await reportOf('left-behind@acme.test', boss);
      await remove(boss.id);
    });

    it('leaves a deleted manager out of GET, lists and filters, keeping the other enterprise attributes', async () => {
      const read = await get(report.id);
      assert.equal(managerOf(read), undefined);
      assert.equal((read[ENT] as Json).department, 'Ops');
      assert.ok(!JSON.stringify(read).includes('Lea Ving'));
      const page = (await scimRequest(t, acme.tokens.scim, 'get', '/Users?count=1000').expect(200)).body.Resources as Json[];
      assert.equal(managerOf(page.find((r) => r.id === report.id)!), undefined);
      assert.deepEqual(await filterIds(`manager.value eq "${String(boss.id)}"`), []);
      assert.deepEqual(await filterIds('manager.displayName eq "Lea Ving"'), []);
      assert.ok(!(await filterIds('manager pr')).includes(String(report.id)));
    });

    it('keeps the pointer: the report’s row still names the manager, and its version did not move', async () => {
      const row = await userRow(t, String(report.id));
      assert.equal(row?.manager_id, boss.id);
      assert.equal(Number(row?.version), Number(((report.meta as Json).version as string).replace(/\D/g, '')));
    });

    it('keeps the pointer through a PATCH of another attribute, and through a PUT or PATCH repeating that manager', async () => {
      const patched = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${String(report.id)}`, patchOps({ op: 'replace', path: 'title', value: 'Stays' })).expect(200);
      assert.equal(patched.body.title, 'Stays');
      assert.equal(managerOf(patched.body), undefined);
      const again = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${String(report.id)}`, patchOps({ op: 'Replace', path: `${ENT}:manager`, value: boss.id }));
      assert.equal(again.status, 200, JSON.stringify(again.body));
      const put = await scimRequest(t, acme.tokens.scim, 'put', `/Users/${String(report.id)}`, {
        schemas: [USER_SCHEMA, ENT], userName: 'left-behind@acme.test', title: 'Stays', [ENT]: { department: 'Ops', manager: { value: boss.id } },
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(managerOf(put.body), undefined);
      assert.equal((await userRow(t, String(report.id)))?.manager_id, boss.id);
    });

    it('shows the manager again once restored, in reads and filters', async () => {
      await restore(boss.id);
      assert.deepEqual(managerOf(await get(report.id)), { value: boss.id, $ref: `https://gatehouse.test/scim/v2/Users/${String(boss.id)}`, displayName: 'Lea Ving' });
      assert.deepEqual(await filterIds(`manager.value eq "${String(boss.id)}"`), [report.id]);
    });
  });

  it('clears a deleted manager for good with a PATCH remove (the IdP dropped them): a restore does not bring them back', async () => {
    const boss = await postUser(t, acme.tokens.scim, 'dropped@acme.test', { displayName: 'Dropped Boss' });
    const report = await reportOf('dropped-report@acme.test', boss);
    await remove(boss.id);
    await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${String(report.id)}`, patchOps({ op: 'Remove', path: `${ENT}:manager` })).expect(200);
    assert.equal((await userRow(t, String(report.id)))?.manager_id, null);
    await restore(boss.id);
    assert.equal(managerOf(await get(report.id)), undefined);
  });

  it('replaces a deleted manager with a live one', async () => {
    const gone = await postUser(t, acme.tokens.scim, 'gone-boss@acme.test');
    const next = await postUser(t, acme.tokens.scim, 'next-boss@acme.test', { displayName: 'Next Boss' });
    const report = await reportOf('moved-report@acme.test', gone);
    await remove(gone.id);
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${String(report.id)}`, patchOps({ op: 'Replace', path: `${ENT}:manager`, value: next.id })).expect(200);
    assert.equal(managerOf(res.body)?.displayName, 'Next Boss');
  });
});
