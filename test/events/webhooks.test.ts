import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { postUser, scimRequest, sql } from '../support/scim.ts';
import { api } from '../people/support.ts';
import { deliverDueWebhooks, DeliveryWorker } from '../../src/directory/webhook-worker.ts';
import { startReceiver, verifySignature, type Receiver } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

const BASE_DELAY = 10_000;

describe('events: webhooks', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let receiver: Receiver;

  before(async () => {
    t = await createTestApp({ config: { scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } } });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });
  beforeEach(async () => {
    receiver.received.length = 0;
    receiver.answeredAt.length = 0;
    receiver.respond = () => 200;
    receiver.delayMs = () => 0;
    // Each test starts with no endpoint and an empty queue.
    for (const org of [acme, globex]) {
      for (const hook of (await api(t, org).get('/webhooks')).body.webhooks as Json[]) await api(t, org).delete(`/webhooks/${hook.id}`);
    }
    await t.container.events.publishAll();
  });

  async function addHook(body: Json = {}, org = acme): Promise<Json> {
    const res = await api(t, org).post('/webhooks', { url: receiver.url, ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  }

  async function deliveries(hookId: string): Promise<Json[]> {
    const res = await api(t, acme).get(`/webhooks/${hookId}/deliveries`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.deliveries;
  }

  it('creates an endpoint, shows the generated secret once, and audits the change', async () => {
    const hook = await addHook({ eventTypes: ['user.created'] });
    assert.match(hook.secret, /^whsec_[A-Za-z0-9_-]{40,}$/);
    const read = await api(t, acme).get(`/webhooks/${hook.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.body.secret, undefined, 'the secret is never read back');
    assert.deepEqual(read.body.eventTypes, ['user.created']);
    const patched = await api(t, acme).patch(`/webhooks/${hook.id}`, { enabled: false });
    assert.equal(patched.body.enabled, false);
    const actions = (await sql(t, 'select action from audit_events where target_id = ? order by id', [hook.id])).map((r) => r.action);
    assert.deepEqual(actions, ['webhook.created', 'webhook.updated']);
  });

  it('refuses an unknown event type naming eventTypes, a blank or spaced secret naming secret, and another org’s endpoint as not found', async () => {
    const bad = await api(t, acme).post('/webhooks', { url: receiver.url, eventTypes: ['user.exploded'] });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body.error), /eventTypes/);
    for (const secret of [' '.repeat(20), `${' '.repeat(10)}short     `, 'sixteen chars but spaced']) {
      const blank = await api(t, acme).post('/webhooks', { url: receiver.url, secret });
      assert.equal(blank.status, 400, JSON.stringify(secret));
      assert.deepEqual(blank.body.error.details.problems.map((p: Json) => p.field), ['secret']);
    }
    const hook = await addHook();
    assert.equal((await api(t, globex).get(`/webhooks/${hook.id}`)).status, 404);
    assert.equal((await api(t, globex).get(`/webhooks/${hook.id}/deliveries`)).status, 404);
    assert.equal((await api(t, globex).delete(`/webhooks/${hook.id}`)).status, 404);
    assert.deepEqual((await api(t, globex).get('/webhooks')).body.webhooks, []);
  });

  it('delivers a SCIM change signed with the secret, with the event id for deduplication', async () => {
    const hook = await addHook();
    const user = await postUser(t, acme.tokens.scim, 'ann@acme.test');
    await t.container.events.publishAll();
    const report = await t.container.events.deliverDue();
    assert.equal(report.delivered, 1);
    const [request] = receiver.received;
    assert.ok(request);
    const body = JSON.parse(request.body);
    assert.equal(body.type, 'user.created');
    assert.equal(body.resource.id, user.id);
    assert.equal(request.headers['x-gatehouse-event-id'], body.id);
    assert.equal(request.headers['content-type'], 'application/json');
    assert.ok(await verifySignature(hook.secret, String(request.headers['x-gatehouse-signature']), request.body), 'the README algorithm verifies it');
    assert.ok(!await verifySignature('whsec_wrong', String(request.headers['x-gatehouse-signature']), request.body));
    assert.ok(!await verifySignature(hook.secret, String(request.headers['x-gatehouse-signature']), request.body.replace('ann', 'eve')));
    const [delivery] = await deliveries(hook.id);
    assert.equal(delivery!.status, 'delivered');
    assert.equal(delivery!.log[0].status, 200);
    assert.equal(delivery!.log[0].body, 'ok');
    // The feed shows the same event: one shape for both channels.
    const feed = await api(t, acme).get('/events?limit=1000');
    assert.deepEqual(feed.body.events.find((e: Json) => e.id === body.id), body);
  });

  it("leaves no delivery row behind when an org is deleted (they go with its endpoints and events)", async () => {
    const gone = await seedOrg(t.container, `gone-${Date.now().toString(36)}`);
    const hook = await addHook({}, gone);
    await postUser(t, gone.tokens.scim, 'left@gone.test');
    await t.container.events.publishAll();
    assert.equal((await t.container.events.deliverDue()).delivered, 1);
    assert.equal((await sql(t, 'select count(*)::int as n from webhook_deliveries where webhook_id = ?', [hook.id]))[0]!.n, 1);
    await sql(t, 'delete from organizations where id = ?', [gone.id]);
    assert.equal((await sql(t, 'select count(*)::int as n from webhook_deliveries where org_id = ?', [gone.id]))[0]!.n, 0);
  });

  it('sends only the event types an endpoint asked for, and nothing to a disabled endpoint', async () => {
    await addHook({ eventTypes: ['user.deleted'] });
    await addHook({ enabled: false });
    await postUser(t, acme.tokens.scim, 'bea@acme.test');
    await t.container.events.publishAll();
    await t.container.events.deliverDue();
    assert.equal(receiver.received.length, 0);
  });

  it('follows the feed past the events its filter skips, page by page, and skips what happened while it was disabled', async () => {
    const batch = t.container.events.delivery.batchSize;
    const hook = await addHook({ eventTypes: ['user.created'] });
    const made = [];
    for (let i = 0; i < batch + 3; i++) made.push(await postUser(t, acme.tokens.scim, `page${i}@acme.test`));
    // user.deleted is filtered out: the cursor must still move past it.
    await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${made[0]!.id}`);
    await t.container.events.publishAll();
    assert.equal((await t.container.events.deliverDue()).delivered, batch, 'one page per pass');
    assert.equal((await t.container.events.deliverDue()).delivered, 3);
    assert.deepEqual(await t.container.events.deliverDue(), { delivered: 0, retried: 0, dead: 0 });
    assert.equal(receiver.received.length, batch + 3);
    assert.ok(receiver.received.every((r) => JSON.parse(r.body).type === 'user.created'));
    // The delivery id a receiver sees is the row the deliveries list shows.
    const rows = (await api(t, acme).get(`/webhooks/${hook.id}/deliveries?limit=200`)).body.deliveries as Json[];
    assert.deepEqual(new Set(receiver.received.map((r) => r.headers['x-gatehouse-delivery-id'])), new Set(rows.map((d) => d.id)));
    assert.ok(rows.every((d) => d.status === 'delivered' && d.reason === 'publish' && d.attempts === 1 && d.log.length === 1));

    await api(t, acme).patch(`/webhooks/${hook.id}`, { enabled: false });
    await postUser(t, acme.tokens.scim, 'while-off@acme.test');
    await t.container.events.publishAll();
    await t.container.events.deliverDue();
    await api(t, acme).patch(`/webhooks/${hook.id}`, { enabled: true });
    const after = await postUser(t, acme.tokens.scim, 'back-on@acme.test');
    await t.container.events.publishAll();
    assert.equal((await t.container.events.deliverDue()).delivered, 1);
    assert.equal(JSON.parse(receiver.received.at(-1)!.body).resource.id, after.id, 'only the change made after it was enabled again');
  });

  it('gives each request the whole timeout from its own start, however many of the pass came before it', async () => {
    const timeoutMs = t.container.events.delivery.timeoutMs;
    const hook = await addHook();
    // Three rounds of 16 requests in flight, each answered in 40 % of the timeout: the third round starts
    // after 80 % of it, so a timeout counted from the start of the pass would cut every request of that round.
    receiver.delayMs = () => Math.round(timeoutMs * 0.4);
    for (let i = 0; i < 48; i++) await postUser(t, acme.tokens.scim, `slow${i}@acme.test`);
    await t.container.events.publishAll();
    assert.deepEqual(await t.container.events.deliverDue(), { delivered: 48, retried: 0, dead: 0 });
    const rows = await deliveries(hook.id);
    assert.deepEqual(rows.filter((d) => d.status !== 'delivered').map((d) => d.log[0].error), []);
    assert.equal(receiver.received.length, 48, 'each event sent once');
  });

  it('gives each endpoint its own connections, so endpoints on the same host do not queue behind each other', async () => {
    const timeoutMs = t.container.events.delivery.timeoutMs;
    // Two endpoints on one origin, 16 requests each in flight: on one shared pool of 16 connections, the
    // second 16 would wait for the first answers and run out of time.
    const hooks = [await addHook(), await addHook()];
    receiver.delayMs = () => Math.round(timeoutMs * 0.6);
    for (let i = 0; i < 16; i++) await postUser(t, acme.tokens.scim, `shared${i}@acme.test`);
    await t.container.events.publishAll();
    assert.deepEqual(await t.container.events.deliverDue(), { delivered: 32, retried: 0, dead: 0 });
    for (const hook of hooks) assert.ok((await deliveries(hook.id)).every((d) => d.status === 'delivered'));
  });

  it('sends an endpoint’s due retries and its next page in different passes, so no request waits for a connection', async () => {
    const timeoutMs = t.container.events.delivery.timeoutMs;
    const hook = await addHook();
    receiver.respond = (n) => (n <= 16 ? 500 : 200);
    for (let i = 0; i < 16; i++) await postUser(t, acme.tokens.scim, `again${i}@acme.test`);
    const start = new Date();
    await t.container.events.publishAll(start);
    assert.deepEqual(await t.container.events.deliverDue(start), { delivered: 0, retried: 16, dead: 0 });
    for (let i = 0; i < 16; i++) await postUser(t, acme.tokens.scim, `next${i}@acme.test`);
    await t.container.events.publishAll(start);
    // 16 due retries and 16 new events: sent together, 32 requests would share the endpoint's 16 connections.
    receiver.delayMs = () => Math.round(timeoutMs * 0.6);
    const due = new Date(start.getTime() + BASE_DELAY + 1000); // the back-off counts from the attempt's end
    assert.deepEqual(await t.container.events.deliverDue(due), { delivered: 16, retried: 0, dead: 0 }, 'the retries first');
    assert.deepEqual(await t.container.events.deliverDue(due), { delivered: 16, retried: 0, dead: 0 }, 'then the page');
    assert.ok((await deliveries(hook.id)).every((d) => d.status === 'delivered'));
  });

  it('keeps at most maxEndpointsInFlight endpoints in flight per worker, and never leases an endpoint in flight again', async () => {
    const slow = await startReceiver();
    try {
      slow.delayMs = (n) => (n === 1 ? 1500 : 0);
      await addHook({ url: slow.url });
      await addHook({}, globex);
      const worker = new DeliveryWorker({ ...t.container.events.delivery, maxEndpointsInFlight: 1 });
      await postUser(t, acme.tokens.scim, 'held1@acme.test');
      await t.container.events.publishAll();
      const first = await worker.pass(new Date());
      await slow.waitFor(1);
      assert.equal(worker.inFlight, 1);
      await postUser(t, acme.tokens.scim, 'held2@acme.test');
      await postUser(t, globex.tokens.scim, 'waits@globex.test');
      await t.container.events.publishAll();
      const second = await worker.pass(new Date());
      assert.deepEqual(await second.done, { delivered: 0, retried: 0, dead: 0 }, 'no room while the slow endpoint is in flight');
      assert.deepEqual(await first.done, { delivered: 1, retried: 0, dead: 0 });
      assert.deepEqual([slow.received.length, receiver.received.length], [1, 0]);
      // A free slot again: one endpoint per pass now, each once.
      assert.deepEqual(await (await worker.pass(new Date())).done, { delivered: 1, retried: 0, dead: 0 });
      assert.deepEqual(await (await worker.pass(new Date())).done, { delivered: 1, retried: 0, dead: 0 });
      assert.deepEqual(await (await worker.pass(new Date())).done, { delivered: 0, retried: 0, dead: 0 });
      assert.deepEqual(slow.received.map((r) => JSON.parse(r.body).resource.userName), ['held1@acme.test', 'held2@acme.test']);
      assert.deepEqual(receiver.received.map((r) => JSON.parse(r.body).resource.userName), ['waits@globex.test']);
    } finally {
      await slow.close();
    }
  });

  it('gives each org a share of the worker’s slots: another org’s endpoints that do not answer never hold up this org’s deliveries', async () => {
    const hung = await startReceiver();
    try {
      hung.delayMs = () => 1500;
      // globex's endpoints come first in lease order, and are as many as the worker has slots.
      for (let i = 0; i < 4; i++) await addHook({ url: hung.url }, globex);
      await addHook();
      const worker = new DeliveryWorker({ ...t.container.events.delivery, maxEndpointsInFlight: 4 });
      await postUser(t, globex.tokens.scim, 'tenant@globex.test');
      await postUser(t, acme.tokens.scim, 'neighbour@acme.test');
      await t.container.events.publishAll();
      const first = await worker.pass(new Date());
      // acme's event arrives while globex's endpoint is still unanswered: it did not wait for a free slot.
      await receiver.waitFor(1);
      assert.equal(hung.answeredAt.length, 0);
      assert.equal(JSON.parse(receiver.received[0]!.body).resource.userName, 'neighbour@acme.test');
      assert.equal(hung.received.length, 1, 'one globex endpoint in flight: its share of 4 slots');
      await first.done;
      // The rest of globex's endpoints follow, one at a time.
      for (let i = 0; i < 3; i++) await (await worker.pass(new Date())).done;
      assert.equal(hung.received.length, 4);
    } finally {
      await hung.close();
    }
  });

  it('claims due retries of no more endpoints than it has room for; the others stay due', async () => {
    const hooks = [await addHook(), await addHook()];
    receiver.respond = (n) => (n <= 2 ? 500 : 200);
    await postUser(t, acme.tokens.scim, 'twice@acme.test');
    const start = new Date();
    await t.container.events.publishAll(start);
    assert.deepEqual(await t.container.events.deliverDue(start), { delivered: 0, retried: 2, dead: 0 });
    const worker = new DeliveryWorker({ ...t.container.events.delivery, maxEndpointsInFlight: 1 });
    const due = new Date(start.getTime() + BASE_DELAY + 1000); // the back-off counts from the attempt's end
    assert.deepEqual(await (await worker.pass(due)).done, { delivered: 1, retried: 0, dead: 0 });
    const waiting = await sql(t, `select count(*)::int as n from webhook_deliveries where status = 'pending' and attempts = 1 and next_attempt_at <= ?`, [due]);
    assert.equal(waiting[0]!.n, 1, 'the other endpoint’s row is still due, not leased');
    assert.deepEqual(await (await worker.pass(due)).done, { delivered: 1, retried: 0, dead: 0 });
    for (const hook of hooks) assert.deepEqual((await deliveries(hook.id)).map((d) => d.status), ['delivered']);
  });

  it('on shutdown waits for deliveries in flight only so long, then leaves them to be sent again once their lease lapses', async () => {
    const hanging = await startReceiver();
    try {
      hanging.delayMs = () => 60_000;
      const hook = await addHook({ url: hanging.url });
      await postUser(t, acme.tokens.scim, 'late@acme.test');
      await t.container.events.publishAll();
      const [before] = await sql(t, 'select cursor_position::text as position from webhooks where id = ?', [hook.id]);
      const worker = new DeliveryWorker(t.container.events.delivery);
      const pass = await worker.pass(new Date());
      await hanging.waitFor(1);
      const stopping = Date.now();
      await worker.stop(200);
      assert.ok(Date.now() - stopping < 1500, 'stop does not wait for the answer');
      await hanging.close();
      await assert.rejects(pass.done, /abandoned at shutdown/);
      const [after] = await sql(t, 'select cursor_position::text as position, cursor_leased_until > now() as leased from webhooks where id = ?', [hook.id]);
      assert.deepEqual(after, { position: before!.position, leased: true }, 'the cursor stays where it was, leased until it lapses');
      assert.equal((await deliveries(hook.id)).length, 0);
    } finally {
      await hanging.close();
    }
  });

  it('retries with exponential back-off while the endpoint fails, then delivers once it recovers', async () => {
    const hook = await addHook();
    receiver.respond = (n) => (n <= 2 ? 500 : 200);
    await postUser(t, acme.tokens.scim, 'cal@acme.test');
    const start = new Date();
    await t.container.events.publishAll(start);
    assert.deepEqual(await t.container.events.deliverDue(start), { delivered: 0, retried: 1, dead: 0 });
    assert.deepEqual(await t.container.events.deliverDue(new Date(start.getTime() + BASE_DELAY - 1)), { delivered: 0, retried: 0, dead: 0 }, 'not due before the back-off');
    // Each step counts from the end of the attempt before (a second here is room for the attempt's own time).
    assert.deepEqual(await t.container.events.deliverDue(new Date(start.getTime() + BASE_DELAY + 1000)), { delivered: 0, retried: 1, dead: 0 });
    assert.deepEqual(await t.container.events.deliverDue(new Date(start.getTime() + 2 * BASE_DELAY)), { delivered: 0, retried: 0, dead: 0 }, 'the second delay doubles');
    assert.deepEqual(await t.container.events.deliverDue(new Date(start.getTime() + 3 * BASE_DELAY + 2000)), { delivered: 1, retried: 0, dead: 0 });
    const [delivery] = await deliveries(hook.id);
    assert.equal(delivery!.status, 'delivered');
    assert.deepEqual(delivery!.log.map((a: Json) => a.status), [500, 500, 200]);
    assert.equal(delivery!.log[0].body, 'failing with 500');
    assert.equal(delivery!.log[0].error, 'HTTP 500');
    // Every attempt of the same event carries the same event id.
    assert.equal(new Set(receiver.received.map((r) => r.headers['x-gatehouse-event-id'])).size, 1);
  });

  it('counts the back-off from the end of a failed attempt, so a slow failure does not use up its first step', async () => {
    const hook = await addHook();
    receiver.delayMs = () => 400;
    receiver.respond = () => 503;
    await postUser(t, acme.tokens.scim, 'slowfail@acme.test');
    const now = new Date();
    await t.container.events.publishAll(now);
    const worker = new DeliveryWorker({ ...t.container.events.delivery, random: () => 0 });
    assert.deepEqual(await (await worker.pass(now)).done, { delivered: 0, retried: 1, dead: 0 });
    const [row] = await sql(t, 'select next_attempt_at from webhook_deliveries where webhook_id = ?', [hook.id]);
    const wait = new Date(row!.next_attempt_at as string).getTime() - now.getTime();
    assert.ok(wait >= BASE_DELAY + 400, `next attempt ${wait} ms after the pass: the 10 s step starts once the 400 ms answer came`);
  });

  it('dead-letters a delivery still failing 24 hours after it was queued, then a manual retry sends it', async () => {
    const hook = await addHook();
    receiver.respond = () => 503;
    await postUser(t, acme.tokens.scim, 'dan@acme.test');
    const start = new Date();
    await t.container.events.publishAll(start);
    let now = start;
    const gaps: number[] = [];
    for (let i = 0; i < 200; i++) {
      const report = await t.container.events.deliverDue(now);
      if (report.dead) break;
      const row = await sql(t, `select next_attempt_at from webhook_deliveries where webhook_id = ? and status = 'pending'`, [hook.id]);
      const next = new Date(row[0]!.next_attempt_at as string);
      gaps.push(next.getTime() - now.getTime());
      now = next;
    }
    const [dead] = await deliveries(hook.id);
    assert.equal(dead!.status, 'dead');
    assert.ok(new Date(dead!.deadAt).getTime() - start.getTime() <= 24 * 3_600_000, 'dead within 24 hours');
    assert.ok(new Date(dead!.deadAt).getTime() - start.getTime() > 20 * 3_600_000, 'retried for most of a day');
    assert.ok(gaps[1]! > gaps[0]! && gaps[2]! > gaps[1]!, `delays grow: ${gaps.slice(0, 4).join(', ')}`);
    assert.ok(gaps.every((g) => g <= 3_600_000 * 1.2), 'capped at the maximum delay plus jitter');

    receiver.respond = () => 200;
    const retried = await api(t, acme).post(`/webhooks/${hook.id}/deliveries/${dead!.id}/retry`);
    assert.equal(retried.status, 202, JSON.stringify(retried.body));
    assert.equal(retried.body.status, 'pending');
    assert.equal(retried.body.eventId, dead!.eventId);
    await t.container.events.deliverDue(new Date(now.getTime() + 1));
    const after = await deliveries(hook.id);
    assert.deepEqual(after.map((d) => [d.reason, d.status]).sort(), [['publish', 'dead'], ['retry', 'delivered']]);
  });

  it('replays every event after a feed cursor, in order, with the original event ids', async () => {
    const cursor = (await api(t, acme).get('/events?limit=1000')).body.cursor;
    const made = [await postUser(t, acme.tokens.scim, 'e1@acme.test'), await postUser(t, acme.tokens.scim, 'e2@acme.test')];
    await scimRequest(t, acme.tokens.scim, 'delete', `/Users/${made[0]!.id}`);
    await t.container.events.publishAll();
    const feed = (await api(t, acme).get(`/events?after=${cursor}`)).body.events as Json[];
    assert.equal(feed.length, 3);
    const hook = await addHook();
    const replay = await api(t, acme).post(`/webhooks/${hook.id}/replay?from=${cursor}`);
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    assert.equal(replay.body.queued, 3);
    assert.equal(replay.body.lastPosition, feed.at(-1)!.position);
    await t.container.events.deliverDue();
    const ids = receiver.received.map((r) => r.headers['x-gatehouse-event-id']).sort();
    assert.deepEqual(ids, feed.map((e) => e.id).sort());
    const bad = await api(t, acme).post(`/webhooks/${hook.id}/replay?from=yesterday`);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body.error), /from/);
  });

  it('refuses to replay or retry to a disabled endpoint with 409 saying to enable it first, queuing nothing', async () => {
    const cursor = (await api(t, acme).get('/events?limit=1000')).body.cursor;
    const hook = await addHook();
    await postUser(t, acme.tokens.scim, 'off1@acme.test');
    await t.container.events.publishAll();
    await t.container.events.deliverDue();
    const [delivered] = await deliveries(hook.id);
    assert.equal((await api(t, acme).patch(`/webhooks/${hook.id}`, { enabled: false })).status, 200);
    const replay = await api(t, acme).post(`/webhooks/${hook.id}/replay?from=${cursor}`);
    assert.equal(replay.status, 409, JSON.stringify(replay.body));
    assert.equal(replay.body.error.details.reason, 'endpoint_disabled');
    assert.match(replay.body.error.message, /enable it, then replay/);
    const retry = await api(t, acme).post(`/webhooks/${hook.id}/deliveries/${delivered!.id}/retry`);
    assert.equal(retry.status, 409, JSON.stringify(retry.body));
    assert.equal((await deliveries(hook.id)).length, 1, 'nothing queued');
  });

  it('pages the deliveries with before, and refuses a before that is not a delivery of that endpoint, naming before', async () => {
    const hook = await addHook();
    const other = await addHook();
    for (const name of ['pg1', 'pg2', 'pg3']) await postUser(t, acme.tokens.scim, `${name}@acme.test`);
    await t.container.events.publishAll();
    await t.container.events.deliverDue();
    const all = await deliveries(hook.id);
    assert.equal(all.length, 3);
    const page = await api(t, acme).get(`/webhooks/${hook.id}/deliveries?limit=2`);
    const next = await api(t, acme).get(`/webhooks/${hook.id}/deliveries?limit=2&before=${page.body.deliveries.at(-1).id}`);
    assert.deepEqual([...page.body.deliveries, ...next.body.deliveries].map((d: Json) => d.id), all.map((d) => d.id));
    const otherDelivery = (await deliveries(other.id))[0]!.id;
    for (const before of ['garbage', '00000000-0000-4000-8000-000000000000', otherDelivery]) {
      const bad = await api(t, acme).get(`/webhooks/${hook.id}/deliveries?before=${before}`);
      assert.equal(bad.status, 400, `${before}: ${JSON.stringify(bad.body)}`);
      assert.match(JSON.stringify(bad.body.error), /before/);
    }
  });

  it('lists the deliveries of one pass (queued at the same instant) newest event first, page by page', async () => {
    const hook = await addHook();
    for (let i = 0; i < 12; i++) await postUser(t, acme.tokens.scim, `same-pass-${i}@acme.test`);
    await t.container.events.publishAll();
    await t.container.events.deliverDue();
    const all = await deliveries(hook.id);
    assert.equal(new Set(all.map((d) => d.createdAt)).size, 1, 'one pass queues its deliveries at one instant');
    const positions = all.map((d) => Number(d.eventPosition));
    assert.deepEqual(positions, [...positions].sort((a, b) => b - a));
    const paged: Json[] = [];
    for (let before: string | undefined; ;) {
      const page = (await api(t, acme).get(`/webhooks/${hook.id}/deliveries?limit=5${before ? `&before=${before}` : ''}`)).body.deliveries as Json[];
      if (!page.length) break;
      paged.push(...page);
      before = page.at(-1)!.id;
    }
    assert.deepEqual(paged.map((d) => d.id), all.map((d) => d.id));
  });

  it('records a network failure (nothing listening) as an attempt with the error', async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const hook = await addHook({ url });
    await postUser(t, acme.tokens.scim, 'fay@acme.test');
    await t.container.events.publishAll();
    assert.equal((await t.container.events.deliverDue()).retried, 1);
    const [delivery] = await deliveries(hook.id);
    assert.equal(delivery!.log[0].status, null);
    assert.match(delivery!.log[0].error, /ECONNREFUSED|connect/);
  });

  it('refuses at delivery time a host that now resolves to loopback (DNS rebinding), when private networks are not allowed', async () => {
    const hook = await addHook({ url: receiver.url.replace('127.0.0.1', 'localhost') });
    await postUser(t, acme.tokens.scim, 'gus@acme.test');
    await t.container.events.publishAll();
    const strict = { ...t.container.events.delivery, policy: { allowHttp: true, allowPrivateNetworks: false } };
    const report = await deliverDueWebhooks(strict, new Date());
    assert.equal(report.retried, 1);
    assert.equal(receiver.received.length, 0);
    const [delivery] = await deliveries(hook.id);
    assert.match(delivery!.log[0].error, /private, loopback or link-local/);
  });
});

