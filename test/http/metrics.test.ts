import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { seedOrg, testConfig, type SeededOrg } from '../support/app.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { userBody } from '../support/scim.ts';
import { startReceiver, type Receiver } from '../events/support.ts';
import { startFaultProxy, throughProxy, type FaultProxy } from '../reliability/support/fault-proxy.ts';

/** `name{labels}` → value, from the Prometheus text exposition. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

const SURFACES = ['scim', 'saml', 'auth', 'invitations', 'admin_api', 'console', 'health', 'other'];

describe('metrics listener (METRICS_PORT)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let running: RunningServer | undefined;
  let proxy: FaultProxy | undefined;
  let receiver: Receiver | undefined;
  let acme: SeededOrg;

  before(async function () {
    if (!usingPostgres) this.skip(); // the outage below is PostgreSQL's (a severed connection): set DATABASE_URL
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-metrics-'));
  });
  // Each test on a database of its own: what one leaves (a webhook, queued deliveries) is not another's backlog.
  beforeEach(async () => {
    database = await createPostgresDatabase(process.env.DATABASE_URL!);
  });
  afterEach(async () => {
    // After the outage test the close may never end: kysely 0.29 leaks a pooled connection whose BEGIN failed
    // (kysely-org/kysely#1990), and the pool's end waits for it. Dropping the database ends the connections.
    if (running) await Promise.race([running.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    running = undefined;
    await proxy?.close();
    proxy = undefined;
    await receiver?.close();
    receiver = undefined;
    await database?.drop();
    database = undefined;
  });
  after(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(config: Record<string, unknown> = {}, databaseUrl = database!.url): Promise<RunningServer> {
    running = await startServer(testConfig({ dataDir, databaseUrl, ...config }), { logger: createLogger('silent') });
    acme = await seedOrg(running.container, `acme${Math.random().toString(36).slice(2, 8)}`);
    return running;
  }

  async function scrape(server: RunningServer): Promise<{ text: string; values: Map<string, number>; type: string | undefined }> {
    assert.ok(server.metricsUrl, 'the metrics listener is up');
    const res = await request(server.metricsUrl).get('/metrics').buffer(true).parse((r, done) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => done(null, text));
    });
    assert.equal(res.status, 200);
    return { text: res.body as string, values: samples(res.body as string), type: res.headers['content-type'] };
  }

  it('is off by default: no listener, and /metrics on the main port is a 404', async () => {
    const server = await start();
    assert.equal(server.metricsUrl, undefined);
    await request(server.url).get('/metrics').expect(404);
  });

  it('serves the Prometheus text exposition on its own port: requests by surface, method and status, durations, process metrics', async () => {
    const server = await start({ metrics: { port: 0 } });
    const scim = (method: 'get' | 'post', url: string) => request(server.url)[method](`/scim/v2${url}`).set('Authorization', `Bearer ${acme.tokens.scim}`);
    await scim('post', '/Users').set('Content-Type', 'application/scim+json').send(userBody('ada@acme.test')).expect(201);
    await scim('get', '/Users').expect(200);
    await scim('get', '/Users').expect(200);
    await request(server.url).get(`/api/orgs/${acme.slug}`).set('Authorization', `Bearer ${acme.tokens.admin}`).expect(200);
    await request(server.url).get(`/api/orgs/${acme.slug}/users`).expect(401);
    await request(server.url).get('/healthz').expect(200);
    await request(server.url).get(`/wp-admin/${acme.slug}/setup.php`).expect(404);

    const { text, values, type } = await scrape(server);
    assert.match(type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(values.get('gatehouse_http_requests_total{surface="scim",method="POST",status="201"}'), 1, text);
    assert.equal(values.get('gatehouse_http_requests_total{surface="scim",method="GET",status="200"}'), 2);
    assert.equal(values.get('gatehouse_http_requests_total{surface="admin_api",method="GET",status="200"}'), 1);
    assert.equal(values.get('gatehouse_http_requests_total{surface="admin_api",method="GET",status="401"}'), 1);
    assert.equal(values.get('gatehouse_http_requests_total{surface="health",method="GET",status="200"}'), 1);
    assert.equal(values.get('gatehouse_http_requests_total{surface="other",method="GET",status="404"}'), 1);
    assert.equal(values.get('gatehouse_http_request_duration_seconds_count{surface="scim"}'), 3);
    assert.equal(values.get('gatehouse_http_request_duration_seconds_bucket{le="+Inf",surface="scim"}'), 3);
    assert.ok((values.get('gatehouse_http_request_duration_seconds_sum{surface="scim"}') ?? 0) > 0);
    assert.ok(values.has('gatehouse_process_cpu_user_seconds_total'), 'default process metrics, prefixed');
    assert.ok(values.has('gatehouse_nodejs_heap_size_used_bytes'));
    assert.equal(values.get('gatehouse_database_up'), 1);
    // Bounded labels: a surface from the fixed list, never a path, an org or an id.
    const surfaces = [...text.matchAll(/surface="([^"]*)"/g)].map((m) => m[1]);
    assert.ok(surfaces.length > 0);
    assert.deepEqual(surfaces.filter((s) => !SURFACES.includes(s!)), []);
    assert.doesNotMatch(text, new RegExp(acme.slug));
    assert.doesNotMatch(text, /wp-admin|setup\.php/);

    // Never on the main port, even when on.
    await request(server.url).get('/metrics').expect(404);
    // The listener serves /metrics alone.
    await request(server.metricsUrl!).get('/').expect(404);
  });

  it('reads the background work waiting in the database at scrape time: webhook deliveries queued and dead, unpublished events, imports committing', async () => {
    receiver = await startReceiver();
    receiver.respond = () => 500;
    // The publisher runs once at start-up, then only when the test calls it.
    const server = await start({ metrics: { port: 0 }, events: { publishIntervalMs: 60_000 } });
    const db = new pg.Client({ connectionString: database!.url });
    await db.connect();
    try {
      const count = async (text: string) => Number((await db.query<{ n: string }>(text)).rows[0]!.n);
      const admin = (method: 'get' | 'post', url: string) => request(server.url)[method](`/api/orgs/${acme.slug}${url}`).set('Authorization', `Bearer ${acme.tokens.admin}`);
      const hook = await admin('post', '/webhooks').send({ url: receiver.url }).expect(201);
      await request(server.url).post('/scim/v2/Users').set('Authorization', `Bearer ${acme.tokens.scim}`)
        .set('Content-Type', 'application/scim+json').send(userBody('grace@acme.test')).expect(201);

      const before = (await scrape(server)).values;
      const unpublished = await count('select count(*) as n from events where position is null');
      assert.ok(unpublished >= 1);
      assert.equal(before.get('gatehouse_events_unpublished'), unpublished);
      assert.ok((before.get('gatehouse_events_oldest_unpublished_age_seconds') ?? -1) >= 0);
      assert.equal(before.get('gatehouse_webhook_deliveries_waiting'), 0);
      assert.equal(before.get('gatehouse_webhook_deliveries_dead'), 0);
      assert.equal(before.get('gatehouse_csv_imports_committing'), 0);

      // Published, sent, refused by the receiver: each delivery waits in the retry queue.
      await server.container.events.publishAll();
      let pending = 0;
      for (let i = 0; i < 500 && pending === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        pending = await count(`select count(*) as n from webhook_deliveries where status = 'pending'`);
      }
      assert.ok(pending >= 1, 'a failed delivery is queued');
      const queued = (await scrape(server)).values;
      assert.equal(queued.get('gatehouse_webhook_deliveries_waiting'), pending);
      assert.equal(queued.get('gatehouse_events_unpublished'), 0);
      assert.equal(queued.get('gatehouse_events_oldest_unpublished_age_seconds'), 0);

      // What a retry that runs out of time and a commit under way leave behind.
      await db.query(`update webhook_deliveries set status = 'dead', dead_at = now() where id = (select id from webhook_deliveries where webhook_id = $1 limit 1)`, [hook.body.id]);
      const preview = await admin('post', '/imports?mode=upsert').set('Content-Type', 'text/csv').send('email\nlin@acme.test\n').expect(201);
      await db.query(`update csv_imports set status = 'committing' where id = $1`, [preview.body.id]);
      const after = (await scrape(server)).values;
      assert.equal(after.get('gatehouse_webhook_deliveries_dead'), 1);
      assert.equal(after.get('gatehouse_webhook_deliveries_waiting'), pending - 1);
      assert.equal(after.get('gatehouse_csv_imports_committing'), 1);
    } finally {
      await db.end();
    }
  });

  it('shows how far enabled webhook endpoints are behind the feed: events not sent yet, the oldest one\'s age, and endpoints stalled', async () => {
    receiver = await startReceiver();
    const release = receiver.hold();
    const server = await start({ metrics: { port: 0 }, events: { publishIntervalMs: 60_000 } });
    const db = new pg.Client({ connectionString: database!.url });
    await db.connect();
    try {
      const admin = (method: 'post', url: string) => request(server.url)[method](`/api/orgs/${acme.slug}${url}`).set('Authorization', `Bearer ${acme.tokens.admin}`);
      const hook = await admin('post', '/webhooks').send({ url: receiver.url }).expect(201);
      const idle = (await scrape(server)).values;
      assert.deepEqual([idle.get('gatehouse_webhook_events_behind'), idle.get('gatehouse_webhook_oldest_unsent_age_seconds'), idle.get('gatehouse_webhook_endpoints_stalled')], [0, 0, 0]);

      for (const name of ['ada', 'alan']) {
        await request(server.url).post('/scim/v2/Users').set('Authorization', `Bearer ${acme.tokens.scim}`)
          .set('Content-Type', 'application/scim+json').send(userBody(`${name}@acme.test`)).expect(201);
      }
      await server.container.events.publishAll();
      // Sent, and held by the receiver: the endpoint's cursor moves only once the answers are recorded.
      await receiver.waitFor(1);
      const [expected] = (await db.query<{ behind: string }>(
        'select h.position - w.cursor_position as behind from webhooks w join event_feed_heads h on h.org_id = w.org_id where w.id = $1', [hook.body.id])).rows;
      assert.ok(Number(expected!.behind) >= 2, String(expected!.behind));
      const behind = (await scrape(server)).values;
      assert.equal(behind.get('gatehouse_webhook_events_behind'), Number(expected!.behind));
      assert.ok((behind.get('gatehouse_webhook_oldest_unsent_age_seconds') ?? 0) > 0);
      assert.equal(behind.get('gatehouse_webhook_endpoints_stalled'), 0);

      // A stalled endpoint (owed events pruned) waits for an admin: counted as stalled, not as behind.
      await db.query(`update webhooks set stalled_reason = 'cursor_expired', stalled_at = now() where id = $1`, [hook.body.id]);
      const stalled = (await scrape(server)).values;
      assert.deepEqual([stalled.get('gatehouse_webhook_events_behind'), stalled.get('gatehouse_webhook_oldest_unsent_age_seconds'), stalled.get('gatehouse_webhook_endpoints_stalled')], [0, 0, 1]);
    } finally {
      release();
      await db.end();
    }
  });

  it('answers a scrape while the database is away with the process metrics and gatehouse_database_up 0, and counts the failing background jobs', async () => {
    const target = new URL(database!.url);
    proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    // The jobs that open transactions run once at start-up and not again during the test (fewer BEGINs to fail and
    // leak, see afterEach); the user count compaction (one statement, every 5 s) is the job seen failing.
    const idle = { pollIntervalMs: 600_000 };
    const server = await start({ metrics: { port: 0 }, mail: idle, webhooks: idle, events: { publishIntervalMs: 60_000, expiryIntervalMs: 600_000 } }, throughProxy(database!.url, proxy));
    const up = (await scrape(server)).values;
    assert.equal(up.get('gatehouse_database_up'), 1);
    assert.equal(up.get('gatehouse_job_failures_total{job="user count compaction"}'), 0, 'each job is listed from the start');
    assert.equal(up.get('gatehouse_job_failures_total{job="event publisher"}'), 0);

    proxy.down();
    const { text, values } = await scrape(server);
    assert.equal(values.get('gatehouse_database_up'), 0, text);
    assert.ok(values.has('gatehouse_process_cpu_user_seconds_total'));
    // Unknown while the database is away: no sample, rather than a 0 that reads as "nothing waiting".
    assert.equal(values.has('gatehouse_webhook_deliveries_waiting'), false);
    assert.match(text, /^# TYPE gatehouse_webhook_deliveries_waiting gauge$/m);

    let failures = 0;
    for (let i = 0; i < 1000 && failures === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      failures = (await scrape(server)).values.get('gatehouse_job_failures_total{job="user count compaction"}') ?? 0;
    }
    assert.ok(failures >= 1, 'the job failing against the absent database is counted');

    proxy.up();
    let back = 0;
    for (let i = 0; i < 500 && back === 0; i++) back = (await scrape(server)).values.get('gatehouse_database_up') ?? 0;
    assert.equal(back, 1);
  });
});
