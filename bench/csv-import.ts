import pg from 'pg';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/db/orm.ts';
import { migrate } from '../src/db/migrate.ts';
import { createOrg } from '../src/directory/orgs.ts';
import { createGroup } from '../src/directory/groups.ts';
import { previewImport } from '../src/directory/imports.ts';
import { commitImport } from '../src/directory/import-commit.ts';
import { parseImportFile } from '../src/csv/import-parse.ts';
import type { Scope } from '../src/directory/scope.ts';
import { uuidv7 } from '../src/lib/ids.ts';

/**
 * `npm run bench -- csv-import` (issue 6): on PostgreSQL, preview of a
 * 100,000-row file (target ≤ 5 s) and commit of 100,000 new users with one
 * group each, without invitations (target ≥ 20,000 rows/s), against a plain
 * multi-row INSERT of the same users + memberships measured in the same run.
 */

const ROWS = Number(process.env.BENCH_CSV_ROWS ?? 100_000);
const PREVIEW_TARGET_MS = 5_000;
const COMMIT_TARGET_RPS = 20_000;
const DB = 'gatehouse_csvimport';

async function freshDatabase(base: string): Promise<string> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${DB}" with (force)`);
    await admin.query(`create database "${DB}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${DB}`;
  return url.toString();
}

function file(rows: number, prefix: string): Uint8Array {
  const lines = ['Email,First Name,Last Name,Department,Office Location,Groups'];
  for (let i = 0; i < rows; i++) lines.push(`${prefix}${i}@bench.example,First${i},Last${i},Dept ${i % 50},Office ${i % 7},Bench Group`);
  return new TextEncoder().encode(`${lines.join('\r\n')}\r\n`);
}

