import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { seed, userName, USERS, GROUPS, GROUPS_PER_USER } from './seed.ts';
import { makeTarget, runLoad, send, type Call, type Check, type Result, type Scenario, type Target } from './load.ts';
import { textTable, writeDocs, type Row } from './report.ts';
import { memoryOf as memory } from './support.ts';
import { spawnServer, startFlags } from './server.ts';

/**
 * The SCIM suite of the issue's "Speed and memory" section: seed, start the bare baseline and
 * Gatehouse as child processes on the same database, run every scenario against both, print
 * the figures and ratios, and write docs/performance.md.
 */

const CLIENTS = 10;
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1500);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 6000);
const PAGE = 100;
const RSS_LIMIT_MIB = 200;

interface Server {
  name: 'baseline' | 'gatehouse';
  child: ChildProcess;
  target: Target;
  tail: string[];
}


async function start(name: Server['name'], script: string, env: NodeJS.ProcessEnv, token: string): Promise<Server> {
  const { child, baseUrl, tail } = await spawnServer({ name, script, flags: name === 'gatehouse' ? startFlags() : [], env });
  return { name, child, target: makeTarget(baseUrl, token, CLIENTS), tail };
}

/**
 * Starts Gatehouse once and stops it: that start fills Node's compile cache
 * (bin/compile-cache.js), as an operator's first start does, so the measured
 * server is the second start, which loads no TypeScript stripper. Returns the
 * RSS the first start had once ready, to print beside the second's.
 */
async function firstStart(script: string, env: NodeJS.ProcessEnv): Promise<number | undefined> {
  const first = await spawnServer({ name: 'gatehouse (first start)', script, flags: startFlags(), env });
  const rss = memory(first.child.pid)?.rss;
  await first.stop();
  return rss;
}


type List = { totalResults?: unknown; Resources?: Array<{ id?: unknown; userName?: unknown }>; nextCursor?: unknown };

function listCheck(total: number, expect: { items: number; lastId?: string; next: 'yes' | 'no' | 'any' }): Check {
  return (status, body) => {
    if (status !== 200) return `status ${status}`;
    const list = body as List;
    if (list.totalResults !== total) return `totalResults ${String(list.totalResults)}, expected ${total}`;
    const items = list.Resources ?? [];
    if (items.length !== expect.items) return `${items.length} resources, expected ${expect.items}`;
    if (expect.lastId && items[items.length - 1]?.id !== expect.lastId) return 'the last resource is not the last user';
    if (expect.next === 'yes' && !list.nextCursor) return 'no nextCursor';
    if (expect.next === 'no' && list.nextCursor) return 'nextCursor on the last page';
    return undefined;
  };
}

/** Walks `?cursor` pages once; returns the cursor that fetches the last page, or why it cannot. */
async function lastCursor(target: Target): Promise<{ cursor: string; pages: number } | string> {
  let cursor = '';
  let previous = '';
  const deadline = performance.now() + 90_000;
  for (let pages = 1; pages <= 5000; pages++) {
    if (performance.now() > deadline) return `cursor walk took over 90 s (${pages} pages)`;
    const query = cursor ? `cursor=${encodeURIComponent(cursor)}` : 'cursor';
    const { status, body } = await send(target, { method: 'GET', path: `/scim/v2/Users?${query}&count=${PAGE}` });
    if (status !== 200) return `cursor walk: status ${status} on page ${pages}`;
    const next = (body as List).nextCursor;
    if (typeof next !== 'string' || !next) return pages === 1 ? 'no nextCursor on the first page' : { cursor, pages };
    previous = cursor;
    cursor = next;
  }
  return `cursor walk did not end after 5000 pages (last cursor ${previous})`;
}

interface Measured {
  result?: Result;
  skipped?: string;
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));

