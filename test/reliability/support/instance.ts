import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../support/cli.ts';
import { waitUntil } from './http.ts';
import { freePort } from '../../support/net.ts';

/** The PUBLIC_URL every instance shares: what a load balancer in front of them would be. */
export const PUBLIC_URL = 'https://gatehouse.test';

export interface Instance {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr (start-up failures, crashes). */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Every child still running: killed if the test process exits first (a failed hook, mocha --exit). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `node src/main.ts` as a real child process, the way `npm start` runs
 * in production (NODE_ENV=test only for cheap scrypt and http webhooks to
 * 127.0.0.1), and waits until /readyz answers 200.
 */
export async function startInstance(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<Instance> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `gatehouse-${name}-`));
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      PUBLIC_URL,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      SCIM_RATE_LIMIT_RPS: '100000',
      SCIM_RATE_LIMIT_BURST: '100000',
      WEBHOOKS_ALLOW_HTTP: 'true',
      WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, signal });
    });
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const instance: Instance = { name, port, url, child, exited, stderr: () => stderr, kill: (signal) => void child.kill(signal) };
  try {
    await waitUntil(`${name} ready`, 60_000, async () => {
      if (gone) throw new Error(`${name} exited during start-up: ${stderr}`);
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      return res?.status === 200;
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return instance;
}

/** SIGKILL (whatever it was doing) and wait for the exit; a no-op on a process already gone. */
export async function killInstance(instance: Instance | undefined): Promise<void> {
  if (!instance) return;
  if (instance.child.exitCode === null && instance.child.signalCode === null) instance.kill('SIGKILL');
  await instance.exited;
}