/** The baseline: the same user and membership rows, plain multi-row INSERTs of 500, one transaction per batch, no audit. */
async function baseline(url: string, orgId: string, groupId: string, rows: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  try {
    for (let start = 0; start < rows; start += 500) {
      const n = Math.min(500, rows - start);
      const users: unknown[] = [];
      const members: unknown[] = [];
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const id = uuidv7();
        ids.push(id);
        const k = start + i;
        users.push(id, orgId, `base${k}@bench.example`, `base${k}@bench.example`, `First${k}`, `Last${k}`, `Dept ${k % 50}`, `Office ${k % 7}`, JSON.stringify([{ value: `base${k}@bench.example`, type: 'work', primary: true }]));
        members.push(uuidv7(), orgId, groupId, id);
      }
      await client.query('begin');
      await client.query(
        `insert into users (id, org_id, user_name, email, given_name, family_name, department, office_location, emails, state, source, version, created_at, updated_at)
         values ${ids.map((_, i) => `($${i * 9 + 1}, $${i * 9 + 2}, $${i * 9 + 3}, $${i * 9 + 4}, $${i * 9 + 5}, $${i * 9 + 6}, $${i * 9 + 7}, $${i * 9 + 8}, $${i * 9 + 9}::jsonb, 'active', 'csv', 1, now(), now())`).join(', ')}`,
        users,
      );
      await client.query(
        `insert into memberships (id, org_id, group_id, user_id, role, source, added_at) values ${ids.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}, 'viewer', 'csv', now())`).join(', ')}`,
        members,
      );
      await client.query('commit');
    }
  } finally {
    await client.end();
  }
  return performance.now() - started;
}

export async function runCsvImport(): Promise<boolean> {
  const url = await freshDatabase(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  const store = await openStore({ databaseUrl: url, dataDir: '', poolMax: 4 });
  try {
    await migrate(store.orm);
    const actor = { type: 'system' as const, label: 'bench' };
    const org = await createOrg(store.orm.em.fork(), actor, { slug: 'bench-import', name: 'Bench Import' });
    const scope: Scope = { orgId: org.id, orgSlug: org.slug, actor };
    const group = await createGroup(store.orm.em.fork(), scope, { displayName: 'Bench Group', externalId: null, description: null, scimAttributes: {} }, [], 'admin');
    const bytes = file(ROWS, 'user');

    let started = performance.now();
    const parsed = parseImportFile(bytes, { fileName: 'bench.csv' });
    const parseMs = performance.now() - started;
    const preview = await previewImport(store.orm.em.fork(), scope, parsed, { mode: 'upsert', noInvite: true });
    const previewMs = performance.now() - started;
    const previewOk = preview.counts.create === ROWS && previewMs <= PREVIEW_TARGET_MS;

    started = performance.now();
    const done = await commitImport(() => store.orm.em.fork(), scope, { publicUrl: 'https://bench.invalid', now: () => new Date() }, preview.id, { rows: 'all' });
    const commitMs = performance.now() - started;
    const rps = ROWS / (commitMs / 1000);
    const check = await store.orm.em.fork().execute(
      `select (select count(*)::int from users where org_id = ? and source = 'csv') as users,
              (select count(*)::int from memberships where org_id = ? and group_id = ?) as members,
              (select count(*)::int from audit_events where org_id = ? and action = 'user.created') as events`,
      [org.id, org.id, group.id, org.id],
    );
    const correct = done.progress.applied === ROWS && Number(check[0]!.users) === ROWS && Number(check[0]!.members) === ROWS && Number(check[0]!.events) === ROWS;

    const other = await createOrg(store.orm.em.fork(), actor, { slug: 'bench-baseline', name: 'Baseline' });
    const otherScope: Scope = { orgId: other.id, orgSlug: other.slug, actor };
    const otherGroup = await createGroup(store.orm.em.fork(), otherScope, { displayName: 'Bench Group', externalId: null, description: null, scimAttributes: {} }, [], 'admin');
    const baseMs = await baseline(url, other.id, otherGroup.id, ROWS);
    const baseRps = ROWS / (baseMs / 1000);
    const commitOk = rps >= COMMIT_TARGET_RPS;

    const lines = [
      `machine: ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (shared with other work: figures vary run to run)`,
      `rows: ${ROWS}`,
      `parse: ${parseMs.toFixed(0)} ms; preview (parse + match + store ${ROWS} preview rows): ${previewMs.toFixed(0)} ms (target ≤ ${PREVIEW_TARGET_MS} ms) ${previewOk ? 'ok' : 'MISSED'}`,
      `commit (users + memberships + user.created and group.updated events, batches of 500, one transaction each): ${commitMs.toFixed(0)} ms = ${rps.toFixed(0)} rows/s (target ≥ ${COMMIT_TARGET_RPS}) ${commitOk ? 'ok' : 'MISSED'}`,
      `baseline (plain multi-row INSERT of the same users + memberships, batches of 500, no audit, no preview bookkeeping): ${baseMs.toFixed(0)} ms = ${baseRps.toFixed(0)} rows/s`,
      `commit / baseline throughput: ${(rps / baseRps).toFixed(2)}`,
      `correct: ${correct} (${check[0]!.users} users, ${check[0]!.members} memberships, ${check[0]!.events} user.created events)`,
    ];
    for (const line of lines) console.log(`  ${line}`);
    writeFileSync(
      path.resolve(import.meta.dirname, '..', 'docs', 'performance-csv-import.md'),
      `# CSV import performance\n\nMeasured by \`npm run bench -- csv-import\` on PostgreSQL (\`BENCH_DATABASE_URL\`, fresh database \`${DB}\`), ${new Date().toISOString().slice(0, 10)}, Node ${process.version}.\n\n${lines.map((l) => `- ${l}`).join('\n')}\n\nThe commit's fast path (new people, \`noInvite\`, org without a seat limit) is \`createUsersBulk\` in \`src/directory/import-bulk.ts\`: multi-row INSERTs of users, their \`user.created\` events and memberships per batch, plus the per-row \`applied\` markers in the same transaction. Everything else (updates, disables, invitations, seat-limited orgs) goes row by row through the admin API's domain functions.\n\nThe commit target (≥ 20,000 rows/s) is not met on this machine, where even the plain multi-row INSERT baseline of the same rows stays under it; the ratio is the figure to watch. Where the remaining time goes (measured with timers per batch of 500): the users + \`user.created\` statement about a quarter, the memberships + \`group.updated\` statement a fifth, the per-row \`applied\` markers (an UPDATE of the preview rows, needed for exactly-once resumption) a quarter, and the batch's lock, read and commit the rest.\n`,
    );
    return previewOk && commitOk && correct;
  } finally {
    await store.close();
  }
}
