import pg from 'pg';
import os from 'node:os';
import { openStore } from '../src/db/orm.ts';
import { migrate } from '../src/db/migrate.ts';
import { createOrg } from '../src/directory/orgs.ts';
import { createGroup } from '../src/directory/groups.ts';
import { createUser } from '../src/directory/users.ts';
import { emptyUserFields } from '../src/directory/user-record.ts';
import { previewImport } from '../src/directory/import-preview.ts';
import { commitImport } from '../src/directory/import-commit.ts';
import { parseImportFile } from '../src/csv/import-parse.ts';
import type { Scope } from '../src/directory/scope.ts';
import { recreateDatabase } from './support.ts';

/**
 * `npm run bench -- csv-invite`: an `upsert` import of N new people with one
 * group each WITH invitations (the default, `noInvite` false) committed by an
 * org admin (a user actor, as through the admin API) of an org without SSO or
 * seat limit. Prints rows/s and where the commit's time goes: statements sent
 * to PostgreSQL per row (by kind), the time spent waiting for them, and Node's
 * own CPU. Not run by a plain `npm run bench` (named only).
 */

const ROWS = Number(process.env.BENCH_CSV_ROWS ?? 2_000);
const DB = 'gatehouse_csvinvite';

interface Tally {
  count: number;
  ms: number;
}

/** Every statement any pg client sends, by its first words, with the time until its answer. */
const tallies = new Map<string, Tally>();
let counting = false;
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const result = (original as any).apply(this, args);
  if (!counting) return result;
  const first = args[0] as string | { text?: string };
  const text = typeof first === 'string' ? first : (first?.text ?? '?');
  const kind = text.replace(/\s+/g, ' ').trim().slice(0, 60);
  const started = performance.now();
  const add = () => {
    const t = tallies.get(kind) ?? { count: 0, ms: 0 };
    t.count++;
    t.ms += performance.now() - started;
    tallies.set(kind, t);
  };
  if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(add, add);
  return result;
} as typeof original;

function file(rows: number): Uint8Array {
  const lines = ['Email,First Name,Last Name,Department,Office Location,Groups'];
  for (let i = 0; i < rows; i++) lines.push(`staff${i}@invite.example,First${i},Last${i},Dept ${i % 50},Office ${i % 7},Staff`);
  return new TextEncoder().encode(`${lines.join('\r\n')}\r\n`);
}

export async function runCsvInvite(): Promise<boolean> {
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  await recreateDatabase(base, DB);
  const url = new URL(base);
  url.pathname = `/${DB}`;
  const store = await openStore({ databaseUrl: url.toString(), dataDir: '', poolMax: 4 });
  try {
    await migrate(store.orm);
    const system = { type: 'system' as const, label: 'bench' };
    const org = await createOrg(store.orm.em.fork(), system, { slug: 'bench-invite', name: 'Bench Invite' });
    const systemScope: Scope = { orgId: org.id, orgSlug: org.slug, actor: system };
    const admin = await createUser(store.orm.em.fork(), systemScope, { ...emptyUserFields('admin@invite.example'), displayName: 'Ann Admin', emails: [{ value: 'admin@invite.example', type: 'work', primary: true }] }, { source: 'admin', active: true });
    const scope: Scope = { orgId: org.id, orgSlug: org.slug, actor: { type: 'user', id: admin.id, label: 'admin@invite.example' } };
    const group = await createGroup(store.orm.em.fork(), scope, { displayName: 'Staff', externalId: null, description: null, scimAttributes: {} }, [], 'admin');
    const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');

    const loadBefore = load();
    let started = performance.now();
    const preview = await previewImport(store.orm.em.fork(), scope, parseImportFile(file(ROWS), { fileName: 'staff.csv' }), { mode: 'upsert', noInvite: false });
    const previewMs = performance.now() - started;

    counting = true;
    started = performance.now();
    const cpu = process.cpuUsage();
    const done = await commitImport(() => store.orm.em.fork(), scope, { publicUrl: 'https://bench.invalid', now: () => new Date() }, preview.id, { rows: 'all' });
    const commitMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    counting = false;
    const nodeCpuMs = (used.user + used.system) / 1000;

    const check = (await store.orm.em.fork().execute(
      `select (select count(*)::int from users where org_id = ? and state = 'invited') as invited,
              (select count(*)::int from invitations where org_id = ?) as invitations,
              (select count(*)::int from invitation_memberships im join invitations i on i.id = im.invitation_id where i.org_id = ? and im.group_id = ?) as planned,
              (select count(*)::int from outbox_messages where org_id = ? and kind = 'invitation') as mails`,
      [org.id, org.id, org.id, group.id, org.id],
    ))[0]!;
    const correct = done.progress.applied === ROWS && [check.invited, check.invitations, check.planned, check.mails].every((n) => Number(n) === ROWS);
    const statements = [...tallies.values()].reduce((n, t) => n + t.count, 0);
    const waitMs = [...tallies.values()].reduce((n, t) => n + t.ms, 0);
    const lines = [
      `machine: ${os.cpus().length} CPUs, load average ${loadBefore} before the preview, ${load()} after the commit`,
      `rows: ${ROWS} new people, one group each, WITH invitations (noInvite false), committed by an org admin (user actor)`,
      `preview: ${previewMs.toFixed(0)} ms`,
      `commit: ${commitMs.toFixed(0)} ms = ${(ROWS / (commitMs / 1000)).toFixed(0)} rows/s; Node CPU ${nodeCpuMs.toFixed(0)} ms (${((nodeCpuMs / commitMs) * 100).toFixed(0)} % of the wall time)`,
      `statements: ${statements} = ${(statements / ROWS).toFixed(1)} per row; waiting for their answers ${waitMs.toFixed(0)} ms (${((waitMs / commitMs) * 100).toFixed(0)} % of the wall time), ${((waitMs / statements) * 1000).toFixed(0)} µs each`,
      `correct: ${correct} (${check.invited} invited users, ${check.invitations} invitations, ${check.planned} planned memberships, ${check.mails} invitation mails queued)`,
    ];
    for (const line of lines) console.log(`  ${line}`);
    console.log('  statements by kind (count per row, ms in all):');
    for (const [kind, t] of [...tallies.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
      console.log(`    ${(t.count / ROWS).toFixed(2).padStart(6)}  ${t.ms.toFixed(0).padStart(6)} ms  ${kind}`);
    }
    return correct;
  } finally {
    await store.close();
  }
}

if (import.meta.main) process.exit((await runCsvInvite()) ? 0 : 1);
