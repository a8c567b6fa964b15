import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openStore } from '../src/db/orm.ts';
import { migrate } from '../src/db/migrate.ts';
import { createOrg } from '../src/directory/orgs.ts';
import { createApiToken } from '../src/directory/tokens.ts';
import { makeTarget, runLoad, send, type Scenario, type Target } from './load.ts';
import { machine } from './report.ts';
import { recreateDatabase } from './support.ts';
import { spawnServer, startFlags } from './server.ts';
import { benchDatabaseUrl, defaultAdminUrl } from './seed.ts';

/**
 * Issue 8 "Speed": (1) SCIM write throughput with a webhook endpoint enabled
 * vs none (closed loop, 10 clients, alternating rounds; target ratio ≥ 0.90),
 * and (2) the delay from a SCIM write to its webhook arriving at a local
 * receiver, p95, under an open-loop 200 writes/s (target ≤ 1 s). Gatehouse
 * runs as a child process (`npm start` flags) on a fresh PostgreSQL database.
 */

const CLIENTS = 10;
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1500);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 6000);
const ROUNDS = 2;
const RATE = 200;
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const root = path.resolve(import.meta.dirname, '..');

interface Arrival {
  at: number;
  userName: string;
  eventId: string;
}

function startReceiver(): Promise<{ url: string; arrivals: Arrival[]; close(): Promise<void> }> {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resource?: { userName?: string } };
      arrivals.push({ at, userName: String(body.resource?.userName), eventId: String(req.headers['x-gatehouse-event-id']) });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
        arrivals,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}

async function startGatehouse(env: NodeJS.ProcessEnv, token: string): Promise<{ child: ChildProcess; target: Target; tail: string[] }> {
  const { child, baseUrl, tail } = await spawnServer({ name: 'gatehouse', script: 'src/main.ts', flags: startFlags(), env });
  return { child, target: makeTarget(baseUrl, token, CLIENTS * 4), tail };
}

function userCall(name: string) {
  return {
    method: 'POST' as const,
    path: '/scim/v2/Users',
    body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name, name: { givenName: 'Web', familyName: 'Hook' }, emails: [{ value: name, type: 'work', primary: true }], active: true },
  };
}

