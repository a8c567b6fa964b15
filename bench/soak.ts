import os from 'node:os';
import { parseArgs } from 'node:util';
import { makeTarget } from './load.ts';
import { machine } from './report.ts';
import { PoliteClient } from './soak/client.ts';
import { initialCycle } from './soak/initial-cycle.ts';
import { mixedSoak } from './soak/mixed.ts';
import { prepare, startServer } from './soak/setup.ts';
import { figuresTable, Recorder } from './soak/stats.ts';

/**
 * `node bench/soak.ts` (or `npm run bench -- soak`), issue 9 "Load": Gatehouse as a child
 * process on loopback, under an Entra-like initial cycle (users, groups, batched memberships,
 * 8 concurrent clients) and then a mixed soak, all at the default SCIM rate limit, so the
 * throttle answers 429 + Retry-After and the clients wait and retry as IdPs do.
 *
 *   --users N (20000)  --groups N (500)  --clients N (8)  --batch N (100 members per PATCH)
 *   --minutes N (5, or SOAK_MINUTES)  --warmup-seconds N (30)  --export-every N (30 s)  --login-every N (1 s)
 *   --cycle-minutes N (30: the initial cycle's time box; past it the run stops and fails)
 *
 * PostgreSQL when DATABASE_URL is set (a database created for the run, dropped after), else PGlite.
 * Exit 1 on any 5xx, wrong answer, request without an answer, 429 without Retry-After, or an RSS
 * at the end (median of the last 10 s) more than 15% above the RSS after warm-up (median of the 10 s
 * after it); 2 on a bad argument.
 */

const RSS_RATIO_LIMIT = 1.15;
const PEOPLE = 20;

function options() {
  // Through bench/run.ts the suite names are arguments too, and flags come as --name=value.
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((arg) => arg.startsWith('--') || /^\d/.test(arg)),
    strict: true,
    options: {
      users: { type: 'string', default: '20000' },
      groups: { type: 'string', default: '500' },
      clients: { type: 'string', default: '8' },
      batch: { type: 'string', default: '100' },
      minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '5' },
      'cycle-minutes': { type: 'string', default: '30' },
      'warmup-seconds': { type: 'string', default: '30' },
      'export-every': { type: 'string', default: '30' },
      'login-every': { type: 'string', default: '1' },
    },
  });
  const number = (name: keyof typeof values, min: number) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min) {
      console.error(`soak: --${name} must be a number ≥ ${min} (got ${values[name]})`);
      process.exit(2);
    }
    return n;
  };
  const minutes = number('minutes', 0.1);
  return {
    users: Math.floor(number('users', 10)),
    groups: Math.floor(number('groups', 1)),
    clients: Math.floor(number('clients', 1)),
    batch: Math.floor(number('batch', 1)),
    durationMs: minutes * 60_000,
    cycleMs: number('cycle-minutes', 1) * 60_000,
    // The warm-up sample needs a soak after it: at most half of a short run.
    warmupMs: Math.min(number('warmup-seconds', 0) * 1000, minutes * 30_000),
    exportEveryMs: number('export-every', 1) * 1000,
    loginEveryMs: number('login-every', 0.1) * 1000,
  };
}

const log = (line: string) => console.log(line);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

