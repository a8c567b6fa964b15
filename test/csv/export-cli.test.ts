import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli } from '../support/cli.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { exportHeaders } from '../../src/csv/columns.ts';

/** `gatehouse export`, spawned as a process, on PostgreSQL when DATABASE_URL is set, else on PGlite. */
describe('gatehouse export (CLI)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let env: Record<string, string | undefined>;
  let dropDatabase: (() => Promise<void>) | undefined;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-export-'));
    env = { DATA_DIR: dataDir, NODE_ENV: 'test' };
    if (usingPostgres) {
      const db = await createPostgresDatabase(process.env.DATABASE_URL!);
      env.DATABASE_URL = db.url;
      dropDatabase = db.drop;
    }
    const org = await runCli(['org', 'create', '--slug', 'acme', '--name', 'Acme Corp'], env);
    assert.equal(org.code, 0, org.stderr);
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase?.();
  });

  it('prints users.csv to stdout with the BOM and the headers', async () => {
    const res = await runCli(['export', 'users', '--org', 'acme'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(res.stdout.startsWith('\uFEFF'), 'starts with the BOM');
    assert.deepEqual(parse(res.stdout, { bom: true }), [[...exportHeaders.users]]);
  });

  it('writes the audit trail to --out, the earlier export and this one audited once each, with --status taking a value', async () => {
    const out = path.join(dataDir, 'audit.csv');
    const res = await runCli(['export', 'audit', '--org', 'acme', '--action', 'export.*', '--out', out], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(existsSync(`${out}.partial`), false);
    const rows = parse(readFileSync(out), { bom: true }) as string[][];
    assert.deepEqual(rows[0], [...exportHeaders.audit]);
    assert.deepEqual(rows.slice(1).map((r) => [r[1], r[3], r[5]]), [
      ['cli', 'export.downloaded', 'users'],
      ['cli', 'export.downloaded', 'audit'],
    ]);
    const filtered = await runCli(['export', 'users', '--org', 'acme', '--status', 'disabled'], env);
    assert.equal(filtered.code, 0, filtered.stderr);
  });

  it('prints one JSON object {file, rows} with --json and --out, and refuses --json without --out (the CSV would share stdout)', async () => {
    const out = path.join(dataDir, 'audit-json.csv');
    const res = await runCli(['export', 'audit', '--org', 'acme', '--out', out, '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout.trim().split('\n');
    assert.equal(lines.length, 1, res.stdout);
    const written = (parse(readFileSync(out), { bom: true }) as string[][]).length - 1;
    assert.ok(written > 0);
    assert.deepEqual(JSON.parse(lines[0]!), { export: 'audit', org: 'acme', file: out, rows: written });
    const bare = await runCli(['export', 'users', '--org', 'acme', '--json'], env);
    assert.equal(bare.code, 2);
    assert.equal(bare.stdout, '');
    assert.match(bare.stderr, /--json needs --out/);
  });

  it('reports an --out it cannot write as one line naming --out, exit 1, and records no export', async () => {
    const res = await runCli(['export', 'invitations', '--org', 'acme', '--out', '/nonexistent/dir/x.csv'], env);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    assert.match(res.stderr, /^gatehouse: --out \/nonexistent\/dir\/x\.csv: cannot write the file \(ENOENT/);
    const audit = await runCli(['export', 'audit', '--org', 'acme', '--action', 'export.*'], env);
    const targets = (parse(audit.stdout, { bom: true }) as string[][]).slice(1).map((r) => r[5]);
    assert.ok(!targets.includes('invitations'), `no export.downloaded for the failed export: ${targets.join(', ')}`);
  });

  it('validates --since and --until as the API does: a date-time with a time zone', async () => {
    for (const since of ['2026-11-30', '2026-11-30T10:00:00', 'yesterday']) {
      const res = await runCli(['export', 'audit', '--org', 'acme', '--since', since], env);
      assert.equal(res.code, 2, since);
      assert.equal(res.stdout, '');
      assert.match(res.stderr, /--since must be an ISO 8601 date-time with a time zone/);
    }
    const ok = await runCli(['export', 'audit', '--org', 'acme', '--since', '2026-11-30T00:00:00+01:00', '--until', '2100-01-01T00:00:00Z'], env);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('refuses an unknown export or a bad status with usage on stderr and nothing on stdout', async () => {
    const unknown = await runCli(['export', 'payroll', '--org', 'acme'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "export payroll"/);
    const bad = await runCli(['export', 'users', '--org', 'acme', '--status', 'sleeping'], env);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /--status must be one of/);
  });

  it('writes ";" with --delimiter semicolon (Excel in German, French… locales), and refuses another delimiter', async () => {
    const res = await runCli(['export', 'users', '--org', 'acme', '--delimiter', 'semicolon'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `\uFEFF${exportHeaders.users.join(';')}\r\n`);
    const bad = await runCli(['export', 'users', '--org', 'acme', '--delimiter', 'tab'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--delimiter must be one of comma, semicolon/);
  });

  it('refuses a filter the export does not take (as the API does), rather than exporting everything', async () => {
    const since = await runCli(['export', 'users', '--org', 'acme', '--since', '2026-11-30T00:00:00Z'], env);
    assert.equal(since.code, 2);
    assert.equal(since.stdout, '');
    assert.match(since.stderr, /unknown option --since for "export users"\nUsage: gatehouse export users .*\[--status <s>\] \[--q <text>\] \[--group <id>\] \[--ids <id,id…>\]/);
    const q = await runCli(['export', 'audit', '--org', 'acme', '--q', 'ada'], env);
    assert.equal(q.code, 2);
    assert.match(q.stderr, /unknown option --q for "export audit"\nUsage: gatehouse export audit .*\[--actor <a>\] \[--target <t>\] \[--action <a\|family\.\*>\] \[--since <iso>\] \[--until <iso>\]/);
  });
});
