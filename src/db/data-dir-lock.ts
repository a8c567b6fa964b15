import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';

/**
 * Embedded PGlite is one process's database: two processes opening the same
 * directory corrupt it. Whoever opens DATA_DIR holds this lock file; a second
 * process is refused with a message that says who holds it and what to do.
 */
export class DataDirLockedError extends Error {
  readonly holderPid: number;
  constructor(dataDir: string, holderPid: number, holder: string) {
    super(
      `The embedded database in ${dataDir} is in use by ${holder} (pid ${holderPid}). ` +
        `PGlite allows one process at a time: stop that process first (Ctrl-C in its terminal, or kill ${holderPid}), ` +
        'run this command again, then start the server with npm start. ' +
        'To run the CLI next to a live server, set DATABASE_URL to a PostgreSQL server.',
    );
    this.name = 'DataDirLockedError';
    this.holderPid = holderPid;
  }
}

/** DATA_DIR cannot hold the embedded database: a file, a directory we may not write, a read-only disk. */
export class DataDirUnusableError extends Error {
  constructor(dataDir: string, cause: unknown) {
    super(`DATA_DIR ${dataDir}: cannot be used for the embedded database (${(cause as Error).message})`);
    this.name = 'DataDirUnusableError';
    this.cause = cause;
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string, holder: string): DataDirLock {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new DataDirUnusableError(dataDir, error);
  }
  const file = path.join(dataDir, 'gatehouse.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, holder, since: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirUnusableError(dataDir, error);
      const current = readHolder(file);
      if (current && current.pid !== process.pid && isAlive(current.pid)) {
        throw new DataDirLockedError(dataDir, current.pid, current.holder);
      }
      // Stale lock of a process that died without releasing it (or of ourselves): take it over.
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${file}`);
}

function readHolder(file: string): { pid: number; holder: string } | undefined {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; holder?: unknown };
    if (typeof data.pid === 'number') return { pid: data.pid, holder: String(data.holder ?? 'another process') };
  } catch {
    // An unreadable lock file is treated as stale.
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
