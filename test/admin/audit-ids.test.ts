import assert from 'node:assert/strict';
import request from 'supertest';
import { parse } from 'csv-parse/sync';
import { createApp } from '../../src/app.ts';
import { createContainer } from '../../src/container.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openStore } from '../../src/db/orm.ts';
import { createTestDatabase } from '../support/db.ts';
import { seedOrg, testConfig, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, api, auth, createPeopleTestApp, sql } from '../people/support.ts';
import { signIn } from './support.ts';

interface Page {
  events: Array<{ id: string; action: string; target: { id: string | null } | null }>;
  nextCursor: string | null;
}

/**
 * audit_events.id is one bigint identity for every org: shown as is, the gaps
 * between one org's ids would count every other org's writes. What a tenant
 * sees (ids, cursors, on every surface) is opaque and per org.
 */
describe('audit ids: opaque to tenants', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let ada: string;

  const page = async (org: SeededOrg, query = '', app = t.app): Promise<Page> => {
    const res = await request(app).get(`/api/orgs/${org.slug}/audit${query}`).set(auth(org.tokens.admin));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as Page;
  };
  /** The stored (sequential) ids of an org's audit rows, newest first. */
  const rawIds = async (org: SeededOrg): Promise<string[]> =>
    (await sql(t, 'select id::text as id from audit_events where org_id = ? order by id desc', [org.id])).map((r) => String(r.id));
  const cursorRefused = (res: request.Response) => {
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.deepEqual(res.body.error.details.problems, [{ field: 'cursor', reason: 'is not a cursor this API returned' }]);
  };

  before(async () => {
    t = await createPeopleTestApp();
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    ada = await addUser(t, acme, { userName: 'ada@acme.test' });
    // Interleaved writes: acme, globex ×5, acme, acme — acme's rows are 1 apart, then 6.
    await api(t, acme).patch(`/users/${ada}`, { title: 'CTO' }).expect(200);
    for (let i = 0; i < 5; i++) await addUser(t, globex, { userName: `g${i}@globex.test` });
    await api(t, acme).patch(`/users/${ada}`, { title: 'CEO' }).expect(200);
    await api(t, acme).patch(`/users/${ada}`, { title: 'Chair' }).expect(200);
    // More than the console's page of 50, so it links to older events.
    await sql(
      t,
      `insert into audit_events (org_id, at, actor_type, actor_label, action, target_type, target_id, target_label, details)
       select ?, now(), 'system', 'test', 'export.downloaded', 'export', 'users', 'users.csv', '{}' from generate_series(1, 50)`,
      [acme.id],
    );
  });
  after(() => t.close());

  it('shows ids that are neither the stored row ids nor numbers, and no stored id anywhere in the answer', async () => {
    const res = await request(t.app).get(`/api/orgs/acme/audit?limit=2`).set(auth(acme.tokens.admin)).expect(200);
    const stored = await rawIds(acme);
    // The two newest acme rows were written one after the other: stored ids n and n+1.
    assert.equal(BigInt(stored[0]!) - BigInt(stored[1]!), 1n);
    const [newest, previous] = (res.body as Page).events;
    for (const id of [newest!.id, previous!.id, (res.body as Page).nextCursor!]) {
      assert.match(id, /^[A-Za-z0-9_-]{22}$/);
      assert.doesNotMatch(id, /^\d+$/);
    }
    assert.notEqual(newest!.id, previous!.id);
    for (const value of jsonLeaves(res.body)) assert.ok(!stored.includes(value), `the answer shows the stored id ${value}`);
  });

  it("tells nothing of another org's writes: acme's ids carry no order or distance", async () => {
    const ids = (await page(acme, '?limit=200')).events.map((e) => e.id);
    assert.ok(ids.length >= 8, `only ${ids.length} events`);
    // Newest first by the stored order, yet the shown ids are in no order (a sorted list of 8 random ids: 2 in 8!).
    const sorted = [...ids].sort();
    assert.notDeepEqual(ids, sorted);
    assert.notDeepEqual(ids, [...sorted].reverse());
    // Each id is the same size whatever the row's number: no magnitude shows through.
    assert.equal(new Set(ids.map((id) => id.length)).size, 1);
    // The same rows under another org's view would be other ids: a row's id means something only in its org.
    const globexIds = (await page(globex, '?limit=200')).events.map((e) => e.id);
    assert.ok(globexIds.every((id) => !ids.includes(id)));
  });

  it('pages newest first by the stored order with an opaque cursor, every event once', async () => {
    const whole = (await page(acme, '?limit=200')).events.map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const p: Page = await page(acme, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.events.map((e) => e.id));
      cursor = p.nextCursor;
      if (cursor) assert.equal(cursor, p.events[p.events.length - 1]!.id, 'the cursor is the id of the last event shown');
    } while (cursor);
    assert.deepEqual(seen, whole);
    const stored = await rawIds(acme);
    assert.equal(whole.length, stored.length);
  });

  it('refuses a stored row id, another org’s id, a forged or altered id as cursor with 400 naming cursor', async () => {
    const stored = await rawIds(acme);
    cursorRefused(await api(t, acme).get(`/audit?cursor=${stored[0]}`));
    const theirs = (await page(globex, '?limit=1')).events[0]!.id;
    cursorRefused(await api(t, acme).get(`/audit?cursor=${theirs}`));
    cursorRefused(await api(t, acme).get(`/users/${ada}/activity?cursor=${theirs}`));
    const mine = (await page(acme, '?limit=1')).events[0]!.id;
    const altered = `${mine.slice(0, 5)}${mine[5] === 'A' ? 'B' : 'A'}${mine.slice(6)}`;
    for (const forged of [altered, 'AAAAAAAAAAAAAAAAAAAAAA', `${mine}A`, mine.slice(1), '-1', '0']) {
      cursorRefused(await api(t, acme).get(`/audit?cursor=${encodeURIComponent(forged)}`));
    }
    // The last character of 22 base64url ones carries two unused bits: one spelling per id, the canonical one.
    const last = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';
    const sibling = `${mine.slice(0, 21)}${last[last.indexOf(mine[21]!) ^ 1]}`;
    cursorRefused(await api(t, acme).get(`/audit?cursor=${sibling}`));
  });

  it("shows one person's activity with the same opaque ids and cursor as the audit list", async () => {
    const listed = new Map((await page(acme, `?target=${ada}&limit=200`)).events.map((e) => [e.id, e.action]));
    const res = await api(t, acme).get(`/users/${ada}/activity?limit=2`).expect(200);
    const activity = res.body as Page;
    const stored = await rawIds(acme);
    for (const value of jsonLeaves(activity)) assert.ok(!stored.includes(value), `the activity shows the stored id ${value}`);
    assert.ok(activity.events.every((e) => listed.get(e.id) === e.action));
    assert.ok(activity.nextCursor);
    const next = (await api(t, acme).get(`/users/${ada}/activity?limit=2&cursor=${activity.nextCursor}`).expect(200)).body as Page;
    assert.ok(next.events.length >= 1);
    assert.ok(next.events.every((e) => listed.has(e.id) && !activity.events.some((a) => a.id === e.id)));
  });

  it('keeps ids and cursors across a restart: a new instance on the same database shows the same ids', async () => {
    const before = await page(acme, '?limit=3');
    const again = createContainer({ config: t.container.config, logger: createLogger('silent'), store: t.db.store });
    const other = createApp(again);
    assert.deepEqual(await page(acme, '?limit=3', other), before);
    const next = await page(acme, `?limit=3&cursor=${before.nextCursor}`, other);
    assert.deepEqual(next, await page(acme, `?limit=3&cursor=${before.nextCursor}`));
  });

  it('without SESSION_SECRET, keys them by a secret the migrations generated in the database: its own per database, one for every instance', async () => {
    const [stored] = await sql(t, `select value from deployment_secrets where name = 'session'`);
    assert.match(String(stored!.value), /^[A-Za-z0-9_-]{43}$/);
    const other = await createTestDatabase();
    try {
      const [theirs] = (await other.store.orm.em.fork().execute(`select value from deployment_secrets where name = 'session'`)) as Array<{ value: string }>;
      assert.notEqual(theirs!.value, stored!.value);
    } finally {
      await other.close();
    }
    if (!t.db.url) return; // PGlite: one process's database, no second instance
    const before = await page(acme, '?limit=3');
    const instance = await openStore({ databaseUrl: t.db.url, dataDir: '' });
    try {
      const app = createApp(createContainer({ config: t.container.config, logger: createLogger('silent'), store: instance }));
      assert.deepEqual(await page(acme, `?limit=3`, app), before);
    } finally {
      await instance.close();
    }
  });

  it('shows other ids under another SESSION_SECRET, and refuses the old cursors with 400 naming cursor', async () => {
    const before = await page(acme, '?limit=3');
    const rekeyed = createApp(createContainer({ config: testConfig({ sessionSecret: 'another-secret-of-at-least-32-characters' }), logger: createLogger('silent'), store: t.db.store }));
    const after = await page(acme, '?limit=3', rekeyed);
    assert.equal(after.events.length, 3);
    assert.deepEqual(after.events.map((e) => e.action), before.events.map((e) => e.action));
    assert.ok(after.events.every((e, i) => e.id !== before.events[i]!.id));
    cursorRefused(await request(rekeyed).get(`/api/orgs/acme/audit?cursor=${before.nextCursor}`).set(auth(acme.tokens.admin)));
    await request(rekeyed).get(`/api/orgs/acme/audit?cursor=${after.nextCursor}`).set(auth(acme.tokens.admin)).expect(200);
  });

  it('links the console’s older events with the opaque cursor, never a stored id', async () => {
    const admin = await signIn(t, acme, 'audrey@acme.test', { orgRole: 'org_admin' });
    const stored = await rawIds(acme);
    const first = await request(t.app).get('/console/audit').set('Cookie', admin.cookie).expect(200);
    const link = /href="\/console\/audit\?[^"]*cursor=([^"&]+)"[^>]*rel="next"/.exec(first.text);
    assert.ok(link, 'an Older events link');
    const cursor = decodeURIComponent(link[1]!);
    assert.match(cursor, /^[A-Za-z0-9_-]{22}$/);
    assert.ok(!stored.includes(cursor));
    const older = await request(t.app).get(`/console/audit?cursor=${encodeURIComponent(cursor)}`).set('Cookie', admin.cookie).expect(200);
    assert.match(older.text, /Newest events/);
    assert.doesNotMatch(older.text, /is not a cursor/);
  });

  it('writes no audit id in the audit CSV export', async () => {
    const res = await api(t, acme).get('/exports/audit.csv').expect(200);
    const rows = parse(res.text.replace(/^\uFEFF/, '')) as string[][];
    const stored = new Set(await rawIds(acme));
    assert.ok(rows.length > 8);
    assert.ok(!rows[0]!.some((name) => /^(id|event id|audit id)$/i.test(name)), `header: ${rows[0]!.join(',')}`);
    for (const row of rows.slice(1)) for (const cell of row) assert.ok(!stored.has(cell), `a cell shows the stored id ${cell}`);
  });

  // Webhook bodies are the feed's events (webhook-deliveries.ts renders them with rowToFeedEvent).
  it('puts no audit id in change-feed events (the feed and webhook bodies)', async () => {
    await t.container.events.publishAll();
    const res = await api(t, acme).get('/events?after=0&limit=1000').expect(200);
    const keys = new Set<string>();
    for (const event of res.body.events as Array<Record<string, unknown>>) {
      for (const key of Object.keys(event)) keys.add(key);
      assert.match(String(event.id), /^[0-9a-f-]{36}$/);
    }
    assert.deepEqual([...keys].sort(), ['actor', 'data', 'id', 'occurredAt', 'org', 'position', 'requestId', 'resource', 'source', 'type']);
    assert.doesNotMatch(JSON.stringify(res.body), /audit_?id/i);
  });
});

/** Every string and number in a JSON value, as text. */
function jsonLeaves(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return [String(value)];
  if (Array.isArray(value)) return value.flatMap(jsonLeaves);
  if (typeof value === 'object') return Object.values(value).flatMap(jsonLeaves);
  return [];
}
