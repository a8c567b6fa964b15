import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { runCli } from '../support/cli.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';

describe('gatehouse import (CLI)', function () {
  this.timeout(120_000);
  let dir: string;
  let env: Record<string, string | undefined>;
  let drop: (() => Promise<void>) | undefined;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-import-'));
    env = { DATA_DIR: dir, NODE_ENV: 'test' };
    if (usingPostgres) {
      const db = await createPostgresDatabase(process.env.DATABASE_URL!);
      env.DATABASE_URL = db.url;
      drop = db.drop;
    }
    const org = await runCli(['org', 'create', '--slug', 'cli-imp', '--name', 'CLI Import'], env);
    assert.equal(org.code, 0, org.stderr);
    writeFileSync(path.join(dir, 'staff.csv'), 'Email;Full Name;Groups\r\nann@example.com;Ann A;Crew\r\nbo@example.com;Bo B;Crew\r\nbad;x;\r\n');
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await drop?.();
  });

  it('previews a file and prints the counts without writing', async () => {
    const res = await runCli(['import', '--org', 'cli-imp', '--mode', 'upsert', '--file', path.join(dir, 'staff.csv'), '--no-invite', '--create-groups'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /2 to create, 0 to update, 0 unchanged, 0 to disable, 1 skipped \(1 with errors\)/);
    assert.match(res.stdout, /Preview only/);
  });

  it('commits with --commit, showing a progress bar on stderr', async () => {
    const res = await runCli(['import', '--org', 'cli-imp', '--mode', 'upsert', '--file', path.join(dir, 'staff.csv'), '--no-invite', '--create-groups', '--commit', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const summary = JSON.parse(res.stdout.trim());
    assert.equal(summary.status, 'committed');
    assert.equal(summary.progress.applied, 2);
    assert.match(res.stderr, /\[#+\] 2\/2 \(100%\)/);
  });

  it('shows the manager pass as its own phase after the rows, not the rows\' bar again', async () => {
    writeFileSync(path.join(dir, 'managed.csv'), 'Email,Manager\r\nm1@example.com,mboss@example.com\r\nm2@example.com,mboss@example.com\r\nmboss@example.com,\r\n');
    const org = await runCli(['org', 'create', '--slug', 'cli-mgr', '--name', 'CLI Managers'], env);
    assert.equal(org.code, 0, org.stderr);
    const res = await runCli(['import', '--org', 'cli-mgr', '--mode', 'upsert', '--file', path.join(dir, 'managed.csv'), '--no-invite', '--commit'], env);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr.match(/3\/3 \(100%\)/g)?.length, 1, res.stderr);
    assert.match(res.stderr, /\] 3\/3 \(100%\)\n\rsetting managers \[#+\] 2\/2 \(100%\)\n$/);
  });

  it('ties every audit event of one CLI commit to its import.committed by one request id, as an API commit is', async () => {
    writeFileSync(path.join(dir, 'ops.csv'), 'Email\r\ncy@example.com\r\ndee@example.com\r\n');
    const res = await runCli(['import', '--org', 'cli-imp', '--mode', 'upsert', '--file', path.join(dir, 'ops.csv'), '--no-invite', '--commit'], env);
    assert.equal(res.code, 0, res.stderr);
    const audit = await runCli(['export', 'audit', '--org', 'cli-imp'], env);
    assert.equal(audit.code, 0, audit.stderr);
    const events = parse(audit.stdout, { bom: true, columns: true }) as Array<Record<string, string>>;
    const requestIdOf = (action: string, labels: string[]) => events.filter((e) => e.Action === action && labels.includes(e.Target!)).map((e) => e['Request ID']);
    const [committed] = requestIdOf('import.committed', ['ops.csv']);
    assert.match(committed ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(requestIdOf('user.created', ['cy@example.com', 'dee@example.com']), [committed, committed]);
  });

  it('refuses a commit over the mass-disable threshold naming the numbers and --force, and commits with --force', async () => {
    writeFileSync(path.join(dir, 'legacy.csv'), 'Email\r\nann@example.com\r\nbo@example.com\r\n');
    const args = ['import', '--org', 'cli-imp', '--mode', 'disable', '--file', path.join(dir, 'legacy.csv'), '--commit'];
    const refused = await runCli(args, env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^gatehouse: This import would disable 2 of the organization's 4 enabled users, more than its mass-disable threshold \(20%\); nothing was committed: run again with --force to commit it$/m);
    const forced = await runCli([...args, '--force'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /Disables 2 of the organization's 4 enabled users, more than its mass-disable threshold \(20%\): committing with --force\./);
    assert.match(forced.stdout, /Committed: 2 applied, 0 failed of 2\./);
  });

  it('reports a --file it cannot read as one line naming --file, exit 1, without the usage text', async () => {
    const res = await runCli(['import', '--org', 'cli-imp', '--mode', 'upsert', '--file', path.join(dir, 'missing.csv')], env);
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    assert.match(res.stderr, /^gatehouse: --file .*missing\.csv: cannot read the file \(ENOENT: no such file or directory\)/);
  });

  it('refuses an unknown mode as a usage error', async () => {
    const res = await runCli(['import', '--org', 'cli-imp', '--mode', 'merge', '--file', 'x.csv'], env);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /--mode must be one of upsert, disable, sync/);
  });
});
