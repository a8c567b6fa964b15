import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
