import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';

/**
 * `gatehouse org delete --slug S --confirm S`, as a process: what it refuses
 * and what it prints. What it deletes, and what it leaves, is in
 * test/directory/org-deletion.test.ts.
 */
describe('gatehouse org delete', function () {
  this.timeout(120_000);
  let dataDir: string;
  let env: Record<string, string | undefined>;
  let dropDatabase: (() => Promise<void>) | undefined;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-org-delete-'));
    env = { DATA_DIR: dataDir, NODE_ENV: 'test' };
    if (usingPostgres) {
      const db = await createPostgresDatabase(process.env.DATABASE_URL!);
      env.DATABASE_URL = db.url;
      dropDatabase = db.drop;
    }
    for (const slug of ['leaving', 'staying']) {
      const res = await runCli(['org', 'create', '--slug', slug, '--name', `${slug} inc`], env);
      assert.equal(res.code, 0, res.stderr);
    }
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await dropDatabase?.();
  });

  it('is listed in the help', async () => {
    const res = await runCli(['--help'], env);
    assert.match(res.stdout, /^ {2}org delete --slug <slug> --confirm <slug> +delete an organization and all its data/m);
  });

  it('refuses to run without --confirm, before opening the database (exit 2)', async () => {
    const res = await runCli(['org', 'delete', '--slug', 'leaving'], { ...env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    assert.equal(res.code, 2);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr.split('\n')[0], 'gatehouse: --confirm is required');
  });

  it('refuses a --confirm that does not repeat the slug (exit 2) and deletes nothing', async () => {
    const res = await runCli(['org', 'delete', '--slug', 'leaving', '--confirm', 'staying'], env);
    assert.equal(res.code, 2);
    assert.equal(res.stderr.split('\n')[0], 'gatehouse: --confirm must repeat the slug: "staying" is not "leaving"');
    const listed = JSON.parse((await runCli(['org', 'list', '--json'], env)).stdout);
    assert.deepEqual(listed.orgs.map((o: { slug: string }) => o.slug), ['leaving', 'staying']);
  });

  it('deletes the org, prints the counts per kind as one JSON object, and names the org and the operator on stderr', async () => {
    const res = await runCli(['org', 'delete', '--slug', 'leaving', '--confirm', 'leaving', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.org, 'leaving');
    assert.equal(out.deleted.auditEvents, 1, 'its org.created event');
    assert.equal(out.deleted.people, 0);
    assert.match(res.stderr, new RegExp(`^gatehouse: organization leaving \\(id ${out.id}\\) deleted by cli:\\S+: auditEvents 1\\n$`));

    const listed = JSON.parse((await runCli(['org', 'list', '--json'], env)).stdout);
    assert.deepEqual(listed.orgs.map((o: { slug: string }) => o.slug), ['staying']);
    const again = await runCli(['org', 'delete', '--slug', 'leaving', '--confirm', 'leaving'], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /Organization "leaving" not found/);
  });
});
