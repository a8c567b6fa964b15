import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { usingPostgres } from '../support/db.ts';
import { createScimTestApp, postUser, scimRequest, sql } from '../support/scim.ts';
import { api } from '../people/support.ts';
import { startReceiver, type Receiver } from './support.ts';
import { DeliveryWorker } from '../../src/directory/webhook-worker.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * A webhook endpoint whose next events were pruned before it was sent them
 * (its receiver down, or too slow, for longer than the retention) is not moved
 * on past them silently, as the feed answers such a cursor 410: the prune
 * marks it stalled (`cursor_expired`), audits that once as the system, and it
 * is sent nothing until an admin resumes it — from the oldest retained event,
 * or from a cursor they choose — or enables it again after disabling it.
 */
describe('events: a webhook endpoint behind the retention is stalled, not moved on', () => {
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
  /** Each test's endpoints, removed after it: a delivery pass serves every org's, so none is left to the next test. */
  let made: Array<{ org: SeededOrg; id: string }> = [];
  beforeEach(() => {
    receiver.received.length = 0;
    receiver.respond = () => 200;
  });
  afterEach(async () => {
    for (const { org, id } of made) await api(t, org).delete(`/webhooks/${id}`);
    made = [];
  });

  async function addHook(org: SeededOrg, body: Json = {}): Promise<Json> {
    const res = await api(t, org).post('/webhooks', { url: receiver.url, ...body });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    made.push({ org, id: res.body.id });
    return res.body;
  }

  /** A new org with an endpoint (sent nothing yet) and `count` published events after it, positions 1…count. */
  async function orgWithHook(count: number, hookBody: Json = {}): Promise<{ org: SeededOrg; hook: Json }> {
    const org = await seedOrg(t.container, `stall${++orgs}`);
    const hook = await addHook(org, hookBody);
    for (let i = 0; i < count; i++) await postUser(t, org.tokens.scim, `p${i}@${org.slug}.test`);
    await t.container.events.publishAll();
    return { org, hook };
  }

  /** Makes the org's events at these positions older than the retention, then runs the prune job. */
  async function age(org: SeededOrg, positions: number[]): Promise<number> {
    await sql(t, `update events set occurred_at = now() - interval '40 days' where org_id = ? and position = any(?::bigint[])`, [org.id, `{${positions.join(',')}}`]);
    return (await t.container.events.prune()).pruned;
  }

  const read = async (org: SeededOrg, id: string): Promise<Json> => {
    const res = await api(t, org).get(`/webhooks/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  /** Positions this org's events were sent at, in the order received. */
  const sentTo = (org: SeededOrg) => receiver.received.map((r) => JSON.parse(r.body) as Json).filter((e) => e.org.slug === org.slug).map((e) => e.position);
  const audits = (hookId: string, action: string) =>
    sql(t, 'select actor_type, actor_label, details from audit_events where target_id = ? and action = ? order by id', [hookId, action]) as Promise<Json[]>;

  it('marks an endpoint whose next events were pruned, audits it once as the system, and sends it nothing past the gap', async () => {
    const { org, hook } = await orgWithHook(5);
    assert.equal(await age(org, [1, 2, 3]), 3);

    const { stalled } = await read(org, hook.id);
    assert.ok(stalled, 'stalled');
    assert.match(stalled.since, /^\d{4}-\d\d-\d\dT/);
    const { since: _since, ...range } = stalled;
    assert.deepEqual(range, { reason: 'cursor_expired', cursor: '0', firstMissingPosition: '1', oldestPosition: '4', head: '5' });
    const listed = (await api(t, org).get('/webhooks')).body.webhooks as Json[];
    assert.deepEqual(listed.map((w) => w.stalled), [stalled], 'the list shows it too');

    assert.deepEqual(await t.container.events.deliverDue(), { delivered: 0, retried: 0, dead: 0 });
    assert.deepEqual(sentTo(org), [], 'neither the retained events after the gap nor anything else');
    assert.deepEqual((await api(t, org).get(`/webhooks/${hook.id}/deliveries`)).body.deliveries, []);

    const marked = await audits(hook.id, 'webhook.stalled');
    assert.equal(marked.length, 1);
    assert.equal(marked[0]!.actor_type, 'system');
    assert.deepEqual(marked[0]!.details, { reason: 'cursor_expired', cursor: '0', firstMissingPosition: '1', oldestPosition: '4' });

    // Later prunes and passes neither mark nor audit it again; the live range moves on.
    assert.equal(await age(org, [4]), 1);
    await t.container.events.prune();
    await t.container.events.deliverDue();
    assert.equal((await audits(hook.id, 'webhook.stalled')).length, 1);
    const again = (await read(org, hook.id)).stalled;
    assert.equal(again.since, stalled.since);
    assert.equal(again.firstMissingPosition, '1');
    assert.equal(again.oldestPosition, '5');
    assert.deepEqual(sentTo(org), []);
  });

  it('resumes at the oldest retained event when the admin asks, audited, and then delivers what follows the gap in order', async () => {
    const { org, hook } = await orgWithHook(5);
    await age(org, [1, 2, 3]);
    const resumed = await api(t, org).post(`/webhooks/${hook.id}/resume`);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    assert.equal(resumed.body.stalled, null);
    assert.equal(resumed.body.id, hook.id);

    assert.equal((await t.container.events.deliverDue()).delivered, 2);
    assert.deepEqual(sentTo(org), ['4', '5']);
    const [audit] = await audits(hook.id, 'webhook.resumed');
    assert.equal(audit!.actor_type, 'admin_token');
    assert.deepEqual(audit!.details, { from: '3', stalled: { reason: 'cursor_expired', cursor: '0', firstMissingPosition: '1' } });

    const twice = await api(t, org).post(`/webhooks/${hook.id}/resume`);
    assert.equal(twice.status, 409, JSON.stringify(twice.body));
    assert.equal(twice.body.error.code, 'invalid_transition');
    assert.equal(twice.body.error.details.reason, 'not_stalled');
  });

  it('resumes from a cursor the admin gives (the head: from now on), and refuses a pruned one with 410 naming from, one past the head or not a cursor with 400 naming from, changing nothing', async () => {
    const { org, hook } = await orgWithHook(5);
    await age(org, [1, 2, 3]);

    const expired = await api(t, org).post(`/webhooks/${hook.id}/resume?from=2`);
    assert.equal(expired.status, 410, JSON.stringify(expired.body));
    assert.equal(expired.body.error.code, 'cursor_expired');
    assert.equal(expired.body.error.details.field, 'from');
    assert.equal(expired.body.error.details.oldestPosition, '4');
    for (const from of ['6', 'abc']) {
      const bad = await api(t, org).post(`/webhooks/${hook.id}/resume?from=${from}`);
      assert.equal(bad.status, 400, `${from}: ${JSON.stringify(bad.body)}`);
      assert.deepEqual(bad.body.error.details.problems.map((p: Json) => p.field), ['from']);
    }
    assert.ok((await read(org, hook.id)).stalled, 'still stalled');
    assert.deepEqual(await audits(hook.id, 'webhook.resumed'), []);

    const atHead = await api(t, org).post(`/webhooks/${hook.id}/resume?from=5`);
    assert.equal(atHead.status, 200, JSON.stringify(atHead.body));
    assert.equal((await t.container.events.deliverDue()).delivered, 0);
    await postUser(t, org.tokens.scim, `later@${org.slug}.test`);
    await t.container.events.publishAll();
    assert.equal((await t.container.events.deliverDue()).delivered, 1);
    assert.deepEqual(sentTo(org), ['6']);
    assert.equal((await audits(hook.id, 'webhook.resumed'))[0]!.details.from, '5');
  });

  it('keeps delivering to an endpoint that had been sent everything the prune deleted, and to one whose filter wanted none of it', async () => {
    const { org, hook } = await orgWithHook(5);
    const picky = await addHook(org, { eventTypes: ['user.deleted'] });
    assert.equal((await t.container.events.deliverDue()).delivered, 5);
    // As if it had been there all along, not yet past the five events (none of them a user.deleted).
    await sql(t, 'update webhooks set cursor_position = 0 where id = ?', [picky.id]);

    await age(org, [1, 2, 3]);
    assert.equal((await read(org, hook.id)).stalled, null);
    assert.equal((await read(org, picky.id)).stalled, null, 'no pruned event would have been sent to it');
    assert.deepEqual(await audits(hook.id, 'webhook.stalled'), []);

    const user = await postUser(t, org.tokens.scim, `next@${org.slug}.test`);
    await scimRequest(t, org.tokens.scim, 'delete', `/Users/${user.id}`);
    await t.container.events.publishAll();
    receiver.received.length = 0;
    assert.equal((await t.container.events.deliverDue()).delivered, 3, 'user.created and user.deleted to the first, user.deleted to the picky one');
    assert.deepEqual(sentTo(org).sort(), ['6', '7', '7']);
  });

  it("stalls no endpoint of another org: each org's prune is its own, and another org can neither read nor resume a stalled endpoint", async () => {
    const pruned = await orgWithHook(3);
    const kept = await orgWithHook(3);
    await age(pruned.org, [1, 2]);
    assert.ok((await read(pruned.org, pruned.hook.id)).stalled);
    assert.equal((await read(kept.org, kept.hook.id)).stalled, null);

    await t.container.events.deliverDue();
    assert.deepEqual(sentTo(kept.org), ['1', '2', '3']);
    assert.deepEqual(sentTo(pruned.org), []);
    assert.equal((await api(t, kept.org).get(`/webhooks/${pruned.hook.id}`)).status, 404);
    assert.equal((await api(t, kept.org).post(`/webhooks/${pruned.hook.id}/resume`)).status, 404);
    assert.ok((await read(pruned.org, pruned.hook.id)).stalled, 'still stalled');
  });

  it('stalls no disabled endpoint (enabled again, it starts at the newest event, as always); enabling a stalled endpoint again ends its stall there, audited', async () => {
    const off = await orgWithHook(3, { enabled: false });
    await age(off.org, [1, 2]);
    assert.equal((await read(off.org, off.hook.id)).stalled, null);
    assert.deepEqual(await audits(off.hook.id, 'webhook.stalled'), []);

    const { org, hook } = await orgWithHook(3);
    await age(org, [1, 2]);
    assert.equal((await api(t, org).patch(`/webhooks/${hook.id}`, { enabled: false })).status, 200);
    assert.ok((await read(org, hook.id)).stalled, 'disabling it keeps the stall');
    const refused = await api(t, org).post(`/webhooks/${hook.id}/resume`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.error.details.reason, 'endpoint_disabled');

    const enabled = await api(t, org).patch(`/webhooks/${hook.id}`, { enabled: true });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    assert.equal(enabled.body.stalled, null);
    const updates = await audits(hook.id, 'webhook.updated');
    assert.deepEqual(updates.at(-1)!.details.changes, { enabled: { from: false, to: true }, stalled: { from: 'cursor_expired', to: null } });
    await t.container.events.deliverDue();
    assert.deepEqual(sentTo(org), [], 'from the newest event on');
    await postUser(t, org.tokens.scim, `back@${org.slug}.test`);
    await t.container.events.publishAll();
    await t.container.events.deliverDue();
    assert.deepEqual(sentTo(org), ['4']);
  });

  it('records the other endpoints of a statement when one page in it holds an event the prune deleted meanwhile; that endpoint stays behind the gap, stalled', async () => {
    const a = await orgWithHook(2);
    const b = await orgWithHook(2);
    // Both pages leased and sent; the answers are held while the prune deletes A's events.
    const release = receiver.hold();
    const worker = new DeliveryWorker(t.container.events.delivery);
    const pass = await worker.pass(new Date());
    try {
      await receiver.waitFor(4);
      assert.equal(await age(a.org, [1, 2]), 2);
    } finally {
      release();
    }
    assert.deepEqual(await pass.done, { delivered: 4, retried: 0, dead: 0 }, 'the pass settles: no foreign key error');

    const deliveries = (await api(t, b.org).get(`/webhooks/${b.hook.id}/deliveries`)).body.deliveries as Json[];
    assert.deepEqual(deliveries.map((d) => d.status), ['delivered', 'delivered'], "B's page recorded");
    const [bRow] = (await sql(t, 'select cursor_position::text as cursor from webhooks where id = ?', [b.hook.id])) as Json[];
    assert.equal(bRow!.cursor, '2');
    const { stalled } = await read(a.org, a.hook.id);
    assert.deepEqual([stalled?.cursor, stalled?.firstMissingPosition], ['0', '1'], 'A: its page is not recorded, as the stall says');
    assert.deepEqual((await api(t, a.org).get(`/webhooks/${a.hook.id}/deliveries`)).body.deliveries, []);
  });

  it('judges an endpoint whose cursor moves while the prune runs by where that cursor ends up (a page recorded meanwhile)', async function () {
    if (!usingPostgres) return this.skip(); // two connections at once: PGlite has one
    for (const [movedTo, stalls] of [[3, false], [1, true]] as const) {
      const { org, hook } = await orgWithHook(4);
      await sql(t, `update events set occurred_at = now() - interval '40 days' where org_id = ? and position <= 2`, [org.id]);
      // A worker records a page: its statement holds the endpoint's row while the prune runs.
      let release!: () => void;
      let held!: () => void;
      const holding = new Promise<void>((resolve) => (held = resolve));
      const recorder = t.container.fork().transactional(async (tx) => {
        await tx.execute('update webhooks set cursor_position = ? where id = ?', [movedTo, hook.id]);
        held();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await holding;
      const prune = t.container.events.prune();
      try {
        // The prune waits for that row before it judges the endpoint.
        for (let tries = 0; ; tries++) {
          const waiting = await sql(t, `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`) as Json[];
          if (waiting[0]!.n > 0) break;
          assert.ok(tries < 100, 'the prune never waited for the endpoint row');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      } finally {
        release();
        await recorder;
      }
      assert.equal((await prune).pruned, 2);
      const { stalled } = await read(org, hook.id);
      if (!stalls) assert.equal(stalled, null, `sent up to ${movedTo}: nothing it was owed is gone`);
      else assert.deepEqual([stalled.cursor, stalled.firstMissingPosition], ['1', '2']);
    }
  });
});
