import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from './support.ts';

const root = path.resolve(import.meta.dirname, '..');

/** The V8 flags of `npm start` (package.json is their one home), so a benchmark measures what operators run. */
export function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((arg) => arg.startsWith('--'));
}

export interface Spawned {
  child: ChildProcess;
  baseUrl: string;
  /** The last lines the server printed, for the error that explains a failed run. */
  tail: string[];
  /** SIGTERM, then SIGKILL after 15 s: a server stuck on in-flight work must not outlive the run. */
  stop(): Promise<number | null>;
}

/**
 * A benchmark's server as a child process on a free loopback port (Gatehouse's
 * src/main.ts, or the bare baseline), ready once `readyPath` answers 200.
 */
export async function spawnServer(options: {
  name: string;
  script: string;
  flags: string[];
  env: NodeJS.ProcessEnv;
  readyPath?: string;
  timeoutMs?: number;
  tailLines?: number;
  /** Sees every line the server prints (the soak picks out error-level log lines). */
  onLine?: (line: string) => void;
}): Promise<Spawned> {
  const { name, readyPath = '/healthz', timeoutMs = 60_000, tailLines = 20 } = options;
  const port = await freePort();
  const child = spawn(process.execPath, [...options.flags, options.script], { cwd: root, env: { ...options.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
      tail.push(line);
      options.onLine?.(line);
    }
    tail.splice(0, Math.max(0, tail.length - tailLines));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', (code) => (clearTimeout(timer), resolve(code)));
      child.kill('SIGTERM');
    });
  for (let waited = 0; waited < timeoutMs; waited += 200) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${tail.join('\n')}`);
    try {
      if ((await fetch(`${baseUrl}${readyPath}`, { signal: AbortSignal.timeout(5000) })).status === 200) return { child, baseUrl, tail, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not answer ${readyPath} within ${timeoutMs / 1000} s:\n${tail.join('\n')}`);
}
