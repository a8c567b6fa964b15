import { closeSync, futimesSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Embedded PGlite is one process's database: two processes opening the same
 * directory corrupt it. Whoever opens DATA_DIR holds the lock file
 * DATA_DIR/gatehouse.lock; a second process is refused with a message that
 * says who holds it and what to do.
 *
 * A pid alone cannot tell whether the holder still runs: in containers every
 * start reuses the same small pids (the server is pid 1), so a lock left by a
 * killed container names a pid that is alive in the next one, and two containers
 * sharing a volume see each other's pids as dead (or as themselves). So the file
 * records the holder's boot id, PID namespace and process start time, and the
 * holder touches it (its mtime) every `heartbeatMs`:
 *
 * - Written in our own PID namespace of this boot (same machine, same container):
 *   held while that pid runs and started when recorded (a reused pid is another
 *   process); decided at once.
 * - Written anywhere else (an earlier start of this container, another container
 *   or machine sharing the volume): held while its heartbeat goes on. Stale once the
 *   mtime has stood still for `staleAfterMs`: judged on our clock when the writer
 *   shares our kernel (same boot id), else by watching the file that long (another
 *   machine's clock may differ). Start-up waits for that, saying so, rather than
 *   refusing forever or taking over a live holder's database.
 */

export interface LockTiming {
  heartbeatMs: number;
  staleAfterMs: number;
  /** How often a waiting process looks at the file again. */
  pollMs: number;
}

export const defaultLockTiming: LockTiming = { heartbeatMs: 5_000, staleAfterMs: 30_000, pollMs: 500 };

export interface LockOptions {
  timing?: Partial<LockTiming>;
  /** Told once when start-up waits for a lock whose holder cannot be checked from here. */
  notice?: (message: string) => void;
  /** Told when another process took the lock over (our heartbeat stopped for longer than staleAfterMs). */
  onLost?: (message: string) => void;
}

/** What the lock file holds. Files written before heartbeats carry only pid, holder and since. */
export interface LockRecord {
  pid: number;
  holder: string;
  since: string;
  host?: string;
  bootId?: string;
  pidNamespace?: string;
  /** The holder's start time in clock ticks since boot (/proc/<pid>/stat field 22). */
  startTicks?: number;
  heartbeatMs?: number;
}

export class DataDirLockedError extends Error {
  readonly holderPid: number;
  constructor(dataDir: string, record: LockRecord, elsewhere: boolean) {
    const who = elsewhere
      ? `${record.holder} (pid ${record.pid} on host ${record.host ?? 'unknown'}, outside this machine or container: its heartbeat is live)`
      : `${record.holder} (pid ${record.pid})`;
    const stop = elsewhere
      ? 'stop that process first (in the container or on the machine running it)'
      : `stop that process first (Ctrl-C in its terminal, or kill ${record.pid})`;
    super(
      `The embedded database in ${dataDir} is in use by ${who}. ` +
        `PGlite allows one process at a time: ${stop}, ` +
        'run this command again, then start the server with npm start. ' +
        'To run the CLI next to a live server, set DATABASE_URL to a PostgreSQL server.',
    );
    this.name = 'DataDirLockedError';
    this.holderPid = record.pid;
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

/** Where this process runs, as far as pids go: processes with equal ids see the same pids. */
export interface ProcessIdentity {
  host: string;
  bootId?: string;
  pidNamespace?: string;
}

export function processIdentity(): ProcessIdentity {
  return {
    host: os.hostname(),
    bootId: attempt(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()),
    pidNamespace: attempt(() => readlinkSync('/proc/self/ns/pid')),
  };
}

/** A process's start time in clock ticks since boot; undefined without /proc (macOS) or once it is gone. */
export function startTicks(pid: number): number | undefined {
  const stat = attempt(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, starttime 22.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields?.[22 - 3]);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

export async function lockDataDir(dataDir: string, holder: string, options: LockOptions = {}): Promise<DataDirLock> {
  const timing = { ...defaultLockTiming, ...options.timing };
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    throw new DataDirUnusableError(dataDir, error);
  }
  const file = path.join(dataDir, 'gatehouse.lock');
  const me = processIdentity();
  const mine: LockRecord = {
    pid: process.pid, holder, since: new Date().toISOString(), ...me, startTicks: startTicks(process.pid), heartbeatMs: timing.heartbeatMs,
  };
  let watched: Watch | undefined;
  let told = false;
  for (;;) {
    const fd = create(dataDir, file, mine);
    if (fd !== undefined) return holdLock(file, fd, timing, options.onLost);
    const seen = inspect(file);
    if (!seen) continue; // released meanwhile: try again
    // A new file, or one still being written (unreadable, then its content lands), is watched afresh.
    if (watched?.ino !== seen.ino || (!seen.record && seen.mtimeMs !== watched.mtimeMs)) watched = { ino: seen.ino, mtimeMs: seen.mtimeMs, since: performance.now() };
    const verdict = judge(seen, watched, me, timing);
    if (verdict.kind === 'held') throw new DataDirLockedError(dataDir, verdict.record, verdict.elsewhere);
    if (verdict.kind === 'stale') {
      takeOver(file, seen.ino);
      watched = undefined;
      continue;
    }
    if (!told) {
      told = true;
      options.notice?.(
        `${file} was written by ${seen.record ? `${seen.record.holder} (pid ${seen.record.pid} on host ${seen.record.host ?? 'unknown'})` : 'a process (unreadable)'}, ` +
          `which cannot be checked from here: waiting up to ${Math.ceil(verdict.waitMs / 1000)} s for its heartbeat before taking the embedded database over`,
      );
    }
    await sleep(Math.min(timing.pollMs, Math.max(1, verdict.waitMs)));
  }
}

interface Seen {
  ino: number;
  mtimeMs: number;
  record: LockRecord | undefined;
}

/** The lock file as first seen: a heartbeat shows as its mtime moving on. */
interface Watch {
  ino: number;
  mtimeMs: number;
  since: number;
}

type Verdict = { kind: 'held'; record: LockRecord; elsewhere: boolean } | { kind: 'stale' } | { kind: 'wait'; waitMs: number };

function judge(seen: Seen, watched: Watch, me: ProcessIdentity, timing: LockTiming): Verdict {
  const { record } = seen;
  if (record && samePids(record, me)) {
    // Our own pid in our own namespace is this very process: a lock it left is stale.
    if (record.pid === process.pid) return { kind: 'stale' };
    return isAlive(record.pid) && startedAsRecorded(record) ? { kind: 'held', record, elsewhere: false } : { kind: 'stale' };
  }
  if (record && seen.mtimeMs !== watched.mtimeMs) return { kind: 'held', record, elsewhere: true };
  // A holder with a slower heartbeat than ours (another version) gets as many beats to show it is alive.
  const staleAfter = Math.max(timing.staleAfterMs, 6 * (record?.heartbeatMs ?? 0));
  // Standing still while watched proves it anywhere; a writer sharing our kernel (same boot) shares our clock too.
  const sharesClock = record?.bootId !== undefined && record.bootId === me.bootId;
  const still = Math.max(performance.now() - watched.since, sharesClock ? Date.now() - seen.mtimeMs : 0);
  return still > staleAfter ? { kind: 'stale' } : { kind: 'wait', waitMs: staleAfter - still };
}

/** Whether the record's pid means the same process here: same boot and PID namespace, or (no /proc on either side) same host. */
function samePids(record: LockRecord, me: ProcessIdentity): boolean {
  // A lock file from before heartbeats: its pid is all there is to go on, as it was then.
  if (record.host === undefined) return true;
  if (record.bootId === undefined && me.bootId === undefined) return record.host === me.host;
  return record.bootId === me.bootId && record.pidNamespace !== undefined && record.pidNamespace === me.pidNamespace;
}

function startedAsRecorded(record: LockRecord): boolean {
  if (record.startTicks === undefined) return true;
  const now = startTicks(record.pid);
  return now === undefined || now === record.startTicks;
}

/** Creates the lock file, or undefined when one exists. Readers treat a file being written (empty) as not yet judgeable, never as stale. */
function create(dataDir: string, file: string, record: LockRecord): number | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw new DataDirUnusableError(dataDir, error);
  }
  try {
    writeSync(fd, JSON.stringify(record));
  } catch (error) {
    closeSync(fd);
    rmSync(file, { force: true });
    throw new DataDirUnusableError(dataDir, error);
  }
  return fd;
}

function inspect(file: string): Seen | undefined {
  let stat;
  let text;
  try {
    stat = statSync(file);
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return { ino: stat.ino, mtimeMs: stat.mtimeMs, record: parseRecord(text) };
}

function parseRecord(text: string): LockRecord | undefined {
  const data = attempt(() => JSON.parse(text) as Record<string, unknown>);
  if (!data || typeof data.pid !== 'number') return undefined;
  const text_ = (key: string) => (typeof data[key] === 'string' ? data[key] : undefined);
  const int = (key: string) => (Number.isSafeInteger(data[key]) ? (data[key] as number) : undefined);
  return {
    pid: data.pid, holder: text_('holder') ?? 'another process', since: text_('since') ?? '',
    host: text_('host'), bootId: text_('bootId'), pidNamespace: text_('pidNamespace'), startTicks: int('startTicks'), heartbeatMs: int('heartbeatMs'),
  };
}

/**
 * Removes the stale file judged, and only that one: it is first renamed aside, so a lock another
 * process created in between (after taking the same stale one over) is put back, not deleted.
 */
function takeOver(file: string, staleIno: number): void {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // gone already: another process took it over, or its holder released it
  }
  try {
    if (statSync(aside).ino !== staleIno) renameBack(aside, file);
  } finally {
    rmSync(aside, { force: true });
  }
}

function renameBack(aside: string, file: string): void {
  const fd = attempt(() => openSync(file, 'wx'));
  if (fd === undefined) return; // yet another lock appeared: that one stands
  closeSync(fd);
  renameSync(aside, file);
}

function holdLock(file: string, fd: number, timing: LockTiming, onLost: LockOptions['onLost']): DataDirLock {
  const ino = statSync(file).ino;
  const ours = () => attempt(() => statSync(file).ino) === ino;
  const heartbeat = setInterval(() => {
    if (!ours()) {
      clearInterval(heartbeat);
      onLost?.(`${file} was taken over by another process (this one's heartbeat stopped for longer than ${timing.staleAfterMs / 1000} s): two processes now use the embedded database; stop one`);
      return;
    }
    const now = new Date();
    attempt(() => futimesSync(fd, now, now)); // a failed beat is retried at the next
  }, timing.heartbeatMs);
  heartbeat.unref();
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      if (ours()) rmSync(file, { force: true });
      attempt(() => closeSync(fd));
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
