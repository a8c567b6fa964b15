import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { addGroup, addUser, api, createPeopleTestApp, sql } from './support.ts';

type Json = Record<string, unknown>;
const names = (res: { body: { users: Json[] } }) => res.body.users.map((u) => String(u.userName)).sort();

describe('people list', () => {
  const clock = fixedClock(new Date());
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let ids: Record<string, string>;
  let group: string;

  before(async () => {
    t = await createPeopleTestApp(clock);
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    const now = clock.now().getTime();
    ids = {
      ada: await addUser(t, acme, { userName: 'ada', givenName: 'Ada', familyName: 'Lovelace', displayName: 'Ada L' }),
      bob: await addUser(t, acme, { userName: 'bob', email: 'bob@corp.example', givenName: 'Bob', familyName: 'Stone' }),
      pat: await addUser(t, acme, { userName: 'pat', state: 'invited', inviteExpiresAt: new Date(now + 86_400_000) }),
      exp: await addUser(t, acme, { userName: 'exp', state: 'invited', inviteExpiresAt: new Date(now - 86_400_000) }),
      dis: await addUser(t, acme, { userName: 'dis', state: 'disabled' }),
      del: await addUser(t, acme, { userName: 'del' }),
      pct: await addUser(t, acme, { userName: '100%_real', givenName: 'Percent' }),
      plain: await addUser(t, acme, { userName: '100xxreal', givenName: 'Plain' }),
    };
    await sql(t, `update users set state = 'deleted', deleted_at = now() where id = ?`, [ids.del]);
    await addUser(t, globex, { userName: 'ada-at-globex', givenName: 'Ada' });
    group = await addGroup(t, acme, 'Engineering', [ids.ada!, ids.dis!], 'editor');
  });
  after(() => t.close());

  it('lists everyone but deleted users by default, with counts per status', async () => {
    const res = await api(t, acme).get('/users').expect(200);
    assert.deepEqual(names(res), ['100%_real', '100xxreal', 'ada', 'bob', 'dis', 'exp', 'pat']);
    assert.deepEqual(res.body.counts, { active: 4, pending: 1, expired: 1, disabled: 1, deleted: 1, enabled: 6 });
    assert.equal(res.body.nextCursor, null);
  });

  const filters: Array<[string, string[]]> = [
    ['active', ['100%_real', '100xxreal', 'ada', 'bob']],
    ['pending', ['pat']],
    ['expired', ['exp']],
    ['disabled', ['dis']],
    ['deleted', ['del']],
    ['enabled', ['100%_real', '100xxreal', 'ada', 'bob', 'exp', 'pat']],
  ];
  for (const [status, expected] of filters) {
    it(`filters by status=${status} while the counts still cover every status`, async () => {
      const res = await api(t, acme).get(`/users?status=${status}`).expect(200);
      assert.deepEqual(names(res), expected);
      assert.equal(res.body.counts.enabled, 6);
      for (const user of res.body.users) if (status !== 'enabled') assert.equal(user.status, status);
    });
  }

  it('moves a pending invitee to expired when the clock passes the expiry', async () => {
    clock.advance(2 * 86_400_000);
    try {
      const res = await api(t, acme).get('/users?status=expired').expect(200);
      assert.deepEqual(names(res), ['exp', 'pat']);
      assert.equal(res.body.counts.pending, 0);
    } finally {
      clock.advance(-2 * 86_400_000);
    }
  });

  it('searches userName, email, displayName and names case-insensitively', async () => {
    assert.deepEqual(names(await api(t, acme).get('/users?q=LOVELACE').expect(200)), ['ada']);
    assert.deepEqual(names(await api(t, acme).get('/users?q=corp.EXAMPLE').expect(200)), ['bob']);
    assert.deepEqual(names(await api(t, acme).get('/users?q=ada%20l').expect(200)), ['ada']);
    assert.deepEqual(names(await api(t, acme).get('/users?q=bob%20stone').expect(200)), ['bob']);
  });

  it('treats % and _ in the search as literal characters, not wildcards', async () => {
    assert.deepEqual(names(await api(t, acme).get(`/users?q=${encodeURIComponent('100%')}`).expect(200)), ['100%_real']);
    assert.deepEqual(names(await api(t, acme).get(`/users?q=${encodeURIComponent('%_')}`).expect(200)), ['100%_real']);
    assert.deepEqual(names(await api(t, acme).get(`/users?q=${encodeURIComponent('0_x')}`).expect(200)), []);
    assert.deepEqual(names(await api(t, acme).get(`/users?q=${encodeURIComponent('!')}`).expect(200)), []);
  });

  it('honours q and group in the counts', async () => {
    const res = await api(t, acme).get(`/users?q=ada`).expect(200);
    assert.deepEqual(res.body.counts, { active: 1, pending: 0, expired: 0, disabled: 0, deleted: 0, enabled: 1 });
    const byGroup = await api(t, acme).get(`/users?group=${group}`).expect(200);
    assert.deepEqual(names(byGroup), ['ada', 'dis']);
    assert.equal(byGroup.body.counts.disabled, 1);
    assert.equal(byGroup.body.counts.active, 1);
  });

  it('shows each user with their groups and role, and no internal fields', async () => {
    const res = await api(t, acme).get(`/users/${ids.ada}`).expect(200);
    assert.deepEqual(res.body.groups, [{ id: group, displayName: 'Engineering', role: 'editor' }]);
    assert.equal(res.body.status, 'active');
    assert.equal(res.body.email, 'ada@example.com');
    // emails is shown (read-only, as the change feed's resource has it); the raw SCIM attributes are not.
    assert.deepEqual(res.body.emails, [{ value: 'ada@example.com', type: 'work', primary: true }]);
    for (const hidden of ['version', 'orgId', 'scimAttributes', 'org', 'state', 'inviteExpiresAt']) assert.equal(res.body[hidden], undefined, hidden);
  });

  it('pages by cursor without repeating or skipping anyone', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const res: { body: { users: Json[]; nextCursor: string | null } } = await api(t, acme).get(`/users?limit=3${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      seen.push(...res.body.users.map((u) => String(u.userName)));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);
  });

  it('refuses a bad status, limit, group or cursor naming the parameter', async () => {
    for (const [query, field] of [['status=gone', 'status'], ['limit=0', 'limit'], ['group=nope', 'group'], ['cursor=zzz', 'cursor'], ['colour=red', 'colour']]) {
      const res = await api(t, acme).get(`/users?${query}`).expect(400);
      assert.ok(res.body.error.details.problems.some((p: { field: string }) => p.field === field), `${query}: ${JSON.stringify(res.body)}`);
    }
  });

  it('lists only the users an ids filter names, with the status filter as usual (deleted ones with status=deleted)', async () => {
    assert.deepEqual(names(await api(t, acme).get(`/users?ids=${ids.ada},${ids.del},${ids.dis}`).expect(200)), ['ada', 'dis']);
    const deleted = await api(t, acme).get(`/users?status=deleted&ids=${ids.ada},${ids.del}`).expect(200);
    assert.deepEqual(names(deleted), ['del']);
    assert.deepEqual(deleted.body.counts, { active: 1, pending: 0, expired: 0, disabled: 0, deleted: 1, enabled: 1 });
  });

  it('refuses an ids filter naming something that is not a user id, or more ids than a page holds, naming ids', async () => {
    const tooMany = Array.from({ length: 201 }, () => ids.ada).join(',');
    for (const query of [`ids=${ids.ada},nope`, `ids=${tooMany}`]) {
      const res = await api(t, acme).get(`/users?${query}`).expect(400);
      assert.ok(res.body.error.details.problems.some((p: { field: string }) => p.field === 'ids'), `${query.slice(0, 60)}: ${JSON.stringify(res.body)}`);
    }
  });

  it("never lists another org's users, even by its group id", async () => {
    const res = await api(t, globex).get('/users?q=ada').expect(200);
    assert.deepEqual(names(res), ['ada-at-globex']);
    const viaGroup = await api(t, globex).get(`/users?group=${group}`).expect(200);
    assert.deepEqual(viaGroup.body.users, []);
    const viaIds = await api(t, globex).get(`/users?status=deleted&ids=${ids.del},${ids.ada}`).expect(200);
    assert.deepEqual(viaIds.body.users, []);
  });
});