export async function runSoak(): Promise<boolean> {
  const o = options();
  const started = performance.now();
  log(`soak: ${o.users} users, ${o.groups} groups, ${o.clients} clients, then ${o.durationMs / 60_000} min mixed; load average ${os.loadavg()[0]!.toFixed(1)}`);
  const prepared = await prepare(PEOPLE);
  const { scim } = prepared.config;
  log(`soak: ${prepared.describe}; SCIM rate limit ${scim.rateLimit.requestsPerSecond}/s, burst ${scim.rateLimit.burst} (the defaults)`);
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const stopOnSignal = () => void server?.stop().finally(() => prepared.cleanup().finally(() => process.exit(130)));
  process.once('SIGINT', stopOnSignal);
  try {
    server = await startServer(prepared.env);
    const recorder = new Recorder();
    const target = makeTarget(server.baseUrl, prepared.scimToken, o.clients);
    const admin = makeTarget(server.baseUrl, prepared.adminToken, 1);
    // Throttled requests are retried until the phase's time is up: the run is bounded in time.
    let giveUpAt = performance.now() + o.cycleMs;
    const client = new PoliteClient(target, recorder, () => giveUpAt);

    log('soak: phase 1, initial cycle');
    const cycle = await initialCycle(client, recorder, {
      users: o.users, groups: o.groups, clients: o.clients, batch: o.batch, otherUsers: PEOPLE, deadline: giveUpAt, log,
    });
    if (performance.now() >= giveUpAt || client.gaveUp) recorder.problem(`the initial cycle did not finish within ${o.cycleMs / 60_000} min`);
    const cycle429 = recorder.count((code) => code === '429');
    log(`soak: initial cycle done in ${fmt(cycle.seconds)} s: ${cycle.memberships} memberships in ${cycle.patches} PATCHes; ` +
      `${cycle429} answers were 429, ${client.throttledSeconds} s waited on Retry-After in total across clients`);

    if (await prepared.analyzeIfNoAutovacuum()) log('soak: autovacuum is off on this server: ran ANALYZE after the initial cycle, as autovacuum would have (else one-row lookups walk the whole org)');
    log(`soak: phase 2, mixed soak for ${o.durationMs / 60_000} min (RSS compared: median of ${o.warmupMs / 1000}–${o.warmupMs / 1000 + 10} s vs median of the last 10 s)`);
    const cycleFigures = recorder.figures();
    const soakRecorder = new Recorder();
    const soakClient = new PoliteClient(target, soakRecorder, () => giveUpAt);
    giveUpAt = performance.now() + o.durationMs;
    const soak = await mixedSoak(soakClient, soakRecorder, cycle.directory, {
      durationMs: o.durationMs, warmupMs: o.warmupMs, clients: o.clients, loginEveryMs: o.loginEveryMs, exportEveryMs: o.exportEveryMs,
      pid: server.child.pid!, baseUrl: server.baseUrl, admin, people: prepared.people, log,
    });
    target.agent.destroy();
    admin.agent.destroy();
    const exitCode = await server.stop();

    const all = [recorder, soakRecorder];
    const fivexx = all.reduce((n, r) => n + r.count((code) => code.startsWith('5')), 0);
    const unanswered = all.reduce((n, r) => n + r.count((code) => code === 'none'), 0);
    const problems = all.reduce((n, r) => n + r.problems.count, 0);
    const ratio = soak.rssEnd / soak.rssAfterWarmup;
    const soakFigures = soakRecorder.figures();
    log(`\nInitial cycle (${fmt(cycle.seconds, 0)} s; per request, latency of the non-429 answers):\n${figuresTable(cycleFigures)}`);
    log(`\nMixed soak (${fmt(soak.seconds, 0)} s, ${soak.logins} sign-ins, ${soak.exports} CSV exports):\n${figuresTable(soakFigures)}`);
    log(`\nRSS: ${fmt(soak.rssAfterWarmup, 0)} MiB after warm-up, ${fmt(soak.rssEnd, 0)} MiB at the end (ratio ${fmt(ratio, 3)}, limit ${RSS_RATIO_LIMIT}); ` +
      `min ${fmt(soak.rssMin, 0)}, max ${fmt(soak.rssMax, 0)} after warm-up; peak (VmHWM) ${fmt(soak.peak, 0)} MiB`);
    log(`RSS trend (s: MiB): ${soak.trend.map(([t, rss]) => `${t}: ${rss}`).join(', ')}`);
    for (const r of all) for (const p of r.problems.first) log(`wrong: ${p}`);
    for (const line of server.errorLines) log(`server error log: ${line.slice(0, 300)}`);
    const ok = fivexx === 0 && unanswered === 0 && problems === 0 && ratio <= RSS_RATIO_LIMIT;
    const seconds = (performance.now() - started) / 1000;
    log(`\nsoak: ${ok ? 'PASS' : 'FAIL'}: ${fivexx} 5xx, ${unanswered} unanswered, ${problems} wrong answers, ` +
      `${cycle429} + ${soakRecorder.count((c) => c === '429')} answers 429 (all with Retry-After unless listed above), RSS ratio ${fmt(ratio, 3)}; ` +
      `server exit code ${exitCode}; total ${fmt(seconds, 0)} s`);
    console.log(JSON.stringify({
      bench: 'soak', ok, date: new Date().toISOString(), database: prepared.kind, machine: machine(), loadAverage: os.loadavg()[0],
      options: o, rateLimit: scim.rateLimit,
      cycle: { seconds: cycle.seconds, steps: cycle.steps, users: o.users, groups: o.groups, memberships: cycle.memberships, patches: cycle.patches, figures: cycleFigures },
      soak: { seconds: soak.seconds, logins: soak.logins, exports: soak.exports, figures: soakFigures },
      rss: { afterWarmup: soak.rssAfterWarmup, end: soak.rssEnd, ratio, min: soak.rssMin, max: soak.rssMax, peak: soak.peak, trend: soak.trend },
      fivexx, unanswered, wrongAnswers: problems, serverExitCode: exitCode, totalSeconds: seconds,
    }));
    return ok;
  } finally {
    process.off('SIGINT', stopOnSignal);
    await server?.stop();
    await prepared.cleanup();
  }
}

if (import.meta.main) process.exit((await runSoak()) ? 0 : 1);
