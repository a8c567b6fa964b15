import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/cli.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { freePort } from '../support/net.ts';

interface Started {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr holds a match (rejects if the process exits first). */
  said(pattern: RegExp): Promise<void>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** `gatehouse migrate` as a child process, as a Kubernetes init container or a compose one-shot runs it before the server. */
function migrate(databaseUrl: string, waitMs: number, dataDir: string): Started {
  const child = spawn(process.execPath, ['bin/gatehouse.js', 'migrate'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DATABASE_STARTUP_WAIT_MS: String(waitMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (code, signal) => resolve([code, signal])));
  const said = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
    const look = () => (pattern.test(stderr) ? resolve() : undefined);
    child.stderr!.on('data', look);
    look();
    void exited.then(([code, signal]) => (pattern.test(stderr) ? resolve() : reject(new Error(`exited (${code ?? signal}) before saying ${pattern}: ${stdout}${stderr}`))));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, said, exited };
}

const retryLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('gatehouse: database not reachable yet'));

describe('gatehouse migrate waits for a database that is not reachable yet (DATABASE_STARTUP_WAIT_MS)', function () {
  this.timeout(120_000);
  let dataDir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => (dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-migrate-wait-'))));
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const run = (url: string, waitMs: number) => {
    const started = migrate(url, waitMs, dataDir);
    children.push(started.child);
    return started;
  };

  it('keeps trying a port that starts listening later, one stderr line per attempt without the password, then migrates', async function () {
    // Before, `gatehouse migrate` as an init container failed on the first refused connection and crash-looped.
    if (!usingPostgres) this.skip();
    const pgDb = await createPostgresDatabase(process.env.DATABASE_URL!);
    const target = new URL(pgDb.url);
    const port = await freePort();
    const url = new URL(pgDb.url);
    url.host = `127.0.0.1:${port}`;
    url.password = 'pw-never-printed';
    let relay: net.Server | undefined;
    try {
      const job = run(url.toString(), 120_000);
      await job.said(/database not reachable yet/);
      relay = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        client.pipe(upstream).pipe(client);
        const drop = () => { client.destroy(); upstream.destroy(); };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      await new Promise<void>((resolve) => relay!.listen(port, '127.0.0.1', resolve));
      assert.deepEqual(await job.exited, [0, null], job.stderr());
      assert.match(job.stdout(), /applied \d+ migration/i);
      const [first] = retryLines(job.stderr());
      assert.match(first ?? '', /^gatehouse: database not reachable yet \(connection_refused, ECONNREFUSED\) at postgres:\/\/postgres(:\*+)?@127\.0\.0\.1:\d+\/\S+: attempt 1, retrying in \d+ ms \(DATABASE_STARTUP_WAIT_MS: 120000 ms\)$/);
      assert.ok(!job.stderr().includes('pw-never-printed'), 'the password is never printed');
    } finally {
      relay?.close();
      await pgDb.drop();
    }
  });

  it('gives up on a port nobody listens on once DATABASE_STARTUP_WAIT_MS has passed, ending with one line naming the setting', async () => {
    const port = await freePort();
    const job = run(`postgres://postgres@127.0.0.1:${port}/none`, 1_500);
    const [code] = await job.exited;
    assert.equal(code, 1);
    const lines = job.stderr().trim().split('\n');
    const last = lines.pop() ?? '';
    assert.match(last, new RegExp(`^gatehouse: Cannot reach the database at postgres://postgres@127\\.0\\.0\\.1:${port}/none: .*ECONNREFUSED.*; still unreachable after \\d+ attempts \\(DATABASE_STARTUP_WAIT_MS: 1500 ms\\)$`));
    assert.ok(lines.length >= 1, job.stderr());
    assert.deepEqual(lines, retryLines(job.stderr()), 'every line before the last is a retry');
    lines.forEach((line, i) => assert.match(line, new RegExp(`: attempt ${i + 1}, retrying in`)));
  });

  it('fails at once, without retrying, on a database that does not exist or a role refused: a configuration error', async function () {
    if (!usingPostgres) this.skip();
    const missingDb = new URL(process.env.DATABASE_URL!);
    missingDb.pathname = '/gatehouse_no_such_database';
    const missingRole = new URL(process.env.DATABASE_URL!);
    missingRole.username = 'gatehouse_no_such_role';
    for (const [url, said] of [[missingDb, /database "gatehouse_no_such_database" does not exist/], [missingRole, /role "gatehouse_no_such_role" does not exist|authentication failed/]] as const) {
      // A wait of 2 min, past this test's timeout: only a refusal without retrying passes.
      const job = run(url.toString(), 120_000);
      const [code] = await job.exited;
      assert.equal(code, 1);
      assert.match(job.stderr(), said);
      assert.deepEqual(retryLines(job.stderr()), []);
    }
  });
});
