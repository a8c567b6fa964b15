import assert from 'node:assert/strict';
import pg from 'pg';
import { startServer, type RunningServer } from '../../src/server.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { openStore } from '../../src/db/orm.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { seedOrg, testConfig, type SeededOrg } from '../support/app.ts';
import { userBody } from '../support/scim.ts';
import { startReceiver, type Receiver } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * Issue 8: "cursor completeness under concurrent writers on two app
 * instances". Two servers on one PostgreSQL database (each with its own
 * publisher and delivery worker running) take SCIM writes concurrently while a
 * consumer pages the feed storing only its cursor; a transaction held open
 * across publisher passes commits late. Needs real PostgreSQL (PGlite is one
 * process, one connection).
 */
describe('events: two instances writing concurrently', function () {
  this.timeout(240_000);
  let db: { url: string; drop(): Promise<void> } | undefined;
  let servers: RunningServer[] = [];
  let org: SeededOrg;
  let other: SeededOrg;
  let receiver: Receiver;

  before(async function () {
    if (!usingPostgres) this.skip();
    db = await createPostgresDatabase(process.env.DATABASE_URL!);
    const store = await openStore({ databaseUrl: db.url, dataDir: '' });
    await migrate(store.orm);
    await store.close();
    const config = testConfig({
      databaseUrl: db.url,
      migrateOnStart: false,
      scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } },
      events: { publishIntervalMs: 20 },
      webhooks: { pollIntervalMs: 20 },
    });
    servers = [await startServer(config, { logger: createLogger('silent') }), await startServer(config, { logger: createLogger('silent') })];
    org = await seedOrg(servers[0]!.container, 'acme');
    other = await seedOrg(servers[0]!.container, 'globex');
    receiver = await startReceiver();
    const hook = await fetch(`${servers[0]!.url}/api/orgs/acme/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, eventTypes: ['user.created'] }),
    });
    assert.equal(hook.status, 201);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await receiver?.close();
    await db?.drop();
  });

  it('lets a consumer that stores its cursor see every event exactly once, in order, numbered 1, 2, 3… while another org writes too, and webhooks deliver each once', async () => {
    const perInstance = 60;
    const expected = perInstance * 2 + 1;
    const seen: Json[] = [];
    let cursor = '0';
    let writing = true;
    const consumer = (async () => {
      for (let i = 0; ; i++) {
        const server = servers[i % 2]!;
        const res = await fetch(`${server.url}/api/orgs/acme/events?after=${cursor}&limit=50`, { headers: { authorization: `Bearer ${org.tokens.admin}` } });
        assert.equal(res.status, 200);
        const page = (await res.json()) as { events: Json[]; cursor: string; hasMore: boolean };
        seen.push(...page.events);
        cursor = page.cursor;
        if (!writing && !page.hasMore && seen.filter((e) => e.type === 'user.created').length >= expected) return;
        if (!page.hasMore) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    // A transaction that writes an event and commits only after many others have been published.
    const late = new pg.Client({ connectionString: db!.url });
    await late.connect();
    await late.query('begin');
    const lateUser = await late.query(
      `insert into users (id, org_id, user_name, source, state, version, created_at, updated_at)
       values (gen_random_uuid(), $1, 'late@acme.test', 'admin', 'active', 1, now(), now()) returning id`,
      [org.id],
    );
    await late.query(
      `insert into audit_events (org_id, at, actor_type, actor_label, action, target_type, target_id, target_label, details)
       values ($1, now(), 'system', 'test', 'user.created', 'user', $2, 'late@acme.test', '{}')`,
      [org.id, lateUser.rows[0].id],
    );

    const created: string[] = [];
    await Promise.all(
      servers.map(async (server, n) => {
        const pending: Array<Promise<void>> = [];
        for (let i = 0; i < perInstance; i++) {
          pending.push(
            (async () => {
              const res = await fetch(`${server.url}/scim/v2/Users`, {
                method: 'POST',
                headers: { authorization: `Bearer ${org.tokens.scim}`, 'content-type': 'application/scim+json' },
                body: JSON.stringify(userBody(`u${n}-${i}@acme.test`)),
              });
              assert.equal(res.status, 201);
              created.push(String(((await res.json()) as Json).id));
              // Another org writes as often, on the same instances: it must not show in acme's positions.
              const elsewhere = await fetch(`${server.url}/scim/v2/Users`, {
                method: 'POST',
                headers: { authorization: `Bearer ${other.tokens.scim}`, 'content-type': 'application/scim+json' },
                body: JSON.stringify(userBody(`o${n}-${i}@globex.test`)),
              });
              assert.equal(elsewhere.status, 201);
            })(),
          );
          if (pending.length >= 8) await Promise.race(pending.splice(0, 1));
          if (n === 0 && i === perInstance / 2) {
            await late.query('commit');
            created.push(String(lateUser.rows[0].id));
          }
        }
        await Promise.all(pending);
      }),
    );
    await late.end();
    writing = false;
    await consumer;

    const ids = seen.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    const positions = seen.map((e) => BigInt(e.position));
    assert.ok(positions.every((p, i) => i === 0 || p > positions[i - 1]!), 'positions strictly increase');
    assert.deepEqual(positions, positions.map((_, i) => BigInt(i + 1)), "acme's positions are 1, 2, 3… whatever globex wrote");
    const createdSeen = seen.filter((e) => e.type === 'user.created').map((e) => String(e.resource.id));
    assert.deepEqual([...createdSeen].sort(), [...created].sort(), 'every committed user.created seen, including the late commit');

    await receiver.waitFor(expected, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const delivered = receiver.received.map((r) => String(r.headers['x-gatehouse-event-id']));
    assert.equal(delivered.length, expected, 'each event delivered once across both instances');
    assert.deepEqual(new Set(delivered), new Set(seen.filter((e) => e.type === 'user.created').map((e) => e.id)));
  });
});
