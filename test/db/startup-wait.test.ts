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
  /** Resolves once stdout holds a match (rejects if the process exits first). */
  said(pattern: RegExp): Promise<void>;
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** `npm start` as a child process, as under docker-compose or Kubernetes, with DATABASE_URL and DATABASE_STARTUP_WAIT_MS. */
function start(databaseUrl: string, waitMs: number, dataDir: string): Started {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', DATA_DIR: dataDir, DATABASE_URL: databaseUrl, DATABASE_STARTUP_WAIT_MS: String(waitMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (code, signal) => resolve([code, signal])));
  const said = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
    const look = () => (pattern.test(stdout) ? resolve() : undefined);
    child.stdout!.on('data', look);
    look();
    void exited.then(([code, signal]) => (pattern.test(stdout) ? resolve() : reject(new Error(`exited (${code ?? signal}) before saying ${pattern}: ${stdout}${stderr}`))));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, said, exited };
}

const retryLines = (stdout: string) => stdout.split('\n').filter((line) => line.includes('database not reachable yet')).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('start-up waits for a database that is not reachable yet (DATABASE_STARTUP_WAIT_MS)', function () {
  this.timeout(120_000);
  let dataDir: string;
  const children: ChildProcess[] = [];
  beforeEach(() => (dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-wait-'))));
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });
  const run = (url: string, waitMs: number) => {
    const started = start(url, waitMs, dataDir);
    children.push(started.child);
    return started;
  };

  it('keeps trying a port that starts listening later, logging each attempt with its reason and no password, then serves', async function () {
    // Before, the first refused connection ended start-up: a Gatehouse started with its PostgreSQL
    // (docker-compose, a Kubernetes pod) crash-looped until the database happened to be up first.
    if (!usingPostgres) this.skip();
    const pgDb = await createPostgresDatabase(process.env.DATABASE_URL!);
    const target = new URL(pgDb.url);
    const port = await freePort();
    const url = new URL(pgDb.url);
    url.host = `127.0.0.1:${port}`;
    url.password = 'pw-never-logged';
    let relay: net.Server | undefined;
    try {
      const server = run(url.toString(), 120_000);
      await server.said(/database not reachable yet/);
      // The database comes up: a relay to the real PostgreSQL starts listening on the port.
      relay = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 5432), target.hostname);
        client.pipe(upstream).pipe(client);
        const drop = () => { client.destroy(); upstream.destroy(); };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      await new Promise<void>((resolve) => relay!.listen(port, '127.0.0.1', resolve));
      await server.said(/Gatehouse listening/);
      const [first] = retryLines(server.stdout());
      assert.equal(first?.reason, 'connection_refused');
      assert.equal(first?.attempt, 1);
      assert.equal(typeof first?.retryInMs, 'number');
      assert.ok(!server.stdout().includes('pw-never-logged'), 'the password is never logged');
      server.child.kill('SIGTERM');
      assert.deepEqual(await server.exited, [0, null], server.stderr());
      assert.equal(server.stderr(), '');
    } finally {
      relay?.close();
      await pgDb.drop();
    }
  });

  it('gives up on a port nobody listens on once DATABASE_STARTUP_WAIT_MS has passed, with one line naming the setting', async () => {
    const port = await freePort();
    const server = run(`postgres://postgres@127.0.0.1:${port}/none`, 1_500);
    const [code] = await server.exited;
    assert.equal(code, 1);
    const stderr = server.stderr().trim();
    assert.equal(stderr.split('\n').length, 1, stderr);
    assert.match(stderr, new RegExp(`^gatehouse: Cannot reach the database at postgres://postgres@127\\.0\\.0\\.1:${port}/none: .*ECONNREFUSED.*; still unreachable after \\d+ attempts \\(DATABASE_STARTUP_WAIT_MS: 1500 ms\\)$`));
    const retries = retryLines(server.stdout());
    assert.ok(retries.length >= 1, server.stdout());
    assert.deepEqual(retries.map((line) => line.attempt), retries.map((_, i) => i + 1));
    for (const line of retries) assert.equal(line.reason, 'connection_refused');
  });

  it('exits 0 at once on SIGTERM while it waits between attempts', async () => {
    const port = await freePort();
    const server = run(`postgres://postgres@127.0.0.1:${port}/none`, 120_000);
    await server.said(/database not reachable yet/);
    server.child.kill('SIGTERM');
    // Waiting out DATABASE_STARTUP_WAIT_MS (2 min, past this test's timeout) would then exit 1.
    assert.deepEqual(await server.exited, [0, null], server.stderr());
    assert.equal(server.stderr(), '');
    assert.match(server.stdout(), /"signal":"SIGTERM".*"msg":"signal received during start-up/);
    assert.match(server.stdout(), /"msg":"stopped while waiting for the database"/);
  });

  it('fails at once, without retrying, on a database that does not exist or a role the server refuses: a configuration error, not a start-order race', async function () {
    if (!usingPostgres) this.skip();
    const missingDb = new URL(process.env.DATABASE_URL!);
    missingDb.pathname = '/gatehouse_no_such_database';
    const missingRole = new URL(process.env.DATABASE_URL!);
    missingRole.username = 'gatehouse_no_such_role';
    for (const [url, said] of [[missingDb, /database "gatehouse_no_such_database" does not exist/], [missingRole, /role "gatehouse_no_such_role" does not exist|authentication failed/]] as const) {
      // A wait of 2 min, past this test's timeout: only a refusal without retrying passes.
      const server = run(url.toString(), 120_000);
      const [code] = await server.exited;
      assert.equal(code, 1);
      assert.match(server.stderr(), said);
      assert.deepEqual(retryLines(server.stdout()), []);
    }
  });
});
