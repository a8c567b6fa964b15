import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { makeTarget, send } from './load.ts';
import { seedEmptyOrg } from './seed.ts';
import { spawnServer, startFlags } from './server.ts';
import { cpuMs, memoryOf } from './support.ts';

/**
 * A micro-measurement for tuning the webhook delivery path, next to `npm run bench -- webhooks`:
 * the CPU time one delivery costs the server process and PostgreSQL, without SCIM load around it.
 * It writes N users with the endpoint disabled, enables it, then per run either moves the
 * endpoint's feed cursor back to 0 (`feed`: the path of every published event) or replays the N
 * events into the retry queue (`replay`: one statement), and measures until all are delivered and
 * recorded. On a shared, busy machine the deliveries/s swing; CPU per delivery hardly does.
 *
 *   node bench/webhook-probe.ts [events=3000] [repeats=3] [feed|replay] [--cpu-prof=dir]
 */

const [eventsArg = '3000', repeatsArg = '3', path_ = 'feed'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const EVENTS = Number(eventsArg);
const profileDir = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);

const { databaseUrl, scim, admin } = await seedEmptyOrg('gatehouse_probe_webhooks', 'probe');

let received = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    received++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;

const env = {
    ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production', MIGRATE_ON_START: 'false',
    SESSION_SECRET: randomBytes(24).toString('hex'), DATA_DIR: path.join(os.tmpdir(), 'gatehouse-probe-webhooks'),
    SCIM_RATE_LIMIT_RPS: '1000000', SCIM_RATE_LIMIT_BURST: '1000000', WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
};
let server = await spawnServer({ name: 'gatehouse', script: 'src/main.ts', flags: startFlags(), env });
let adminTarget = makeTarget(server.baseUrl, admin, 2);
const adminCall = async (method: 'POST' | 'PATCH', p: string, body?: unknown) => {
  const res = await send(adminTarget, { method, path: `/api/orgs/probe${p}`, body });
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, unknown>;
};
const hookId = String((await adminCall('POST', '/webhooks', { url: hookUrl, enabled: false })).id);

const scimTarget = makeTarget(server.baseUrl, scim, 10);
let made = 0;
await Promise.all(Array.from({ length: 10 }, async () => {
  while (made < EVENTS) {
    const name = `probe-${made++}@bench.example`;
    const res = await send(scimTarget, { method: 'POST', path: '/scim/v2/Users', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name,
      name: { givenName: 'Web', familyName: 'Hook' }, emails: [{ value: name, type: 'work', primary: true }], active: true } });
    if (res.status !== 201) throw new Error(`seeding: ${res.status} ${JSON.stringify(res.body)}`);
  }
}));

// A fresh server for the measured part, so a profile holds the deliveries only.
await server.stop();
scimTarget.agent.destroy();
adminTarget.agent.destroy();
server = await spawnServer({ name: 'gatehouse', script: 'src/main.ts', flags: [...startFlags(), ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])], env });
adminTarget = makeTarget(server.baseUrl, admin, 2);

const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const dbName = new URL(databaseUrl).pathname.slice(1);
const one = async (sql: string, params: unknown[] = []) => Number(Object.values((await db.query(sql, params)).rows[0] as object)[0]);
while ((await one('select count(*) from events where position is null')) > 0) await new Promise((r) => setTimeout(r, 50));
const events = await one('select count(*) from events');
await adminCall('PATCH', `/webhooks/${hookId}`, { enabled: true });
await new Promise((r) => setTimeout(r, 500));

// Backends come and go with the pool: each one's CPU as last seen, sampled while waiting, so one that exits mid-run still counts.
const seen = new Map<number, number>();
const sampleBackends = async () => {
  for (const { pid } of (await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName])).rows) {
    const ms = cpuMs(pid);
    if (ms) seen.set(pid, ms);
  }
};
const backendCpu = async () => {
  await sampleBackends();
  return [...seen.values()].reduce((a, b) => a + b, 0);
};
const commits = () => one('select xact_commit + xact_rollback from pg_stat_database where datname = $1', [dbName]);
for (let run = 0; run < Number(repeatsArg); run++) {
  const before = { server: cpuMs(server.child.pid), db: await backendCpu(), xacts: await commits(), received, at: performance.now() };
  let queued = events;
  if (path_ === 'replay') queued = Number((await adminCall('POST', `/webhooks/${hookId}/replay?from=0&limit=10000`)).queued);
  else await db.query('update webhooks set cursor_position = 0');
  const replayDb = (await backendCpu()) - before.db;
  const behind = `select (select count(*) from webhook_deliveries where status = 'pending')
    + (select count(*) from webhooks w where w.cursor_position < (select max(position) from events where org_id = w.org_id) or w.cursor_leased_until > now())`;
  while ((await one(behind)) > 0) {
    await sampleBackends();
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - before.at) / 1000;
  const n = queued;
  const spent = { server: cpuMs(server.child.pid) - before.server, db: (await backendCpu()) - before.db, xacts: (await commits()) - before.xacts - 1 };
  const per = (ms: number) => ((ms / n) * 1000).toFixed(0);
  console.log(`${path_} ${run + 1}: ${n} deliveries (${received - before.received} received) in ${seconds.toFixed(2)} s = ${(n / seconds).toFixed(0)}/s; ` +
    `CPU/delivery server ${per(spent.server)} µs, db ${per(spent.db)} µs (${per(replayDb)} of it queuing); transactions ${(spent.xacts / n).toFixed(3)}/delivery; load ${os.loadavg()[0]!.toFixed(1)}`);
}
const rss = memoryOf(server.child.pid);
console.log(`${made} writes, ${events} events; server RSS ${rss?.rss.toFixed(0)} MiB (peak ${rss?.peak.toFixed(0)} MiB)`);
await db.end();
await server.stop();
adminTarget.agent.destroy();
await new Promise<void>((resolve) => receiver.close(() => resolve()));