describe('events: webhook SSRF rules', () => {
  let t: TestApp;
  let acme: SeededOrg;
  before(async () => {
    t = await createTestApp({ config: { webhooks: { allowHttp: false, allowPrivateNetworks: false } } });
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const refused = async (url: string, reason: RegExp) => {
    const res = await api(t, acme).post('/webhooks', { url });
    assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
    const details = JSON.stringify(res.body.error);
    assert.match(details, /url/);
    assert.match(details, reason);
  };

  it('refuses http when the operator does not allow it', () => refused('http://example.com/hook', /https/));
  it('refuses 127.0.0.1', () => refused('https://127.0.0.1/hook', /private, loopback or link-local/));
  it('refuses 10.x', () => refused('https://10.1.2.3/hook', /private, loopback or link-local/));
  it('refuses 169.254.169.254 (cloud metadata)', () => refused('https://169.254.169.254/latest/meta-data', /private, loopback or link-local/));
  it('refuses ::1', () => refused('https://[::1]/hook', /private, loopback or link-local/));
  it('refuses an IPv4-mapped IPv6 loopback', () => refused('https://[::ffff:127.0.0.1]/hook', /private, loopback or link-local/));
  it('refuses a hostname resolving to loopback (localhost)', () => refused('https://localhost/hook', /resolves to (127\.0\.0\.1|::1), which is loopback/));
  // IPv6 forms that carry an IPv4 address reach that address (through the host's stack, a 6to4 relay or
  // a NAT64 translator): each is judged by the IPv4 rules, and the ranges that cannot be judged are refused.
  for (const [url, what] of [
    ['https://[::127.0.0.1]/hook', 'IPv4-compatible loopback (::/96)'],
    ['https://[::ffff:0:7f00:1]/hook', 'IPv4-translated loopback (::ffff:0:0:0/96)'],
    ['https://[::ffff:a9fe:a9fe]/hook', 'IPv4-mapped metadata address in hex (::ffff:0:0/96)'],
    ['https://[2002:7f00:1::]/hook', '6to4 of 127.0.0.1 (2002::/16)'],
    ['https://[2002:a9fe:a9fe::]/hook', '6to4 of 169.254.169.254'],
    ['https://[64:ff9b::a00:1]/hook', 'well-known NAT64 of 10.0.0.1 (64:ff9b::/96)'],
    ['https://[64:ff9b:1::7f00:1]/hook', 'local-use NAT64 (64:ff9b:1::/48, RFC 8215)'],
    ['https://[64:ff9b:1::a9fe:a9fe]/hook', 'local-use NAT64 of 169.254.169.254'],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook', 'Teredo (2001::/32)'],
    ['https://[fec0::1]/hook', 'site-local (fec0::/10)'],
    ['https://[3fff::1]/hook', 'documentation (3fff::/20)'],
  ] as const) it(`refuses ${what}`, () => refused(url, /private, loopback or link-local/));
  it('accepts a public IPv4 address in the IPv6 forms that embed one (6to4, well-known NAT64)', async () => {
    for (const url of ['https://[2002:5db8:d70e::1]/hook', 'https://[64:ff9b::5db8:d70e]/hook', 'https://[2606:4700::1111]/hook']) {
      const res = await api(t, acme).post('/webhooks', { url });
      assert.equal(res.status, 201, `${url}: ${JSON.stringify(res.body)}`);
    }
  });
  it('refuses credentials in the URL', () => refused('https://user:pw@93.184.215.14/hook', /must not contain a user name or password/));
  it('accepts an https URL on a public address', async () => {
    const res = await api(t, acme).post('/webhooks', { url: 'https://93.184.215.14/hook' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});

describe('events: one endpoint’s slow receiver does not hold up other endpoints', function () {
  this.timeout(60_000);
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let slow: Receiver;
  let fast: Receiver;
  const SLOW_MS = 4000;

  before(async () => {
    // The production timeout (10 s), so the slow answer is an answer, not a timeout.
    t = await createTestApp({ config: { webhooks: { timeoutMs: 10_000 }, scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } } });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    slow = await startReceiver();
    fast = await startReceiver();
    for (const [org, receiver] of [[acme, slow], [globex, fast]] as const) {
      const res = await api(t, org).post('/webhooks', { url: receiver.url });
      assert.equal(res.status, 201, JSON.stringify(res.body));
    }
  });
  after(async () => {
    await t.container.events.stop();
    await slow.close();
    await fast.close();
    await t.close();
  });

  it('delivers another org’s events while the background worker waits for a slow endpoint, which is not sent twice meanwhile', async () => {
    slow.delayMs = (n) => (n === 1 ? SLOW_MS : 0);
    t.container.events.start();
    await postUser(t, acme.tokens.scim, 'first@acme.test');
    await slow.waitFor(1);
    // acme's endpoint is in flight (and stays leased): its next event waits for the first answer.
    await postUser(t, acme.tokens.scim, 'second@acme.test');
    const events = 5;
    for (let i = 0; i < events; i++) await postUser(t, globex.tokens.scim, `g${i}@globex.test`);
    await fast.waitFor(events, SLOW_MS * 2);
    assert.deepEqual(slow.answeredAt, [], `globex's ${events} events all arrived before acme's endpoint answered`);
    assert.equal(slow.received.length, 1, 'acme’s endpoint got nothing more while its first request was in flight');
    assert.ok(fast.received.every((r) => r.at - slow.received[0]!.at < SLOW_MS));
    // Once it answers, acme's endpoint gets its next event.
    await slow.waitFor(2, SLOW_MS * 3);
    assert.deepEqual(slow.received.map((r) => JSON.parse(r.body).resource.userName), ['first@acme.test', 'second@acme.test']);
  });
});
