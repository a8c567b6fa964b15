import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addGroup, addUser, api, createPeopleTestApp, setSeatLimit, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';

const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)$/;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/**
 * What an import WITH invitations left in an org's tables, ids replaced by what they name
 * (people by userName, invitations and mails by address, groups by name), times, tokens and
 * the keys that only order rows (audit ids, feed positions) left out: the same file committed
 * on either path must leave the same multiset.
 */
async function contents(t: TestApp, org: SeededOrg, since: { audit: number }): Promise<Record<string, string[]>> {
  const names = new Map<string, string>([[org.id, 'ORG']]);
  for (const u of await sql(t, 'select id, user_name from users where org_id = ?', [org.id])) names.set(String(u.id), `user:${u.user_name}`);
  for (const g of await sql(t, 'select id, display_name from groups where org_id = ?', [org.id])) names.set(String(g.id), `group:${g.display_name}`);
  for (const i of await sql(t, 'select id, email from invitations where org_id = ?', [org.id])) names.set(String(i.id), `invitation:${i.email}`);
  for (const m of await sql(t, 'select id, "to" from outbox_messages where org_id = ?', [org.id])) names.set(String(m.id), `mail:${m.to}`);
  for (const i of await sql(t, 'select id from csv_imports where org_id = ?', [org.id])) names.set(String(i.id), 'IMPORT');
  for (const k of await sql(t, 'select id, name from api_tokens where org_id = ?', [org.id])) names.set(String(k.id), `token:${String(k.name).replaceAll(org.slug, 'SLUG')}`);
  const queries: Record<string, string> = {
    users: 'select * from users t where org_id = ?',
    invitations: 'select * from invitations t where org_id = ?',
    planned: 'select im.invitation_id, im.group_id, im.role from invitation_memberships im join invitations i on i.id = im.invitation_id where i.org_id = ?',
    mails: 'select * from outbox_messages t where org_id = ?',
    audit: `select * from audit_events t where org_id = ? and id > ${since.audit}`,
    events: `select e.* from events e join audit_events a on a.id = e.audit_id where e.org_id = ? and a.id > ${since.audit}`,
    // Each person's own history in the same order (the batch's rows may interleave differently).
    order: `select target_id, array_agg(action order by id) as actions from audit_events where org_id = ? and id > ${since.audit} and target_type = 'user' group by target_id`,
    feedOrder: `select subject_id, array_agg(type order by seq) as types from events where org_id = ? and audit_id > ${since.audit} and subject_type = 'user' group by subject_id`,
  };
  // The token (each org's own) and request ids differ by nature; ids that only order rows are left out.
  const drop = new Set(['id', 'seq', 'position', 'audit_id', 'token_hash', 'tokenHash', 'actor_id', 'request_id']);
  const clean = (value: unknown): unknown => {
    if (value instanceof Date) return 'TIME';
    if (typeof value === 'string') {
      if (ISO.test(value)) return 'TIME';
      return value.replace(UUID, (id) => names.get(id) ?? 'UNKNOWN-ID').replace(/\/invitations\/[^\s"<)]+/g, '/invitations/TOKEN').replaceAll(org.slug, 'SLUG');
    }
    if (Array.isArray(value)) return value.map(clean);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).filter(([k]) => !drop.has(k)).map(([k, v]) => [k, k.endsWith('At') || k.endsWith('_at') ? (v === null ? null : 'TIME') : clean(v)]));
    return value;
  };
  const out: Record<string, string[]> = {};
  for (const [table, query] of Object.entries(queries)) out[table] = (await sql(t, query, [org.id])).map((r) => JSON.stringify(clean(r))).sort();
  return out;
}

/**
 * The commit's set-based invitations (an org without a seat limit) write exactly what the
 * row path writes (an org with one takes it): profiles, invitations, planned memberships,
 * queued mails, audit rows and feed events, and the same row outcomes.
 */
describe('CSV import commit (set-based invitations)', function () {
  this.timeout(300_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('leaves the same rows, audit actions, feed events and queued mails as the row path for the same file', async () => {
    const file = csv(
      'Email,Full Name,First Name,Last Name,Title,Department,Office Location,Phone,Employee Number,Groups',
      'ann@example.com,Ann Lee,Ann,Lee,Engineer,R&D,Berlin,+49 30 1234,E1,Staff|Berlin Office:admin',
      'bob@example.com,,Bob,,,"Ops, Night",,,,Staff',
      'carla@example.com,"Smith, Carla",,,,,,,,',
      'taken@example.com,Tak En,,,,Ops,,,,Staff',
      '  Dan@Example.com ,Dan Doe,Dan,Doe,,,,+1 555 0100,,Berlin Office',
    );
    const dump: Array<Record<string, string[]>> = [];
    const outcomes: unknown[] = [];
    for (const [slug, limit] of [['inv-eq-rows', 100_000], ['inv-eq-bulk', null]] as const) {
      const org = await seedOrg(t.container, slug);
      await addGroup(t, org, 'Staff', []);
      await addUser(t, org, { userName: 'taken@example.com' });
      if (limit !== null) await setSeatLimit(t, org, limit);
      const res = await upload(t, org, file, { createGroups: 'true' }).expect(201);
      const since = Number((await sql(t, 'select coalesce(max(id), 0)::bigint as n from audit_events'))[0]!.n);
      await commit(t, org, res.body.id).expect(200);
      outcomes.push((await previewRows(t, org, res.body.id)).map((r) => [r.rowNumber, r.action, r.outcome, r.errors, Boolean(r.userId)]));
      dump.push(await contents(t, org, { audit: since }));
    }
    assert.deepEqual(outcomes[1], outcomes[0]);
    for (const table of Object.keys(dump[0]!)) assert.deepEqual(dump[1]![table], dump[0]![table], table);
    assert.ok(dump[0]!.order!.some((r) => r.includes('"user.created","invitation.created","user.updated"')), JSON.stringify(dump[0]!.order));
    assert.ok(dump[0]!.invitations!.length >= 3 && dump[0]!.events!.length >= 9, JSON.stringify(dump[0]!.audit));
    assert.ok(!JSON.stringify(dump).includes('UNKNOWN-ID'), JSON.stringify(dump).match(/.{200}UNKNOWN-ID.{50}/)?.[0]);
  });

  it('lists the invitations and profiles it makes in one batch newest first: the reverse of the file order', async () => {
    const org = await seedOrg(t.container, 'inv-bulk-order');
    const addresses = ['kim', 'abe', 'zoe', 'lea', 'bo', 'max', 'eva', 'ian', 'uma', 'cy'].map((n) => `${n}@order.example`);
    const res = await upload(t, org, csv('Email', ...addresses)).expect(201);
    await commit(t, org, res.body.id).expect(200);
    const listed = await api(t, org).get('/invitations?limit=100').expect(200);
    assert.deepEqual(listed.body.invitations.map((i: { email: string }) => i.email), [...addresses].reverse());
    const users = await sql(t, 'select user_name from users where org_id = ? and user_name like ? order by id', [org.id, '%@order.example']);
    assert.deepEqual(users.map((u) => u.user_name), addresses, 'profile ids in file order');
  });
});
