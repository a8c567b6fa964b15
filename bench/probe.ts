import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { makeTarget, runLoad, send, type Call, type Scenario } from './load.ts';
import { cpuMs, freePort } from './support.ts';

/**
 * A micro-measurement for tuning, next to `npm run bench`: one scenario against one server
 * (baseline or Gatehouse) on an already seeded database, reporting the server's and the
 * database backends' CPU time per request. On a shared, busy machine req/s swings with the
 * neighbours; CPU per request does not, so it is what decides whether a change helps.
 *
 *   node bench/probe.ts <baseline|gatehouse> <filter|get|spc|post|patch|first|last|cfirst>[,…] [seconds] [--cpu-prof=dir]
 *
 * Several scenarios (comma-separated) run one after the other against the same server process.
 *
 * Env: PROBE_DATABASE_URL (a database seeded by bench/seed.ts), PROBE_TOKEN (a SCIM token of its org).
 * PATCH needs active users: the probe reactivates the ones a previous run disabled.
 */

const root = path.resolve(import.meta.dirname, '..');
const [serverName = 'gatehouse', scenarioName = 'get', secondsArg = '5'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const profileDir = process.argv.find((a) => a.startsWith('--cpu-prof='))?.slice('--cpu-prof='.length);
const databaseUrl = process.env.PROBE_DATABASE_URL;
const token = process.env.PROBE_TOKEN;
if (!databaseUrl || !token) throw new Error('PROBE_DATABASE_URL and PROBE_TOKEN are required');

const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const dbName = new URL(databaseUrl).pathname.slice(1);
const backends = async () => (await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName])).rows.map((r) => r.pid);
const orgId = (await db.query<{ org_id: string }>(`select org_id from api_tokens where name = 'bench' limit 1`)).rows[0]!.org_id;
const ids = (await db.query<{ id: string }>(`select id from users where org_id = $1 and user_name like 'user%@bench.example' order by id`, [orgId])).rows.map((r) => r.id);
if (scenarioName.split(',').includes('patch')) await db.query(`update users set state = 'active', disabled_at = null where org_id = $1 and state = 'disabled'`, [orgId]);

const random = () => Math.floor(Math.random() * ids.length);
const runId = Date.now().toString(36);
const get = (p: string): Call => ({ method: 'GET', path: p });
const ok = (status: number) => (status === 200 || status === 201 ? undefined : `status ${status}`);
const scenarios: Record<string, Scenario> = {
  filter: { name: 'filter', next: () => get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${String(random() + 1).padStart(6, '0')}@bench.example"`)}`), check: ok },
  // No database: what the HTTP stack and the SCIM middleware cost by themselves.
  spc: { name: 'spc', next: () => get('/scim/v2/ServiceProviderConfig'), check: ok },
  get: { name: 'get', next: () => get(`/scim/v2/Users/${ids[random()]}`), check: ok },
  first: { name: 'first', next: () => get('/scim/v2/Users?startIndex=1&count=100'), check: ok },
  last: { name: 'last', next: () => get(`/scim/v2/Users?startIndex=${Math.max(1, ids.length - 99)}&count=100`), check: ok },
  cfirst: { name: 'cfirst', next: () => get('/scim/v2/Users?cursor&count=100'), check: ok },
  post: { name: 'post', next: (i) => {
    const name = `probe-${runId}-${i}@bench.example`;
    return { method: 'POST', path: '/scim/v2/Users', body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name,
      externalId: `ext-${runId}-${i}`, name: { givenName: 'New', familyName: `User ${i}` }, displayName: `New User ${i}`,
      emails: [{ value: name, type: 'work', primary: true }], active: true } };
  }, check: ok },
  patch: { name: 'patch', next: (i) => ({ method: 'PATCH', path: `/scim/v2/Users/${ids[i % ids.length]}`, body: {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] } }), check: ok },
};
const picked = scenarioName.split(',').map((name) => {
  const found = scenarios[name];
  if (!found) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  return found;
});
// runLoad counts requests from 0 in each run: one counter across warm-up and measurement,
// so the measured POSTs do not repeat the warm-up's userNames (409s) nor PATCH the users it disabled (no-ops).
let sent = 0;

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
// PROBE_FLAGS replaces npm start's V8 flags (either server's), to try others (memory settings) before changing package.json.
const flags = (process.env.PROBE_FLAGS ?? (serverName === 'gatehouse' ? pkg.scripts.start : '')).split(/\s+/).filter((a) => a.startsWith('--'));
if (profileDir) flags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
const script = serverName === 'gatehouse' ? 'src/main.ts' : 'bench/baseline/server.ts';
const port = await freePort();
const child = spawn(process.execPath, [...flags, script], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, PORT: String(port), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production',
    SESSION_SECRET: 'probe-probe-probe-probe-probe-probe', DATA_DIR: '/tmp/gatehouse-probe', SCIM_RATE_LIMIT_RPS: '1000000', SCIM_RATE_LIMIT_BURST: '1000000' },
});
const target = makeTarget(`http://127.0.0.1:${port}`, token, 10);
for (let i = 0; ; i++) {
  if (i > 600) throw new Error('server did not start');
  try {
    if ((await send(target, get('/healthz'))).status === 200) break;
  } catch {
    await new Promise((r) => setTimeout(r, 100));
  }
}
for (const chosen of picked) {
  const scenario: Scenario = { ...chosen, next: () => chosen.next(sent++) };
  // Warm up (JIT, pool connections), then measure.
  await runLoad(target, scenario, { clients: 10, warmupMs: 0, durationMs: 1500 });
  const pids = await backends();
  const before = { node: cpuMs(child.pid!), db: pids.reduce((s, p) => s + cpuMs(p), 0) };
  const result = await runLoad(target, scenario, { clients: 10, warmupMs: 0, durationMs: Number(secondsArg) * 1000 });
  const after = { node: cpuMs(child.pid!), db: pids.reduce((s, p) => s + cpuMs(p), 0) };
  const rss = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]) / 1024;
  const per = (ms: number) => ((ms / result.requests) * 1000).toFixed(0);
  console.log(`${serverName} ${chosen.name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ` +
    `CPU/request node ${per(after.node - before.node)} µs, db ${per(after.db - before.db)} µs (${pids.length} backends), ` +
    `RSS ${rss.toFixed(0)} MiB${result.errors ? `, ${result.errors} WRONG: ${result.firstError}` : ''}`);
}
target.agent.destroy();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await db.end();
