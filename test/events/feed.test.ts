import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { createScimTestApp, patchOps, postGroup, postUser, scimRequest, sql, userBody } from '../support/scim.ts';
import request from 'supertest';
import { addGroup, addUser, api, auth } from '../people/support.ts';
import { commit, csv, upload } from '../csv/import-support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/** Publishes what is committed, then reads the whole feed of an org from `after`. */
async function feed(t: TestApp, org: SeededOrg, after = '0', limit = 1000): Promise<{ events: Json[]; cursor: string; hasMore: boolean }> {
  await t.container.events.publishAll();
  const res = await api(t, org).get(`/events?after=${after}&limit=${limit}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

describe('events: the change feed', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
  });
  after(() => t.close());

  it('writes user.created with the user as the admin API renders it, source scim, actor the SCIM token', async () => {
    const start = (await feed(t, acme)).cursor;
    const user = await postUser(t, acme.tokens.scim, 'ann@acme.test');
    const { events } = await feed(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.created']);
    const event = events[0]!;
    assert.equal(event.source, 'scim');
    assert.equal(event.actor.type, 'scim_token');
    assert.equal(event.org.slug, 'acme');
    assert.equal(event.resource.id, user.id);
    assert.equal(event.resource.userName, 'ann@acme.test');
    assert.equal(event.resource.status, 'active');
    assert.equal(event.resource.email, 'ann@acme.test');
    assert.match(event.occurredAt, /^\d{4}-\d\d-\d\dT/);
    assert.match(event.id, /^[0-9a-f-]{36}$/);
  });

  it('writes user.updated with each changed field before and after', async () => {
    const user = await postUser(t, acme.tokens.scim, 'bob@acme.test');
    const start = (await feed(t, acme)).cursor;
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${user.id}`, patchOps({ op: 'replace', path: 'title', value: 'CFO' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { events } = await feed(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.updated']);
    assert.deepEqual(events[0]!.data.changes, { title: { before: null, after: 'CFO' } });
    assert.equal(events[0]!.resource.title, 'CFO');
  });

  it('writes user.disabled, user.reactivated, user.deleted and user.restored through the one lifecycle', async () => {
    const user = await postUser(t, acme.tokens.scim, 'cy@acme.test');
    const start = (await feed(t, acme)).cursor;
    assert.equal((await api(t, acme).post(`/users/${user.id}/disable`)).status, 200);
    assert.equal((await api(t, acme).post(`/users/${user.id}/reactivate`)).status, 200);
    assert.equal((await api(t, acme).delete(`/users/${user.id}`, { confirmEmail: 'cy@acme.test' })).status, 200);
    assert.equal((await api(t, acme).post(`/users/${user.id}/restore`)).status, 200);
    const { events } = await feed(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['user.disabled', 'user.reactivated', 'user.deleted', 'user.restored']);
    assert.deepEqual(events.map((e) => e.resource.status), ['disabled', 'active', 'deleted', 'active']);
    assert.equal(events[3]!.data.restoredTo, 'active');
    assert.ok(events.every((e) => e.source === 'admin' && e.actor.type === 'admin_token'));
  });

  it('writes group.created and one membership.added per member, then membership.removed', async () => {
    const dee = await postUser(t, acme.tokens.scim, 'dee@acme.test');
    const start = (await feed(t, acme)).cursor;
    const group = await postGroup(t, acme.tokens.scim, 'Finance', [String(dee.id)]);
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps({ op: 'remove', path: `members[value eq "${dee.id}"]` }));
    assert.ok(res.status === 200 || res.status === 204, JSON.stringify(res.body));
    const { events } = await feed(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['group.created', 'membership.added', 'membership.removed']);
    assert.equal(events[0]!.resource.displayName, 'Finance');
    assert.equal(events[1]!.resource.group.id, group.id);
    assert.equal(events[1]!.resource.user.id, dee.id);
    assert.equal(events[1]!.resource.role, 'viewer');
  });

  it('writes a membership.removed per member, then group.deleted, when the IdP deletes a group with members (as a forced admin delete)', async () => {
    const gil = await postUser(t, acme.tokens.scim, 'gil@acme.test');
    const hal = await postUser(t, acme.tokens.scim, 'hal@acme.test');
    const group = await postGroup(t, acme.tokens.scim, 'Doomed', [String(gil.id), String(hal.id)]);
    const start = (await feed(t, acme)).cursor;
    await scimRequest(t, acme.tokens.scim, 'delete', `/Groups/${group.id}`).expect(204);
    const { events } = await feed(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['membership.removed', 'membership.removed', 'group.deleted']);
    assert.deepEqual(events.slice(0, 2).map((e) => e.resource.user.id).sort(), [gil.id, hal.id].sort());
    for (const removed of events.slice(0, 2)) {
      assert.deepEqual(removed.resource.group, { id: group.id, displayName: 'Doomed' });
      assert.equal(removed.data.reason, 'group_deleted');
      // The person as they now are: without the group.
      assert.deepEqual(removed.resource.user.groups, []);
      assert.equal(removed.source, 'scim');
    }
    assert.equal(events[2]!.resource.id, group.id);
    // Still one audit event for the one SCIM write.
    const audit = await sql(t, `select action, details from audit_events where target_id = ? order by id desc limit 1`, [String(group.id)]);
    assert.equal(audit[0]!.action, 'group.deleted');
    assert.deepEqual([...(audit[0]!.details as { membersRemoved: string[] }).membersRemoved].sort(), [gil.id, hal.id].sort());
  });

  it('writes group.updated with the rename before and after, then membership.added, for one PATCH doing both', async () => {
    const fay = await postUser(t, acme.tokens.scim, 'fay@acme.test');
    const group = await postGroup(t, acme.tokens.scim, 'Legal');
    const start = (await feed(t, acme)).cursor;
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Groups/${group.id}`, patchOps(
      { op: 'replace', path: 'displayName', value: 'Legal & Compliance' },
      { op: 'add', path: 'members', value: [{ value: fay.id }] },
    ));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { events } = await feed(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['group.updated', 'membership.added']);
    assert.deepEqual(events[0]!.data.changes, { displayName: { before: 'Legal', after: 'Legal & Compliance' } });
    assert.equal(events[0]!.resource.memberCount, 1);
    assert.equal(events[0]!.source, 'scim');
    assert.equal(events[1]!.resource.group.displayName, 'Legal & Compliance');
    assert.equal(events[1]!.resource.user.userName, 'fay@acme.test');
  });

  it('writes membership.added and membership.role_changed (before and after) for admin membership changes', async () => {
    const userId = await addUser(t, acme, { userName: 'eve@acme.test' });
    const groupId = await addGroup(t, acme, 'Support', []);
    const start = (await feed(t, acme)).cursor;
    const added = await api(t, acme).post(`/groups/${groupId}/members`, { members: [{ userId, role: 'viewer' }] });
    assert.ok(added.status < 300, JSON.stringify(added.body));
    const changed = await request(t.app).put(`/api/orgs/acme/users/${userId}/memberships`).set(auth(acme.tokens.admin)).send({ memberships: [{ groupId, role: 'editor' }] });
    assert.ok(changed.status < 300, JSON.stringify(changed.body));
    const { events } = await feed(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), ['membership.added', 'membership.role_changed']);
    assert.equal(events[0]!.resource.group.displayName, 'Support');
    assert.equal(events[1]!.resource.role, 'editor');
    assert.deepEqual(events[1]!.data.changes, { role: { before: 'viewer', after: 'editor' } });
  });

  it('gives every change a CSV import makes source csv, creations, updates and disables alike', async () => {
    await addUser(t, acme, { userName: 'csv-upd@acme.test', email: 'csv-upd@acme.test' });
    await addUser(t, acme, { userName: 'csv-off@acme.test', email: 'csv-off@acme.test' });
    const start = (await feed(t, acme)).cursor;
    const file = csv('Email,Full Name,Title,Status', 'csv-new@acme.test,New Person,,active', 'csv-upd@acme.test,Upd Person,Chief,active', 'csv-off@acme.test,Off Person,,disabled');
    const preview = await upload(t, acme, file, { mode: 'upsert', noInvite: 'true' });
    assert.equal(preview.status, 201, JSON.stringify(preview.body));
    assert.equal((await commit(t, acme, preview.body.id)).status, 200);
    const { events } = await feed(t, acme, start);
    const userEvents = events.filter((e) => e.type.startsWith('user.'));
    assert.deepEqual([...new Set(userEvents.map((e) => e.type))].sort(), ['user.created', 'user.disabled', 'user.updated']);
    assert.deepEqual(userEvents.filter((e) => e.source !== 'csv').map((e) => `${e.type} ${e.source}`), []);
    assert.ok(userEvents.every((e) => e.actor.type === 'admin_token'), 'the actor stays the admin who committed');
  });

  it('gives a bulk CSV import one user.created per person, then one membership.added per membership, rendered as the single-change path renders them', async () => {
    const crew = await addGroup(t, acme, 'Bulk crew', []);
    const start = (await feed(t, acme)).cursor;
    const rows = Array.from({ length: 5 }, (_, i) => `bulk${i}@acme.test,Bulk ${i},Ops,Bulk crew${i % 2 ? ':editor' : ''}`);
    const preview = await upload(t, acme, csv('Email,Full Name,Department,Groups', ...rows), { mode: 'upsert', noInvite: 'true' });
    assert.equal(preview.status, 201, JSON.stringify(preview.body));
    assert.equal((await commit(t, acme, preview.body.id)).status, 200);
    const { events } = await feed(t, acme, start);
    assert.deepEqual(events.map((e) => e.type), [...Array(5).fill('user.created'), ...Array(5).fill('membership.added')]);
    assert.ok(events.every((e) => e.source === 'csv' && e.actor.type === 'admin_token'));
    // The bulk path renders with the functions every other event uses: the same resource, field for field.
    const userName = (e: Json) => String(e.resource.userName ?? e.resource.user.userName);
    for (const event of events) {
      const id = event.type === 'user.created' ? event.resource.id : event.resource.user.id;
      const [row] = await sql(t, `select gatehouse_user_resource(?, ?) as r`, [acme.id, id]);
      assert.deepEqual(event.type === 'user.created' ? event.resource : event.resource.user, row!.r, userName(event));
    }
    assert.deepEqual(events[0]!.resource.groups, [{ id: crew, displayName: 'Bulk crew', role: 'viewer' }]);
    assert.deepEqual(events[0]!.data, {});
    const byName = (list: Json[][]) => [...list].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(
      byName(events.slice(5).map((e) => [userName(e), e.resource.user.id, e.resource.group, e.resource.role])),
      byName(events.slice(0, 5).map((e) => [userName(e), e.resource.id, { id: crew, displayName: 'Bulk crew', externalId: null }, /bulk[13]@/.test(userName(e)) ? 'editor' : 'viewer'])),
    );
  });

  it('emits nothing for a failed transaction (a 409 duplicate userName)', async () => {
    await postUser(t, acme.tokens.scim, 'dup@acme.test');
    const start = (await feed(t, acme)).cursor;
    const res = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('DUP@acme.test'));
    assert.equal(res.status, 409);
    const page = await feed(t, acme, start);
    assert.deepEqual(page.events, []);
    assert.equal(page.cursor, start, 'an empty page keeps the cursor');
    const orphans = await sql(t, `select count(*)::int as n from events e where not exists (select 1 from audit_events a where a.id = e.audit_id)`);
    assert.equal(orphans[0]!.n, 0);
  });

  it('pages by cursor: each event once, in position order, hasMore until the end', async () => {
    for (let i = 0; i < 7; i++) await postUser(t, globex.tokens.scim, `p${i}@globex.test`);
    await t.container.events.publishAll();
    const seen: Json[] = [];
    let cursor = '0';
    for (;;) {
      const page = await feed(t, globex, cursor, 3);
      seen.push(...page.events);
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    assert.deepEqual(seen.map((e) => e.resource.userName), [0, 1, 2, 3, 4, 5, 6].map((i) => `p${i}@globex.test`));
    const positions = seen.map((e) => BigInt(e.position));
    assert.ok(positions.every((p, i) => i === 0 || p > positions[i - 1]!), 'positions strictly increase');
    assert.equal(new Set(seen.map((e) => e.id)).size, seen.length);
    assert.deepEqual((await feed(t, globex, cursor)).events, []);
  });

  it('shows an org only its own events', async () => {
    const { events } = await feed(t, globex);
    assert.ok(events.length > 0);
    assert.ok(events.every((e) => e.org.slug === 'globex'), 'no acme event in globex’s feed');
  });

  it('does not show unpublished events: positions are assigned after commit', async () => {
    const start = (await feed(t, acme)).cursor;
    await postUser(t, acme.tokens.scim, 'late@acme.test');
    const before = await api(t, acme).get(`/events?after=${start}`);
    assert.deepEqual(before.body.events, []);
    assert.equal((await feed(t, acme, start)).events.length, 1);
  });

  it('refuses a malformed cursor with 400 naming the field, and a token without audit.read with 403', async () => {
    const bad = await api(t, acme).get('/events?after=abc');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body.error), /after/);
    // A cursor past the end (a consumer's store gone wrong) would skip every event until the numbering caught up.
    const ahead = BigInt((await feed(t, acme)).cursor) + 1000n;
    const past = await api(t, acme).get(`/events?after=${ahead}`);
    assert.equal(past.status, 400, JSON.stringify(past.body));
    assert.deepEqual(past.body.error.details.problems.map((p: { field: string }) => p.field), ['after']);
    assert.match(past.body.error.message, /past the end of the feed/);
    const narrow = await api(t, acme).post('/tokens', { scope: 'admin', name: 'no audit', permissions: ['users.edit'] });
    assert.equal(narrow.status, 201, JSON.stringify(narrow.body));
    const refused = await api(t, acme, narrow.body.token).get('/events');
    assert.equal(refused.status, 403);
  });

  it('writes user.purged when a deleted user is purged, and strips the person from their earlier events', async () => {
    const user = await postUser(t, acme.tokens.scim, 'gone@acme.test');
    assert.equal((await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${user.id}`)).status, 204);
    const start = (await feed(t, acme)).cursor;
    const { purged } = await t.container.purge.runOnce(new Date(Date.now() + 31 * 86_400_000));
    assert.ok(purged >= 1);
    const { events } = await feed(t, acme, start);
    const purge = events.find((e) => e.type === 'user.purged' && e.resource.id === user.id);
    assert.ok(purge, 'a user.purged event');
    assert.equal(purge.source, 'system');
    const all = (await feed(t, acme)).events.filter((e) => e.resource?.id === user.id && e.type !== 'user.purged');
    assert.deepEqual(all.map((e) => e.type), ['user.created', 'user.deleted']);
    assert.ok(!JSON.stringify(all).includes('gone@acme.test'), 'no personal data left in the feed');
  });

  it('prunes published events past the retention; the org\'s positions go on from where they were, never restarting', async () => {
    const last = (await feed(t, acme)).cursor;
    const future = new Date(Date.now() + 31 * 86_400_000);
    const { pruned } = await t.container.events.prune(future);
    assert.ok(pruned > 0);
    const left = await sql(t, 'select count(*)::int as n from events where org_id = ?', [acme.id]);
    assert.equal(left[0]!.n, 0);
    // The stored cursor of a consumer is still good (an empty page), not "past the end".
    assert.deepEqual((await feed(t, acme, last)).events, []);
    await postUser(t, acme.tokens.scim, 'after-prune@acme.test');
    const { events } = await feed(t, acme, last);
    assert.deepEqual(events.map((e) => e.position), [String(BigInt(last) + 1n)]);
  });
});
