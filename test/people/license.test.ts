import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { usingPostgres } from '../support/db.ts';
import { assertScimError, patchOps, scimRequest, userBody } from '../support/scim.ts';
import { addUser, api, createPeopleTestApp, setSeatLimit, sql } from './support.ts';

const refusals = async (t: TestApp, org: SeededOrg) =>
  (await sql(t, `select target_id, details from audit_events where org_id = ? and action = 'license.seat_refused' order by id`, [org.id]));

describe('seat licence', () => {
  let t: TestApp;
  let n = 0;
  let org: SeededOrg;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(() => t.close());
  beforeEach(async () => {
    org = await seedOrg(t.container, `lic-${++n}`);
  });

  it('reports seats: active users hold one, pending invitees do not', async () => {
    await addUser(t, org, { userName: 'a' });
    await addUser(t, org, { userName: 'b', state: 'invited', inviteExpiresAt: new Date(Date.now() + 86_400_000) });
    await addUser(t, org, { userName: 'c', state: 'disabled' });
    assert.deepEqual((await api(t, org).get('/license').expect(200)).body, { seatLimit: null, active: 1, remaining: null });
    await setSeatLimit(t, org, 3);
    assert.deepEqual((await api(t, org).get('/license').expect(200)).body, { seatLimit: 3, active: 1, remaining: 2 });
  });

  it('refuses an admin reactivation when no seat is left, audits the refusal, and frees the seat on disable', async () => {
    const a = await addUser(t, org, { userName: 'a' });
    const b = await addUser(t, org, { userName: 'b', state: 'disabled' });
    await setSeatLimit(t, org, 1);
    const res = await api(t, org).post(`/users/${b}/reactivate`).expect(403);
    assert.equal(res.body.error.code, 'limit_exceeded');
    assert.equal(res.body.error.message, 'No seat left: the licence allows 1 active user and 1 is active; disable someone or raise the seat limit');
    assert.equal((await sql(t, 'select state from users where id = ?', [b]))[0]!.state, 'disabled');
    const refused = await refusals(t, org);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.target_id, b);
    await api(t, org).post(`/users/${a}/disable`).expect(200);
    await api(t, org).post(`/users/${b}/reactivate`).expect(200);
  });

  it('reports a refused seat per id in a bulk reactivation', async () => {
    const a = await addUser(t, org, { userName: 'a', state: 'disabled' });
    const b = await addUser(t, org, { userName: 'b', state: 'disabled' });
    await setSeatLimit(t, org, 1);
    const res = await api(t, org).post('/users/reactivate', { ids: [a, b] }).expect(200);
    assert.deepEqual(res.body.results.map((r: { done: boolean; reason?: string }) => [r.done, r.reason]), [[true, undefined], [false, 'limit_exceeded']]);
    assert.equal((await refusals(t, org)).length, 1);
  });

  it('refuses restoring a deleted active user when no seat is left', async () => {
    const a = await addUser(t, org, { userName: 'a' });
    await api(t, org).delete(`/users/${a}`, { confirmEmail: 'a@example.com' }).expect(200);
    await addUser(t, org, { userName: 'b' });
    await setSeatLimit(t, org, 1);
    await api(t, org).post(`/users/${a}/restore`).expect(403);
    assert.equal((await sql(t, 'select state from users where id = ?', [a]))[0]!.state, 'deleted');
    assert.equal((await refusals(t, org)).length, 1);
  });

  it('refuses a SCIM POST /Users with active true as a 403 SCIM error when no seat is left', async () => {
    await setSeatLimit(t, org, 1);
    const first = await scimRequest(t, org.tokens.scim, 'post', '/Users', userBody('first@example.com'));
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const second = await scimRequest(t, org.tokens.scim, 'post', '/Users', userBody('second@example.com'));
    assertScimError(second, 403);
    assert.match(second.body.detail, /seat/i);
    assert.equal((await sql(t, `select count(*)::int as n from users where org_id = ?`, [org.id]))[0]!.n, 1);
    const refused = await refusals(t, org);
    assert.equal(refused.length, 1);
    assert.equal((refused[0]!.details as { via: string }).via, 'create');
    // A user created inactive takes no seat, so it is accepted.
    const inactive = await scimRequest(t, org.tokens.scim, 'post', '/Users', userBody('third@example.com', { active: false }));
    assert.equal(inactive.status, 201);
  });

  it('refuses a SCIM PATCH active true as a 403 SCIM error when no seat is left', async () => {
    await addUser(t, org, { userName: 'holder' });
    const off = await addUser(t, org, { userName: 'off', state: 'disabled', source: 'scim' });
    await setSeatLimit(t, org, 1);
    const res = await scimRequest(t, org.tokens.scim, 'patch', `/Users/${off}`, patchOps({ op: 'replace', path: 'active', value: true }));
    assertScimError(res, 403);
    assert.equal((await sql(t, 'select state from users where id = ?', [off]))[0]!.state, 'disabled');
    assert.equal((await refusals(t, org)).length, 1);
  });

  it('lets SCIM create and reactivate while seats remain under a limit', async () => {
    await setSeatLimit(t, org, 2);
    const created = await scimRequest(t, org.tokens.scim, 'post', '/Users', userBody('x@example.com', { active: false }));
    const res = await scimRequest(t, org.tokens.scim, 'patch', `/Users/${created.body.id}`, patchOps({ op: 'replace', path: 'active', value: true }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.active, true);
    assert.equal((await scimRequest(t, org.tokens.scim, 'post', '/Users', userBody('y@example.com'))).status, 201);
    assertScimError(await scimRequest(t, org.tokens.scim, 'post', '/Users', userBody('z@example.com')), 403);
  });

  it('lets exactly one of two simultaneous activations take the last seat (PostgreSQL)', async function () {
    if (!usingPostgres) this.skip(); // PGlite has one connection: the two activations cannot overlap.
    await addUser(t, org, { userName: 'holder' });
    const a = await addUser(t, org, { userName: 'a', state: 'disabled' });
    await setSeatLimit(t, org, 2);
    const results = await Promise.all([
      api(t, org).post(`/users/${a}/reactivate`),
      scimRequest(t, org.tokens.scim, 'post', '/Users', userBody('racer@example.com')),
    ]);
    const ok = results.filter((r) => r.status === 200 || r.status === 201).length;
    assert.equal(ok, 1, results.map((r) => `${r.status} ${JSON.stringify(r.body)}`).join('\n'));
    assert.equal((await sql(t, `select count(*)::int as n from users where org_id = ? and state = 'active'`, [org.id]))[0]!.n, 2);
    for (let round = 0; round < 5; round++) {
      const racers = await Promise.all(
        [1, 2, 3].map((i) => scimRequest(t, org.tokens.scim, 'post', '/Users', userBody(`race-${round}-${i}@example.com`))),
      );
      assert.ok(racers.every((r) => r.status === 403));
    }
    await setSeatLimit(t, org, 3);
    const racers = await Promise.all([1, 2, 3, 4].map((i) => scimRequest(t, org.tokens.scim, 'post', '/Users', userBody(`last-${i}@example.com`))));
    assert.equal(racers.filter((r) => r.status === 201).length, 1, racers.map((r) => r.status).join(','));
    assert.equal((await sql(t, `select count(*)::int as n from users where org_id = ? and state = 'active'`, [org.id]))[0]!.n, 3);
  });
});
