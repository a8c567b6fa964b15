import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { createScimTestApp, postUser, sql } from '../support/scim.ts';
import { api } from '../people/support.ts';
import { pruneEvents } from '../../src/directory/event-retention.ts';
import { startReceiver, type Receiver } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * A cursor whose following events were pruned (a consumer back after the
 * retention) is refused with 410 cursor_expired, rather than answered with the
 * retained events as if nothing were missing. The feed knows it from what the
 * prune job recorded it deleted, not from gaps in the positions: an org
 * upgraded from the global numbering has gaps (and one jump) that lost nothing.
 */
describe('events: a cursor older than the retention', () => {
  let t: TestApp;
  let receiver: Receiver;
  let orgs = 0;

  before(async () => {
    t = await createScimTestApp({ scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } });
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  /** A new org with `count` published events, positions 1…count. */
  async function orgWithEvents(count: number): Promise<SeededOrg> {
    const org = await seedOrg(t.container, `ret${++orgs}`);
    for (let i = 0; i < count; i++) await postUser(t, org.tokens.scim, `p${i}@${org.slug}.test`);
    await t.container.events.publishAll();
    return org;
  }

  /** Makes the org's events at these positions older than the retention, then runs the prune job. */
  async function age(org: SeededOrg, positions: number[]): Promise<number> {
    await sql(t, `update events set occurred_at = now() - interval '40 days' where org_id = ? and position = any(?::bigint[])`, [org.id, `{${positions.join(',')}}`]);
    return (await t.container.events.prune()).pruned;
  }

  const read = (org: SeededOrg, query = '') => api(t, org).get(`/events${query}`);
  const positionsOf = (res: { body: Json }) => (res.body.events as Json[]).map((e) => e.position);

  it('answers 410 cursor_expired one below the last pruned position, and the next events at exactly it', async () => {
    const org = await orgWithEvents(5);
    assert.equal(await age(org, [1, 2, 3]), 3);

    const expired = await read(org, '?after=2');
    assert.equal(expired.status, 410, JSON.stringify(expired.body));
    assert.equal(expired.body.error.code, 'cursor_expired');
    const { requestId: _requestId, ...details } = expired.body.error.details;
    assert.deepEqual(details, { field: 'after', cursor: '2', oldestPosition: '4', head: '5' });
    assert.match(expired.body.error.message, /after=2/);
    assert.match(expired.body.error.message, /GET \/users/, 'says how to resync');

    // Nothing after 3 is missing: the events from 4 on, as always.
    const atEdge = await read(org, '?after=3');
    assert.equal(atEdge.status, 200, JSON.stringify(atEdge.body));
    assert.deepEqual(positionsOf(atEdge), ['4', '5']);
    assert.deepEqual((await read(org, '?after=5')).body, { events: [], cursor: '5', hasMore: false });
  });

  it('refuses a stored cursor 0 (an empty feed read before anything happened) once events were pruned, but starts a consumer without a cursor at the oldest retained event', async () => {
    const org = await orgWithEvents(3);
    await age(org, [1]);
    const zero = await read(org, '?after=0');
    assert.equal(zero.status, 410, JSON.stringify(zero.body));
    assert.equal(zero.body.error.details.cursor, '0');
    const fresh = await read(org);
    assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
    assert.deepEqual(positionsOf(fresh), ['2', '3']);
    // An empty after is a cursor given, not none: refused (query-cursors.test.ts), never read as the start.
    const empty = await read(org, '?after=');
    assert.equal(empty.status, 400, JSON.stringify(empty.body));
    assert.deepEqual(empty.body.error.details.problems.map((p: { field: string }) => p.field), ['after']);
  });

  it('hands a consumer without a cursor the head when every event was pruned, a cursor it can store and go on from', async () => {
    const org = await orgWithEvents(2);
    await age(org, [1, 2]);
    const fresh = await read(org);
    assert.deepEqual(fresh.body, { events: [], cursor: '2', hasMore: false });
    const below = await read(org, '?after=1');
    assert.equal(below.status, 410);
    assert.equal(below.body.error.details.oldestPosition, null, 'no event is retained');
    assert.equal(below.body.error.details.head, '2');
    await postUser(t, org.tokens.scim, 'later@x.test');
    await t.container.events.publishAll();
    assert.deepEqual(positionsOf(await read(org, `?after=${fresh.body.cursor}`)), ['3']);
  });

  it('takes no gap in the positions for pruning: an upgraded org jumps once, and its cursor before the jump is good until what follows it is pruned', async () => {
    const org = await orgWithEvents(2);
    // As the upgrade to per-org positions left an org whose numbering continued from the global one.
    await sql(t, 'update event_feed_heads set position = 100 where org_id = ?', [org.id]);
    await postUser(t, org.tokens.scim, 'after-upgrade@x.test');
    await t.container.events.publishAll();
    assert.deepEqual(positionsOf(await read(org, '?after=2')), ['101']);
    // Only positions 1 and 2 are pruned: a consumer at 2 has missed nothing; one at 1 has missed 2.
    await age(org, [1, 2]);
    const at2 = await read(org, '?after=2');
    assert.equal(at2.status, 200, JSON.stringify(at2.body));
    assert.deepEqual(positionsOf(at2), ['101']);
    const at1 = await read(org, '?after=1');
    assert.equal(at1.status, 410);
    assert.equal(at1.body.error.details.oldestPosition, '101');
  });

  it('counts an event pruned above a retained one (a transaction that committed late) as missing for every cursor below it', async () => {
    const org = await orgWithEvents(4);
    // 3 was written in a long transaction: older than 2 by occurredAt, numbered after it at commit.
    await age(org, [1, 3]);
    const at2 = await read(org, '?after=2');
    assert.equal(at2.status, 410, 'event 3 is gone');
    assert.equal(at2.body.error.details.oldestPosition, '4');
    assert.deepEqual(positionsOf(await read(org, '?after=3')), ['4']);
    // A consumer starting now pages from the oldest event it can go on from, never into a 410.
    let cursor = '';
    const seen: string[] = [];
    for (;;) {
      const page = await read(org, `?limit=1${cursor ? `&after=${cursor}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...positionsOf(page));
      cursor = page.body.cursor;
      if (!page.body.hasMore) break;
    }
    assert.deepEqual(seen, ['4']);
  });

  it("keeps each org's pruning to itself", async () => {
    const pruned = await orgWithEvents(3);
    const kept = await orgWithEvents(3);
    await age(pruned, [1, 2]);
    assert.equal((await read(pruned, '?after=1')).status, 410);
    assert.deepEqual(positionsOf(await read(kept, '?after=0')), ['1', '2', '3']);
  });

  it('refuses a webhook replay from a cursor older than the retention with 410 naming from, queuing nothing; from the last pruned position it queues what follows', async () => {
    const org = await orgWithEvents(4);
    const hook = await api(t, org).post('/webhooks', { url: receiver.url });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    await age(org, [1, 2]);
    const expired = await api(t, org).post(`/webhooks/${hook.body.id}/replay?from=1`);
    assert.equal(expired.status, 410, JSON.stringify(expired.body));
    assert.equal(expired.body.error.code, 'cursor_expired');
    assert.equal(expired.body.error.details.field, 'from');
    assert.equal(expired.body.error.details.oldestPosition, '3');
    assert.match(expired.body.error.message, /from=1/);
    assert.deepEqual((await api(t, org).get(`/webhooks/${hook.body.id}/deliveries`)).body.deliveries, []);
    const replayed = await sql(t, `select count(*)::int as n from audit_events where org_id = ? and action = 'webhook.replayed'`, [org.id]);
    assert.equal(replayed[0]!.n, 0, 'a refused replay records nothing');

    const atEdge = await api(t, org).post(`/webhooks/${hook.body.id}/replay?from=2`);
    assert.equal(atEdge.status, 202, JSON.stringify(atEdge.body));
    assert.deepEqual(atEdge.body, { queued: 2, lastPosition: '4' });
    const all = await api(t, org).post(`/webhooks/${hook.body.id}/replay`);
    assert.deepEqual(all.body, { queued: 2, lastPosition: '4' }, 'without from: every retained event');
  });

  it('records the newest position pruned when the prune goes in batches, and when two instances prune at once', async () => {
    const org = await orgWithEvents(5);
    await sql(t, `update events set occurred_at = now() - interval '40 days' where org_id = ?`, [org.id]);
    const now = new Date();
    const [a, b] = await Promise.all([pruneEvents(t.container.fork(), now, 30, 2), pruneEvents(t.container.fork(), now, 30, 2)]);
    assert.equal(a.pruned + b.pruned, 5, 'each event pruned once');
    assert.deepEqual(await sql(t, 'select position::text from event_feed_pruned where org_id = ?', [org.id]), [{ position: '5' }]);
    assert.equal((await read(org, '?after=4')).status, 410);
    assert.deepEqual((await read(org, '?after=5')).body, { events: [], cursor: '5', hasMore: false });
  });

  it('documents 410 on the feed and on replay in the OpenAPI document', async () => {
    const doc = (await request(t.app).get('/api/openapi.json')).body as Json;
    const responses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses);
    assert.ok(responses('/api/orgs/{org}/events', 'get').includes('410'));
    assert.ok(responses('/api/orgs/{org}/webhooks/{id}/replay', 'post').includes('410'));
  });
});
