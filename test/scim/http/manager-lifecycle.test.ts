import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { ENTERPRISE_SCHEMA as ENT, USER_SCHEMA, createScimTestApp, ids, patchOps, postUser, scimRequest, sql, userRow } from '../../support/scim.ts';

type Json = Record<string, unknown>;

const DAY_MS = 86_400_000;

/**
 * A report never shows a deleted or purged person as manager. A soft delete keeps the report's
 * pointer (restorable for 30 days: a restored manager is shown again, as their memberships come
 * back); reads leave the manager out while they are deleted. The purge clears the pointer, as a
 * profile change by the system: one `user.updated` audit event and feed event per report.
 */
describe('SCIM users: a deleted, restored or purged manager', () => {
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
      // As for a user without a manager: no value, so `ne` and `eq null` hold.
      assert.ok((await filterIds(`manager.value ne "${String(boss.id)}"`)).includes(String(report.id)));
      assert.ok((await filterIds('manager.value eq null')).includes(String(report.id)));
      assert.ok((await filterIds('not (manager.value pr)')).includes(String(report.id)));
    });

    it('keeps the pointer: the report’s row still names the manager, and its version did not move', async () => {
      const row = await userRow(t, String(report.id));
      assert.equal(row?.manager_id, boss.id);
      // meta.version is W/"<version>.<digest of the manager shown>" (etag.ts).
      assert.equal(Number(row?.version), Number(/^W\/"(\d+)\./.exec((report.meta as Json).version as string)?.[1]));
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

  describe('purged', () => {
    let boss: Json;
    let report: Json;
    let deletedReport: Json;
    let bystander: Json;

    before(async () => {
      boss = await postUser(t, acme.tokens.scim, 'purged-boss@acme.test', { displayName: 'Pur Ged' });
      bystander = await postUser(t, acme.tokens.scim, 'bystander-boss@acme.test', { displayName: 'By Stander' });
      report = await reportOf('purged-report@acme.test', boss);
      deletedReport = await reportOf('deleted-report@acme.test', boss);
      await reportOf('unrelated-report@acme.test', bystander);
      await remove(deletedReport.id);
      await remove(boss.id);
      await t.container.events.publishAll();
      const purgedAt = new Date(Date.now() + 31 * DAY_MS);
      await t.container.purge.runOnce(purgedAt);
      await t.container.events.publishAll();
    });

    it('clears the pointer of every report, bumping its version', async () => {
      const row = await userRow(t, String(report.id));
      assert.equal(row?.manager_id, null);
      assert.equal(row?.department, 'Ops', 'nothing else changes');
      assert.equal(Number(row?.version), 2);
      assert.equal(managerOf(await get(report.id)), undefined);
      const bystanderReport = (await sql(t, 'select manager_id from users where manager_id = ?', [bystander.id]));
      assert.equal(bystanderReport.length, 1, 'another manager’s reports keep theirs');
    });

    it('records the change as a profile change by the system: one user.updated audit event naming managerId', async () => {
      const events = await sql(t, `select action, actor_type, details from audit_events where target_id = ? order by id`, [report.id]);
      const last = events.at(-1)!;
      assert.equal(last.action, 'user.updated');
      assert.equal(last.actor_type, 'system');
      const details = (typeof last.details === 'string' ? JSON.parse(last.details) : last.details) as Json;
      assert.deepEqual(details.changes, { managerId: { from: boss.id, to: null } });
      assert.equal(details.reason, 'manager_purged');
      assert.equal(events.filter((e) => e.action === 'user.updated').length, 1);
    });

    it('announces it in the feed as user.updated, and leaves the purged manager’s name in no earlier event', async () => {
      const feed = (await request(t.app).get('/api/orgs/acme/events?limit=1000').set('Authorization', `Bearer ${acme.tokens.admin}`).expect(200)).body.events as Json[];
      const about = feed.filter((e) => (e.resource as Json | undefined)?.id === report.id);
      const last = about.at(-1)!;
      assert.equal(last.type, 'user.updated');
      assert.equal(last.source, 'system');
      assert.deepEqual((last.data as Json).changes, { managerId: { before: boss.id, after: null } });
      assert.equal((last.resource as Json).managerId, null);
      assert.equal((last.resource as Json).manager, null);
      const created = about.find((e) => e.type === 'user.created')!;
      assert.deepEqual((created.resource as Json).manager, { id: boss.id, displayName: null }, 'the earlier event keeps the id, not the name');
      assert.ok(!JSON.stringify(feed).includes('Pur Ged'), 'the purged manager’s name left the feed');
      assert.ok(JSON.stringify(feed).includes('By Stander'), 'another manager’s name stays');
    });
  });
});
