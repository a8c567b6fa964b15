import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { ENTERPRISE_SCHEMA as ENT, USER_SCHEMA, assertScimError, createScimTestApp, patchOps, postUser, scimRequest, sql, userBody, userRow } from '../../support/scim.ts';

type Json = Record<string, unknown>;

const MANAGER_VALUE = `${ENT}:manager.value`;

/**
 * The enterprise `manager` (RFC 7643 §4.3) is "the id of the SCIM resource
 * representing the User's manager": Entra sends the id Gatehouse returned for
 * the manager (it provisions the manager first), as a plain string, an object
 * or a one-element list. A value naming no user of the org is refused.
 */
describe('SCIM users: the enterprise manager names a user of the org', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let boss: Json;
  let otherBoss: Json;
  let outsider: Json;
  let gone: Json;

  const managerOf = (body: Json) => ((body[ENT] as Json | undefined)?.manager as Json | undefined)?.value;
  const auditCount = async (id: string) => Number((await sql(t, 'select count(*)::int as n from audit_events where target_id = ?', [id]))[0]!.n);
  const withManager = (userName: string, manager: unknown) => userBody(userName, { schemas: [USER_SCHEMA, ENT], [ENT]: { department: 'Ops', manager } });

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    boss = await postUser(t, acme.tokens.scim, 'boss@acme.test');
    otherBoss = await postUser(t, acme.tokens.scim, 'other-boss@acme.test');
    outsider = await postUser(t, globex.tokens.scim, 'boss@globex.test');
    gone = await postUser(t, acme.tokens.scim, 'gone@acme.test');
    await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${gone.id}`).expect(204);
  });
  after(() => t.close());

  describe('POST', () => {
    it('stores a manager who is a user of the org', async () => {
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', withManager('report1@acme.test', { value: boss.id })).expect(201);
      assert.equal(managerOf(res.body), boss.id);
      assert.equal((await userRow(t, String(res.body.id)))?.manager_id, boss.id);
    });

    for (const [name, value] of [
      ['a user of another org', () => outsider.id],
      ['a deleted user', () => gone.id],
      ['no user at all (a random id)', () => randomUUID()],
      ['something that is not an id', () => 'CN=Boss,OU=People'],
    ] as const) {
      it(`refuses a manager naming ${name} with 400 invalidValue naming manager.value, and creates nobody`, async () => {
        const userName = `refused-${randomUUID().slice(0, 8)}@acme.test`;
        const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', withManager(userName, value()));
        assertScimError(res, 400, 'invalidValue');
        assert.ok(res.body.detail.startsWith(`${MANAGER_VALUE}: `), res.body.detail);
        assert.equal((await sql(t, 'select id from users where lower(user_name) = ?', [userName])).length, 0);
      });
    }

    it('answers a manager of another org exactly as an id nobody has: nothing tells the org it exists', async () => {
      const cross = await scimRequest(t, acme.tokens.scim, 'post', '/Users', withManager('cross@acme.test', outsider.id));
      const random = await scimRequest(t, acme.tokens.scim, 'post', '/Users', withManager('cross@acme.test', randomUUID()));
      assertScimError(cross, 400, 'invalidValue');
      assert.equal(cross.body.detail, random.body.detail.replace(/"[0-9a-f-]{36}"/, `"${outsider.id}"`));
    });

    it('takes an empty manager value as no manager', async () => {
      const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', withManager('no-boss@acme.test', { value: '' })).expect(201);
      assert.equal(managerOf(res.body), undefined);
      assert.equal((await userRow(t, String(res.body.id)))?.manager_id, null);
    });
  });

  describe('PUT', () => {
    it('refuses a manager of another org with 400 and leaves the user as it was', async () => {
      const user = await postUser(t, acme.tokens.scim, 'put-report@acme.test', { schemas: [USER_SCHEMA, ENT], [ENT]: { manager: { value: boss.id } } });
      const before = await userRow(t, String(user.id));
      const res = await scimRequest(t, acme.tokens.scim, 'put', `/Users/${user.id}`, withManager('put-report@acme.test', { value: outsider.id }));
      assertScimError(res, 400, 'invalidValue');
      assert.match(res.body.detail, new RegExp(`^${MANAGER_VALUE}: `));
      const after = await userRow(t, String(user.id));
      assert.equal(after?.manager_id, boss.id);
      assert.equal(after?.version, before?.version);
      assert.equal(after?.department, null);
    });

    it('keeps a user whose manager was deleted since: a PUT repeating that manager still applies its other changes', async () => {
      const leaving = await postUser(t, acme.tokens.scim, 'leaving-boss@acme.test');
      const user = await postUser(t, acme.tokens.scim, 'loyal@acme.test', { schemas: [USER_SCHEMA, ENT], [ENT]: { manager: { value: leaving.id } } });
      await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${leaving.id}`).expect(204);
      const res = await scimRequest(t, acme.tokens.scim, 'put', `/Users/${user.id}`, withManager('loyal@acme.test', { value: leaving.id })).expect(200);
      assert.equal((res.body[ENT] as Json).department, 'Ops');
      // Kept for a restore, shown as none while deleted (manager-lifecycle.test.ts).
      assert.equal(managerOf(res.body), undefined);
      assert.equal((await userRow(t, String(user.id)))?.manager_id, leaving.id);
    });

    it('clears the manager with an empty value', async () => {
      const user = await postUser(t, acme.tokens.scim, 'put-clear@acme.test', { schemas: [USER_SCHEMA, ENT], [ENT]: { manager: { value: boss.id } } });
      const res = await scimRequest(t, acme.tokens.scim, 'put', `/Users/${user.id}`, withManager('put-clear@acme.test', '')).expect(200);
      assert.equal(managerOf(res.body), undefined);
      assert.equal((await userRow(t, String(user.id)))?.manager_id, null);
    });
  });

  describe('PATCH (Entra)', () => {
    let report: Json;
    before(async () => {
      report = await postUser(t, acme.tokens.scim, 'patch-report@acme.test');
    });
    const patch = (...ops: Json[]) => scimRequest(t, acme.tokens.scim, 'patch', `/Users/${report.id}`, patchOps(...ops));

    it('sets the manager from a plain id string on the URN path', async () => {
      const res = await patch({ op: 'Add', path: `${ENT}:manager`, value: boss.id }).expect(200);
      assert.equal(managerOf(res.body), boss.id);
    });

    it("sets the manager from Entra's documented one-element list [{$ref, value}] on path manager", async () => {
      const res = await patch({ op: 'Add', path: 'manager', value: [{ $ref: `https://gatehouse.test/scim/v2/Users/${otherBoss.id}`, value: otherBoss.id }] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(managerOf(res.body), otherBoss.id);
    });

    it('sets the manager from an object on manager.value and inside a path-less extension value', async () => {
      assert.equal(managerOf((await patch({ op: 'Replace', path: MANAGER_VALUE, value: boss.id }).expect(200)).body), boss.id);
      assert.equal(managerOf((await patch({ op: 'Replace', value: { [ENT]: { manager: { value: otherBoss.id } } } }).expect(200)).body), otherBoss.id);
    });

    for (const [name, op] of [
      ['a plain id of another org', () => ({ op: 'Replace', path: `${ENT}:manager`, value: outsider.id })],
      ['an object naming a deleted user', () => ({ op: 'Replace', path: `${ENT}:manager`, value: { value: gone.id } })],
      ['manager.value naming nobody', () => ({ op: 'Replace', path: MANAGER_VALUE, value: randomUUID() })],
      ['a path-less extension value naming garbage', () => ({ op: 'Replace', value: { [ENT]: { manager: 'not-an-id' } } })],
    ] as const) {
      it(`refuses ${name} with 400 invalidValue naming manager.value, writing nothing`, async () => {
        const before = await userRow(t, String(report.id));
        const events = await auditCount(String(report.id));
        const res = await patch({ op: 'Replace', path: 'title', value: 'Lead' }, op());
        assertScimError(res, 400, 'invalidValue');
        assert.match(res.body.detail, new RegExp(`^${MANAGER_VALUE}: `));
        const after = await userRow(t, String(report.id));
        assert.equal(after?.version, before?.version);
        assert.equal(after?.manager_id, before?.manager_id);
        assert.equal(after?.title, before?.title);
        assert.equal(await auditCount(String(report.id)), events);
      });
    }

    it('refuses the user as their own manager with 400 invalidValue naming manager.value, writing nothing', async () => {
      const before = await userRow(t, String(report.id));
      const res = await patch({ op: 'Replace', path: `${ENT}:manager`, value: report.id });
      assertScimError(res, 400, 'invalidValue');
      assert.match(res.body.detail, new RegExp(`^${MANAGER_VALUE}: .*is this user`));
      assert.equal((await userRow(t, String(report.id)))?.version, before?.version);
    });

    it('accepts a manager who closes a loop (A → B → A, A → B → C → A): the IdP is the source of truth and pushes managers in any order', async () => {
      const a = await postUser(t, acme.tokens.scim, 'loop-a@acme.test');
      const b = await scimRequest(t, acme.tokens.scim, 'post', '/Users', withManager('loop-b@acme.test', { value: a.id })).expect(201);
      const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${a.id}`, patchOps({ op: 'Add', path: `${ENT}:manager`, value: b.body.id })).expect(200);
      assert.equal(managerOf(res.body), b.body.id);
      const c = await scimRequest(t, acme.tokens.scim, 'post', '/Users', withManager('loop-c@acme.test', { value: a.id })).expect(201);
      await scimRequest(t, acme.tokens.scim, 'put', `/Users/${b.body.id}`, withManager('loop-b@acme.test', { value: c.body.id })).expect(200);
      const rows = await sql(t, 'select user_name, manager_id from users where id = any(?::uuid[]) order by user_name', [`{${String(a.id)},${String(b.body.id)},${String(c.body.id)}}`]);
      assert.deepEqual(rows.map((r) => r.manager_id), [b.body.id, c.body.id, a.id]);
    });

    for (const [name, op] of [
      ['an empty string', { op: 'Replace', path: `${ENT}:manager`, value: '' }],
      ['an object with an empty value', { op: 'Replace', path: `${ENT}:manager`, value: { value: '' } }],
      ['an empty manager.value', { op: 'Replace', path: MANAGER_VALUE, value: '' }],
      ['a Remove of the path', { op: 'Remove', path: `${ENT}:manager` }],
    ] as const) {
      it(`clears the manager with ${name}`, async () => {
        await patch({ op: 'Replace', path: `${ENT}:manager`, value: boss.id }).expect(200);
        const res = await patch(op).expect(200);
        assert.equal(managerOf(res.body), undefined);
        assert.equal((await userRow(t, String(report.id)))?.manager_id, null);
      });
    }
  });
});