export async function runScim(): Promise<boolean> {
  const started = performance.now();
  console.log('scim: seeding …');
  const seeded = await seed();
  console.log(`scim: seeded ${USERS} users, ${GROUPS} groups, ${USERS * GROUPS_PER_USER} memberships in ${seeded.seconds.toFixed(1)} s`);

  const db = new pg.Client({ connectionString: seeded.databaseUrl });
  await db.connect();
  const ids = (await db.query<{ id: string }>('select id from users where org_id = $1 order by id', [seeded.orgId])).rows.map((r) => r.id);
  const postgres = (await db.query<{ v: string }>(`select split_part(version(), ' on ', 1) as v`)).rows[0]!.v;
  const total = ids.length;
  const lastId = ids[total - 1]!;

  const env = { ...process.env, DATABASE_URL: seeded.databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production' };
  console.log('scim: starting the baseline and Gatehouse …');
  const baseline = await start('baseline', 'bench/baseline/server.ts', env, seeded.token);
  let gatehouse: Server | undefined;
  let idleRss: { first?: number; second?: number } = {};
  const compileCache = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-compile-cache-'));
  let unavailable: string | undefined;
  try {
    const gatehouseEnv = {
      ...env, SESSION_SECRET: randomBytes(24).toString('hex'), DATA_DIR: path.join(os.tmpdir(), 'gatehouse-bench'),
      // The per-org throttle protects production from a runaway IdP; this run measures raw speed.
      SCIM_RATE_LIMIT_RPS: '1000000', SCIM_RATE_LIMIT_BURST: '1000000',
      // A compile cache of this run's own: the first start is a cold one whatever ran before.
      NODE_COMPILE_CACHE: compileCache,
    };
    const firstRss = await firstStart('src/main.ts', gatehouseEnv);
    gatehouse = await start('gatehouse', 'src/main.ts', gatehouseEnv, seeded.token);
    idleRss = { first: firstRss, second: memory(gatehouse.child.pid)?.rss };
    console.log(`scim: gatehouse RSS once ready: first start ${fmt(idleRss.first, 0)} MiB, second start (compile cache filled) ${fmt(idleRss.second, 0)} MiB`);
    const probe = await send(gatehouse.target, { method: 'GET', path: '/scim/v2/Users?count=1' });
    if (probe.status === 404) unavailable = 'SCIM endpoints not available';
    else console.log(`scim: gatehouse answers GET /scim/v2/Users with ${probe.status}`);
  } catch (error) {
    unavailable = `did not start: ${(error as Error).message.split('\n')[0]}`;
  }
  if (unavailable) console.log(`gatehouse: ${unavailable}`);
  const servers = [baseline, ...(gatehouse && !unavailable ? [gatehouse] : [])];

  console.log('scim: walking the cursor pages once …');
  const cursors = new Map<string, Awaited<ReturnType<typeof lastCursor>>>();
  for (const s of servers) {
    const began = performance.now();
    const walked = await lastCursor(s.target);
    cursors.set(s.name, walked);
    const what = typeof walked === 'string' ? walked : `${walked.pages} pages`;
    console.log(`scim: ${s.name}: cursor walk ${what} in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  }
  const runId = Date.now().toString(36);
  const half = Math.floor(total / 2);
  const wrapped: string[] = [];
  const random = () => Math.floor(Math.random() * total);

  type Make = (s: Server) => Scenario | string;
  const get = (p: string): Call => ({ method: 'GET', path: p });
  const scenarios: Array<{ key: string; label: string; make: Make }> = [
    { key: 'filter', label: 'GET /Users?filter=userName eq', make: () => ({ name: 'filter', next: () => {
      const n = random() + 1;
      return get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName(n)}"`)}`);
    }, check: (status, body, call) => {
      if (status !== 200) return `status ${status}`;
      const list = body as List;
      const expected = /user\d{6}@bench\.example/.exec(decodeURIComponent(call.path))![0];
      if (list.totalResults !== 1 || String(list.Resources?.[0]?.userName).toLowerCase() !== expected) return `not exactly ${expected}`;
      return undefined;
    } }) },
    { key: 'get', label: 'GET /Users/{id}', make: () => ({ name: 'get', next: () => get(`/scim/v2/Users/${ids[random()]}`),
      check: (status, body, call) => (status !== 200 ? `status ${status}` : call.path.endsWith(String((body as { id?: string }).id)) ? undefined : 'wrong id') }) },
    { key: 'first', label: 'list first page (startIndex=1)', make: () => ({ name: 'first', next: () => get(`/scim/v2/Users?startIndex=1&count=${PAGE}`),
      check: listCheck(total, { items: PAGE, next: 'any' }) }) },
    { key: 'last', label: `list last page (startIndex=${total - PAGE + 1})`, make: () => ({ name: 'last',
      next: () => get(`/scim/v2/Users?startIndex=${total - PAGE + 1}&count=${PAGE}`),
      check: listCheck(total, { items: PAGE, lastId, next: 'any' }) }) },
    { key: 'cfirst', label: 'list first page (cursor)', make: () => ({ name: 'cfirst', next: () => get(`/scim/v2/Users?cursor&count=${PAGE}`),
      check: listCheck(total, { items: Math.min(PAGE, total), next: 'yes' }) }) },
    { key: 'clast', label: 'list last page (cursor)', make: (s) => {
      const walked = cursors.get(s.name);
      if (!walked || typeof walked === 'string') return walked ?? 'no cursor';
      const items = total - (walked.pages - 1) * PAGE;
      return { name: 'clast', next: () => get(`/scim/v2/Users?cursor=${encodeURIComponent(walked.cursor)}&count=${PAGE}`),
        check: listCheck(total, { items, lastId, next: 'no' }) };
    } },
    { key: 'post', label: 'POST /Users', make: (s) => ({ name: 'post', next: (i) => {
      const name = `new-${s.name}-${runId}-${i}@bench.example`;
      return { method: 'POST', path: '/scim/v2/Users', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name,
        externalId: `ext-${s.name}-${runId}-${i}`, name: { givenName: 'New', familyName: `User ${i}` }, displayName: `New User ${i}`,
        emails: [{ value: name, type: 'work', primary: true }], active: true } };
    }, check: (status, body, call) => {
      if (status !== 201) return `status ${status}`;
      const user = body as { id?: unknown; userName?: unknown };
      return typeof user.id === 'string' && user.userName === (call.body as { userName: string }).userName ? undefined : 'wrong resource';
    } }) },
    { key: 'patch', label: 'PATCH active=false', make: (s) => {
      const offset = s.name === 'baseline' ? 0 : half;
      return { name: 'patch', next: (i) => {
        if (i === half) wrapped.push(`${s.name}: PATCH ran out of distinct users and reused some`);
        return { method: 'PATCH', path: `/scim/v2/Users/${ids[offset + (i % half)]}`, body: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] } };
      }, check: (status, body) => (status !== 200 ? `status ${status}` : (body as { active?: unknown }).active === false ? undefined : 'still active') };
    } },
  ];

  const results = new Map<string, Measured>();
  for (const sc of scenarios) {
    for (const s of [baseline, gatehouse]) {
      if (!s) continue;
      const key = `${sc.key}:${s.name}`;
      if (s === gatehouse && unavailable) {
        results.set(key, { skipped: unavailable });
        continue;
      }
      const scenario = sc.make(s);
      if (typeof scenario === 'string') {
        results.set(key, { skipped: scenario });
        console.log(`  ${sc.label} — ${s.name}: FAILED (${scenario})`);
        continue;
      }
      const result = await runLoad(s.target, scenario, { clients: CLIENTS, warmupMs: WARMUP_MS, durationMs: DURATION_MS });
      results.set(key, { result });
      console.log(`  ${sc.label} — ${s.name}: ${fmt(result.rps, 0)} req/s, p50 ${fmt(result.p50, 2)} ms, p99 ${fmt(result.p99, 2)} ms` +
        (result.errors ? `, ${result.errors} WRONG (${result.firstError})` : ''));
    }
  }

  const targets: Record<string, { ratio?: number; p99?: number }> = {
    filter: { ratio: 0.6, p99: 15 }, get: { ratio: 0.6, p99: 15 }, first: {}, last: { ratio: 0.5 },
    cfirst: {}, clast: { ratio: 0.5 }, post: { ratio: 0.5 }, patch: { ratio: 0.5 },
  };
  const rows: Row[] = [];
  let ok = true;
  for (const sc of scenarios) {
    const b = results.get(`${sc.key}:baseline`);
    const g = results.get(`${sc.key}:gatehouse`);
    const t = targets[sc.key]!;
    const target = [t.ratio ? `≥ ${t.ratio.toFixed(2)}` : '', t.p99 ? `p99 ≤ ${t.p99} ms` : ''].filter(Boolean).join(', ') || '—';
    const ratio = b?.result && g?.result ? g.result.rps / b.result.rps : undefined;
    let verdict: Row['result'];
    if (b?.skipped || b?.result?.errors || g?.result?.errors) verdict = 'FAILED';
    else if (!g?.result) verdict = g?.skipped && g.skipped !== unavailable ? 'FAILED' : 'n/a';
    else if (!t.ratio) verdict = '—';
    else verdict = ratio! >= t.ratio && (!t.p99 || g.result.p99 <= t.p99) ? 'PASS' : 'FAIL';
    if (verdict !== 'PASS' && verdict !== '—') ok = false;
    rows.push({ scenario: sc.label, baseline: fmt(b?.result?.rps, 0), baselineP50: fmt(b?.result?.p50, 2), baselineP99: fmt(b?.result?.p99, 2),
      gatehouse: g?.result ? fmt(g.result.rps, 0) : g?.skipped ? `(${g.skipped})` : '—', gatehouseP50: fmt(g?.result?.p50, 2),
      gatehouseP99: fmt(g?.result?.p99, 2), ratio: fmt(ratio, 2), target, result: verdict });
  }
  for (const [first, last, label] of [['first', 'last', 'last/first page time (startIndex)'], ['cfirst', 'clast', 'last/first page time (cursor)']] as const) {
    const of = (name: string) => {
      const f = results.get(`${first}:${name}`)?.result;
      const l = results.get(`${last}:${name}`)?.result;
      return f && l && Number.isFinite(l.mean / f.mean) ? l.mean / f.mean : undefined;
    };
    const b = of('baseline');
    const g = of('gatehouse');
    const verdict = g === undefined ? 'n/a' : g <= 2 ? 'PASS' : 'FAIL';
    if (verdict !== 'PASS') ok = false;
    rows.push({ scenario: label, baseline: b === undefined ? '—' : `${b.toFixed(2)}×`, baselineP50: '', baselineP99: '',
      gatehouse: g === undefined ? '—' : `${g.toFixed(2)}×`, gatehouseP50: '', gatehouseP99: '', ratio: '', target: '≤ 2.00×', result: verdict });
  }
  const bm = memory(baseline.child.pid);
  const gm = gatehouse && !unavailable ? memory(gatehouse.child.pid) : undefined;
  const rssVerdict = gm ? (gm.rss <= RSS_LIMIT_MIB ? 'PASS' : 'FAIL') : 'n/a';
  if (rssVerdict !== 'PASS') ok = false;
  rows.push({ scenario: 'server RSS at end (MiB; peak)', baseline: bm ? `${bm.rss.toFixed(0)}; ${bm.peak.toFixed(0)}` : '—',
    baselineP50: '', baselineP99: '', gatehouse: gm ? `${gm.rss.toFixed(0)}; ${gm.peak.toFixed(0)}` : '—', gatehouseP50: '', gatehouseP99: '',
    ratio: '', target: `≤ ${RSS_LIMIT_MIB} MiB`, result: rssVerdict });

  const memberships = Number((await db.query<{ n: string }>('select count(*) as n from memberships')).rows[0]!.n);
  await db.end();
  // SIGTERM, then SIGKILL after 5 s: a server stuck on in-flight work must not outlive the run.
  await Promise.all([baseline, gatehouse].map((s) => s && s.child.exitCode === null && new Promise<void>((resolve) => {
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
    s.child.once('exit', () => (clearTimeout(timer), resolve()));
    s.child.kill('SIGTERM');
  })));
  for (const s of [baseline, gatehouse]) s?.target.agent.destroy();
  rmSync(compileCache, { recursive: true, force: true });

  const notes = [...wrapped];
  if (unavailable) notes.push(`gatehouse: ${unavailable}`);
  if (idleRss.second !== undefined) {
    notes.push(`Gatehouse RSS once ready: first start ${fmt(idleRss.first, 0)} MiB (Node strips the types of every module), ` +
      `second start ${fmt(idleRss.second, 0)} MiB (from the compile cache the first filled); the measured server is the second start.`);
  }
  for (const [name, c] of cursors) if (typeof c === 'string') notes.push(`${name}: ${c}`);
  for (const [key, m] of results) if (m.result?.firstError) notes.push(`${key}: ${m.result.errors} wrong answers, first: ${m.result.firstError}`);
  console.log(`\n${textTable(rows)}\n`);
  for (const n of notes) console.log(`note: ${n}`);
  const file = writeDocs(rows, { postgres, seedSeconds: seeded.seconds, users: total, groups: GROUPS, memberships,
    clients: CLIENTS, warmupMs: WARMUP_MS, durationMs: DURATION_MS, notes });
  console.log(`scim: ${ok ? 'all targets met' : 'targets NOT met'}; table written to ${path.relative(process.cwd(), file)}; ` +
    `total ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return ok;
}
