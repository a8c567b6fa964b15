import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../../src/server.ts';
import request from 'supertest';
import { createTestApp, seedOrg, testConfig, type TestApp } from '../support/app.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { openStore } from '../../src/db/orm.ts';
import { createContainer } from '../../src/container.ts';
import { createApp } from '../../src/app.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { Writable } from 'node:stream';
import { migrate } from '../../src/db/migrate.ts';

describe('health and readiness', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('answers /healthz while the process is up', async () => {
    const res = await request(t.app).get('/healthz').expect(200);
    assert.equal(res.body.status, 'ok');
  });

  it('answers /readyz 200 when the database answers and migrations are applied', async () => {
    const res = await request(t.app).get('/readyz').expect(200);
    assert.equal(res.body.database, 'ok');
    assert.equal(res.body.migrations, 'ok');
  });

  it('answers /readyz 503 naming the pending migrations on an unmigrated database', async function () {
    this.timeout(120_000); // a fresh in-memory PGlite: its start-up takes several seconds, far more on a busy machine
    const store = await openStore({ dataDir: '', inMemory: true, databaseUrl: undefined });
    try {
      const container = createContainer({ config: testConfig(), logger: createLogger('silent'), store });
      const app = createApp(container);
      const res = await request(app).get('/readyz').expect(503);
      assert.equal(res.body.migrations, 'pending');
      assert.ok(res.body.pending.length >= 1);
      // Traffic that ignores readiness gets 503 and what to do, on both surfaces, not a 500.
      const api = await request(app).get('/api/orgs/acme/users').set('Authorization', 'Bearer gh_admin_x');
      assert.equal(api.status, 503, JSON.stringify(api.body));
      assert.equal(api.body.error.code, 'unavailable');
      assert.match(api.body.error.message, /gatehouse migrate/);
      assert.ok(api.headers['retry-after']);
      const scim = await request(app).get('/scim/v2/Users').set('Authorization', 'Bearer gh_scim_x');
      assert.equal(scim.status, 503, JSON.stringify(scim.body));
      assert.match(scim.body.detail, /gatehouse migrate/);
    } finally {
      await store.close();
    }
  });

  it('keeps serving, /readyz 503, when started without migrating on a database no migration has reached', async function () {
    this.timeout(120_000);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-unmigrated-'));
    try {
      const running = await startServer(testConfig({ dataDir, databaseUrl: undefined, migrateOnStart: false }), { logger: createLogger('silent') });
      try {
        const res = await request(running.url).get('/readyz').expect(503);
        assert.equal(res.body.migrations, 'pending');
      } finally {
        await running.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('background jobs on a store not migrated yet (MIGRATE_ON_START=false)', () => {
  it('starts the background jobs once `gatehouse migrate` has run, logging no failure before', async function () {
    this.timeout(120_000);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-jobs-wait-'));
    const database = usingPostgres ? await createPostgresDatabase(process.env.DATABASE_URL!) : undefined;
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    try {
      const running = await startServer(testConfig({ dataDir, databaseUrl: database?.url, migrateOnStart: false }), { logger: createLogger('info', sink) });
      try {
        // Each job would fail on its missing table and log the error with its stack, again and again.
        assert.equal(running.container.userCounts.started, false, 'no job runs against tables that do not exist yet');
        const waiting = lines.find((l) => l.level === 40 && /background jobs/.test(l.msg));
        assert.ok(waiting, `a warning says the jobs wait for the migrations: ${JSON.stringify(lines)}`);
        assert.match(waiting.msg, /gatehouse migrate/);
        await migrate(running.container.store.orm);
        while (!running.container.userCounts.started) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(lines.some((l) => l.level === 30 && /background jobs started/.test(l.msg)), JSON.stringify(lines));
        assert.deepEqual(lines.filter((l) => l.level >= 50), [], 'no error was logged');
      } finally {
        await running.close();
      }
    } finally {
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** A TCP relay to PostgreSQL that the test can cut and restore, to simulate an outage. */
async function startRelay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return client.destroy();
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (usingPostgres) {
  describe('database outage (PostgreSQL)', () => {
    let t: TestApp;
    before(async () => {
      t = await createTestApp();
    });
    after(() => t.close());

    it('turns /readyz red and answers 503 while the database is away, then recovers', async () => {
      const url = new URL(t.db.url!);
      const relay = await startRelay({ host: url.hostname, port: Number(url.port || 5432) });
      url.host = `127.0.0.1:${relay.port}`;
      const store = await openStore({ databaseUrl: url.toString(), dataDir: '', connectTimeoutMs: 1000 });
      const logged: Array<{ level: number; msg: string; err?: { message: string }; error?: string; readiness?: unknown }> = [];
      const logger = createLogger('warn', { write: (line: string) => void logged.push(JSON.parse(line)) });
      const container = createContainer({ config: testConfig(), logger, store });
      const app = createApp(container);
      try {
        const org = await seedOrg(container, 'outage');
        await request(app).get('/readyz').expect(200);
        await request(app).get('/api/orgs/outage').set('Authorization', `Bearer ${org.tokens.admin}`).expect(200);

        relay.cut();
        const down = await request(app).get('/api/orgs/outage').set('Authorization', `Bearer ${org.tokens.admin}`).expect(503);
        assert.equal(down.body.error.code, 'database_unavailable');
        assert.ok(down.headers['retry-after']);
        await request(app).get('/scim/v2/Users').set('Authorization', `Bearer ${org.tokens.scim}`).expect(503);
        // An outage under an IdP's push is hundreds of refused requests a second: each is one short
        // warning, not an error line with the driver's stack (the `not ready` line carries that once).
        const refused = logged.filter((line) => /request failed/.test(line.msg));
        assert.equal(refused.length, 2, JSON.stringify(logged.map((line) => line.msg)));
        for (const line of refused) {
          assert.equal(line.level, 40, JSON.stringify(line));
          assert.equal(line.err, undefined, 'no stack');
          assert.ok(line.error, 'the driver\'s message');
        }
        await new Promise((r) => setTimeout(r, 1100));
        const red = await request(app).get('/readyz').expect(503);
        assert.equal(red.body.database, 'unreachable');
        // Anyone may call /readyz: it says why in a fixed word, never the driver's text (host names, users).
        assert.deepEqual(Object.keys(red.body).sort(), ['database', 'migrations', 'ready', 'reason', 'status']);
        assert.equal(red.body.reason, 'connection_lost');
        assert.ok(!JSON.stringify(red.body).includes(String(relay.port)), JSON.stringify(red.body));

        // The operator's log has the whole message.
        const notReady = logged.find((line) => line.msg === 'not ready');
        assert.ok(notReady?.err?.message, JSON.stringify(logged.map((line) => line.msg)));

        relay.restore();
        await new Promise((r) => setTimeout(r, 1100));
        await request(app).get('/readyz').expect(200);
        await request(app).get('/api/orgs/outage').set('Authorization', `Bearer ${org.tokens.admin}`).expect(200);
      } finally {
        await store.close();
        await relay.close();
      }
    });
  });
}
