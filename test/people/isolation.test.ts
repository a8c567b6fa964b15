import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, api, auth, createPeopleTestApp, sql } from './support.ts';

describe('people routes are isolated per org', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let victim: string;
  let disabledVictim: string;
  let deletedVictim: string;

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    victim = await addUser(t, globex, { userName: 'victim' });
    disabledVictim = await addUser(t, globex, { userName: 'victim-off', state: 'disabled' });
    deletedVictim = await addUser(t, globex, { userName: 'victim-gone' });
    await sql(t, `update users set state = 'deleted', deleted_at = now() where id = ?`, [deletedVictim]);
  });
  after(() => t.close());

  const snapshot = async () => sql(t, `select id, state, version, given_name, title from users where org_id = ? order by id`, [globex.id]);
  const settingsOf = async () => (await sql(t, 'select settings, version from organizations where id = ?', [globex.id]))[0];

  const routes = (): Array<[string, 'get' | 'post' | 'patch' | 'delete', string, unknown?]> => [
    ['list', 'get', '/users'],
    ['read', 'get', `/users/${victim}`],
    ['edit', 'patch', `/users/${victim}`, { title: 'pwned' }],
    ['disable', 'post', `/users/${victim}/disable`],
    ['reactivate', 'post', `/users/${disabledVictim}/reactivate`],
    ['delete', 'delete', `/users/${victim}`, { confirmEmail: 'victim@example.com' }],
    ['restore', 'post', `/users/${deletedVictim}/restore`],
    ['bulk disable', 'post', '/users/disable', { ids: [victim] }],
    ['bulk reactivate', 'post', '/users/reactivate', { ids: [disabledVictim] }],
    ['settings', 'get', '/settings'],
    ['settings change', 'patch', '/settings', { seatLimit: 1 }],
    ['licence', 'get', '/license'],
  ];

  for (const [name, method, path, body] of routes()) {
    it(`answers 403 to another org's admin token on ${name} and changes nothing`, async () => {
      const before = [await snapshot(), await settingsOf()];
      let req = request(t.app)[method](`/api/orgs/globex${path}`).set(auth(acme.tokens.admin));
      if (body !== undefined) req = req.send(body as object);
      const res = await req;
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.doesNotMatch(JSON.stringify(res.body), /victim/);
      assert.deepEqual([await snapshot(), await settingsOf()], before);
    });
  }

  for (const [name, method, path, body] of routes().filter(([, , p]) => p.includes('/users/0') || /\/users\/[0-9a-f-]{36}/.test(p))) {
    it(`answers 404 on ${name} of another org's user under one's own org, changing nothing`, async () => {
      const before = await snapshot();
      let req = api(t, acme)[method](path);
      if (body !== undefined) req = req.send(body as object);
      const res = await req;
      assert.equal(res.status, 404, JSON.stringify(res.body));
      assert.deepEqual(await snapshot(), before);
    });
  }

  it("reports another org's ids as not found in a bulk action under one's own org", async () => {
    const res = await api(t, acme).post('/users/disable', { ids: [victim] }).expect(200);
    assert.deepEqual(res.body.results, [{ id: victim, done: false, reason: 'not_found', message: `User "${victim}" not found` }]);
    assert.equal((await sql(t, 'select state from users where id = ?', [victim]))[0]!.state, 'active');
  });
});
