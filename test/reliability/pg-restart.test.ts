import assert from 'node:assert/strict';
import pg from 'pg';
import { runCli } from '../support/cli.ts';
import { usingPostgres } from '../support/db.ts';
import { call, scimUser, waitUntil } from './support/http.ts';
import { killInstance, startInstance, type Instance } from './support/instance.ts';
import { assertOnlyCreatedOrUnavailable, runLoad } from './support/load.ts';
import { postgresBinaries, startPrivatePostgres, type PrivatePostgres } from './support/private-postgres.ts';
import { report } from './support/report.ts';

/**
 * Issue 9, "Faults", literally: PostgreSQL itself stopped and started again
 * (pg_ctl, fast shutdown) while a Gatehouse process takes SCIM writes. A
 * private cluster, so the machine's shared server is never touched.
 */
describe('faults: a real PostgreSQL restart under load', function () {
  this.timeout(300_000);
  let server: PrivatePostgres | undefined;
  let instance: Instance | undefined;

  before(async function () {
    const bin = postgresBinaries();
    if (!usingPostgres || !bin) return this.skip(); // needs the PostgreSQL server binaries (set DATABASE_URL where they are)
    server = await startPrivatePostgres(bin);
  });
  after(async () => {
    await killInstance(instance);
    await server?.destroy();
  });

  it('answers 503 while the server is down, turns /readyz red, recovers by itself when it is back, and loses or half-writes nothing', async () => {
    const env = { DATABASE_URL: server!.url, NODE_ENV: 'test', DATA_DIR: '/nonexistent' };
    assert.equal((await runCli(['org', 'create', '--slug', 'restart', '--name', 'Restart'], env)).code, 0);
    const created = await runCli(['token', 'create', '--org', 'restart', '--scope', 'scim', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const token = String(JSON.parse(created.stdout).token);
    instance = await startInstance('pg-restart', server!.url);
    const load = runLoad(instance.url, 6, (n) => ({ method: 'POST', path: '/scim/v2/Users', token, body: scimUser(`r${n}@restart.test`), label: `r${n}@restart.test` }));
    const readyz = () => call(instance!.url, 'GET', '/readyz', { timeoutMs: 30_000 });
    try {
      await waitUntil('20 users created before the restart', 60_000, () => load.outcomes.filter((o) => o.reply?.status === 201).length >= 20);
      const stoppedAt = load.elapsed();
      await server!.stop();
      await waitUntil('answers while the server is down', 60_000, () => load.since(stoppedAt).filter((o) => o.reply?.status === 503).length >= 10);
      await waitUntil('/readyz red', 30_000, async () => (await readyz()).status === 503);
      const startedAt = load.elapsed();
      await server!.start();
      const recoveryMs = await waitUntil('a user created after the restart', 60_000, () => load.since(startedAt).some((o) => o.reply?.status === 201));
      const readyMs = await waitUntil('/readyz green again', 60_000, async () => (await readyz()).status === 200);
      await waitUntil('20 more users created', 60_000, () => load.since(startedAt).filter((o) => o.reply?.status === 201).length >= 20);
      await load.stop();

      const outcomes = load.outcomes;
      const unavailable = assertOnlyCreatedOrUnavailable(outcomes);
      assert.equal(instance.child.exitCode, null, 'the process never exited');

      const client = new pg.Client({ connectionString: server!.url });
      await client.connect();
      try {
        const count = async (sql: string) => Number((await client.query(sql)).rows[0].n);
        const stored = (await client.query(`select user_name from users`)).rows.map((r) => String(r.user_name));
        const ok = new Set(outcomes.filter((o) => o.reply!.status === 201).map((o) => o.label));
        for (const name of ok) assert.ok(stored.includes(name), `${name} got 201 but is not stored`);
        // Complete, whether its answer was 201 or a 503 whose commit got through: one audit row and one event each.
        assert.equal(await count(`select count(*)::int as n from audit_events where action = 'user.created'`), stored.length);
        assert.equal(await count(`select count(*)::int as n from events where type = 'user.created'`), stored.length);
        report('faults.pgRestart', {
          requests: outcomes.length, created: ok.size, unavailable: unavailable.length, stored: stored.length,
          max503Ms: Math.round(Math.max(...unavailable.map((o) => o.ms))), recoveryMs, readyMs,
        });
      } finally {
        await client.end();
      }
    } finally {
      await load.stop();
    }
  });
});