function postScenario(tag: string): Scenario {
  return { name: tag, next: (i) => userCall(`${tag}-${i}@bench.example`), check: (status) => (status === 201 ? undefined : `status ${status}`) };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

export async function runWebhooks(): Promise<boolean> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? defaultAdminUrl;
  const databaseUrl = benchDatabaseUrl(adminUrl, 'gatehouse_bench_webhooks');
  await recreateDatabase(adminUrl, 'gatehouse_bench_webhooks');
  const store = await openStore({ databaseUrl, dataDir: '' });
  await migrate(store.orm);
  const actor = { type: 'system' as const, label: 'bench' };
  const org = await createOrg(store.orm.em.fork(), actor, { slug: 'bench', name: 'Bench' });
  const scope = { orgId: org.id, orgSlug: org.slug, actor };
  const scim = (await createApiToken(store.orm.em.fork(), scope, { scope: 'scim', name: 'bench idp' })).token;
  const admin = (await createApiToken(store.orm.em.fork(), scope, { scope: 'admin', name: 'bench admin' })).token;
  await store.close();

  const receiver = await startReceiver();
  const gatehouse = await startGatehouse({
    ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production', MIGRATE_ON_START: 'false',
    SESSION_SECRET: randomBytes(24).toString('hex'), DATA_DIR: path.join(os.tmpdir(), 'gatehouse-bench-webhooks'),
    SCIM_RATE_LIMIT_RPS: '1000000', SCIM_RATE_LIMIT_BURST: '1000000',
    // The receiver listens on 127.0.0.1 over http: the operator settings that allow it.
    WEBHOOKS_ALLOW_HTTP: 'true', WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
  }, scim);
  const adminTarget = makeTarget(gatehouse.target.baseUrl, admin, 2);
  const adminCall = (method: 'POST' | 'PATCH', p: string, body: unknown) => send(adminTarget, { method, path: `/api/orgs/bench${p}`, body });
  const created = await adminCall('POST', '/webhooks', { url: receiver.url, enabled: false });
  if (created.status !== 201) throw new Error(`creating the webhook: ${created.status} ${JSON.stringify(created.body)}`);
  const hookId = (created.body as { id: string }).id;

  // (1) Throughput, alternating rounds so drift on a shared machine hits both sides alike.
  const rps = { off: 0, on: 0 };
  const p99 = { off: [] as number[], on: [] as number[] };
  let errors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['off', 'on'] as const) {
      await adminCall('PATCH', `/webhooks/${hookId}`, { enabled: mode === 'on' });
      const result = await runLoad(gatehouse.target, postScenario(`${mode}${round}-${Date.now().toString(36)}`), { clients: CLIENTS, warmupMs: WARMUP_MS, durationMs: DURATION_MS });
      rps[mode] += result.rps / ROUNDS;
      p99[mode].push(result.p99);
      errors += result.errors;
      console.log(`  POST /Users, webhooks ${mode}, round ${round + 1}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms${result.errors ? `, ${result.errors} errors (${result.firstError})` : ''}`);
    }
  }
  const ratio = rps.on / rps.off;

  // (2) End-to-end delay at an open-loop 200 writes/s, and at half the measured capacity when
  // the machine cannot take 200 writes/s (then the 200/s figure is queueing, not delivery).
  await adminCall('PATCH', `/webhooks/${hookId}`, { enabled: true });
  await new Promise((r) => setTimeout(r, 2000));
  const openLoop = async (rate: number) => {
    const sentAt = new Map<string, { start: number; done: number }>();
    const tag = `rate${rate}-${Date.now().toString(36)}`;
    const total = Math.round(rate * RATE_SECONDS);
    const began = performance.now();
    const inflight: Array<Promise<void>> = [];
    for (let i = 0; i < total; i++) {
      const wait = began + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const name = `${tag}-${i}@bench.example`;
      // The webhook can arrive before the answer is read: the entry exists from the send on.
      const times = { start: performance.now(), done: NaN };
      sentAt.set(name, times);
      inflight.push(send(gatehouse.target, userCall(name)).then((res) => {
        if (res.status !== 201) errors++;
        times.done = performance.now();
      }, () => void errors++));
    }
    await Promise.all(inflight);
    const achieved = total / ((performance.now() - began) / 1000);
    const until = performance.now() + 60_000;
    const mine = () => receiver.arrivals.filter((a) => a.userName.startsWith(tag));
    while (mine().length < total && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
    const arrivals = mine();
    const fromStart = arrivals.map((a) => a.at - sentAt.get(a.userName)!.start).sort((a, b) => a - b);
    const fromAnswer = arrivals.map((a) => a.at - sentAt.get(a.userName)!.done).sort((a, b) => a - b);
    const duplicates = arrivals.length - new Set(arrivals.map((a) => a.eventId)).size;
    return { rate, total, achieved, arrived: arrivals.length, duplicates, p50: pct(fromStart, 50), p95: pct(fromStart, 95), p99: pct(fromStart, 99),
      max: fromStart.at(-1) ?? NaN, answerP95: pct(fromAnswer, 95) };
  };
  const runs = [await openLoop(RATE)];
  const sustainable = Math.floor(rps.off * 0.5);
  if (sustainable < RATE) runs.push(await openLoop(Math.max(5, sustainable)));
  const e2e = runs[0]!;

  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const postgres = (await db.query<{ v: string }>(`select split_part(version(), ' on ', 1) as v`)).rows[0]!.v;
  const pendingLeft = Number((await db.query<{ n: string }>(`select count(*) as n from webhook_deliveries where status <> 'delivered'`)).rows[0]!.n);
  await db.end();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => gatehouse.child.kill('SIGKILL'), 5000);
    gatehouse.child.once('exit', () => (clearTimeout(timer), resolve()));
    gatehouse.child.kill('SIGTERM');
  });
  gatehouse.target.agent.destroy();
  adminTarget.agent.destroy();
  await receiver.close();

  const complete = runs.every((r) => r.arrived === r.total && r.duplicates === 0) && errors === 0;
  const ratioOk = ratio >= 0.9;
  const delayOk = e2e.p95 <= 1000 && e2e.achieved >= RATE * 0.95;
  const lines = [
    `SCIM POST /Users throughput, webhooks off: ${rps.off.toFixed(0)} req/s (p99 ${p99.off.map((v) => v.toFixed(1)).join(', ')} ms)`,
    `SCIM POST /Users throughput, webhooks on:  ${rps.on.toFixed(0)} req/s (p99 ${p99.on.map((v) => v.toFixed(1)).join(', ')} ms)`,
    `ratio on/off: ${ratio.toFixed(3)} (target ≥ 0.90) ${ratioOk ? 'PASS' : 'FAIL'}`,
    ...runs.map((r, n) =>
      `open loop ${r.rate} writes/s (achieved ${r.achieved.toFixed(0)}/s, ${r.total} writes): write sent → webhook received p50 ${r.p50.toFixed(0)} ms, ` +
      `p95 ${r.p95.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, max ${r.max.toFixed(0)} ms; write answered → webhook received p95 ${r.answerP95.toFixed(0)} ms` +
      (n === 0 ? ` (target p95 ≤ 1000 ms at 200 writes/s) ${delayOk ? 'PASS' : 'FAIL'}` : ' (half the measured capacity: delivery delay without queueing)')),
    `completeness: ${runs.map((r) => `${r.arrived}/${r.total}`).join(', ')} delivered, ${runs.reduce((n, r) => n + r.duplicates, 0)} duplicates, ${errors} write errors, ${pendingLeft} deliveries not delivered at the end ${complete ? 'PASS' : 'FAIL'}`,
  ];
  for (const line of lines) console.log(`  ${line}`);
  const load = os.loadavg().map((v) => v.toFixed(1)).join(' / ');
  const file = path.join(root, 'docs', 'performance-webhooks.md');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `# Webhook performance

Measured by \`npm run bench -- webhooks\` on ${postgres} (fresh database \`gatehouse_bench_webhooks\`), ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.

- machine: ${machine()}; load average at the end ${load} (shared with other work: figures vary run to run)
- Gatehouse: one child process with the \`npm start\` flags, NODE_ENV=production, publisher every 100 ms, delivery poll every 200 ms (plus a nudge when the publisher queues deliveries)
- throughput: closed loop, ${CLIENTS} clients, ${ROUNDS} alternating rounds of ${DURATION_MS / 1000} s per side (after ${WARMUP_MS / 1000} s warm-up); "on" = one enabled endpoint receiving every event (a local HTTP receiver answering 204)
- delay: open loop for ${RATE_SECONDS} s at ${RATE} writes/s (and at half the measured capacity when that is below 200/s), measured from the moment the SCIM request is sent (and from its answer) to the moment the receiver has the webhook body

${lines.map((l) => `- ${l}`).join('\n')}

Reading the figures: when the machine cannot take 200 writes/s, the open loop at 200/s measures
the queue of requests waiting in front of Gatehouse, not the webhook path; "write answered →
webhook received" (after the change committed) and the run at half the measured capacity isolate
the publisher (every 100 ms) and the delivery worker. The delivery worker runs in the server's own
event loop, so on a CPU-bound machine its HTTP requests compete with SCIM requests for the same
core; with idle cores (or the database as the bottleneck) they do not.

Where the gap comes from (a CPU profile of the server during this benchmark, 2026-11-30,
\`NODE_OPTIONS=--cpu-prof\`): with one SCIM write costing one SQL statement (the token is cached),
28 % of the server's time is the \`writev\` that sends statements to PostgreSQL over loopback TCP
(the kernel delivers them to the database inside that call) and 9 % the socket writes of HTTP
answers. A webhook adds one HTTP request per event to a receiver on the same two cores, plus the
queue's rows in PostgreSQL (queued, claimed and recorded in batches of up to 50). On a quiet
machine, where the server process is the bottleneck (1,100–1,400 writes/s), that costs 14–20 % of
write throughput (ratios 0.79–0.86 over six runs); on a busy one, where the database is
(about 550 writes/s), 10.5 % (0.895). One event per request is the contract receivers expect;
sending deliveries from a worker thread, or several events per request as an opt-in, are the
next options.
`);
  console.log(`webhooks: ${ratioOk && delayOk && complete ? 'all targets met' : 'targets NOT met'}; written to ${path.relative(process.cwd(), file)}`);
  return ratioOk && delayOk && complete;
}
