import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLockedError, lockDataDir } from '../../src/db/data-dir-lock.ts';

/**
 * DATA_DIR/gatehouse.lock across containers and machines: the cases a bare pid got wrong.
 * Lock files are written here as another process (another container, machine or start) would.
 */
const linux = existsSync('/proc/sys/kernel/random/boot_id') && existsSync('/proc/self/ns/pid');

(linux ? describe : describe.skip)('DATA_DIR lock', function () {
  this.timeout(20_000);
  const timing = { heartbeatMs: 50, staleAfterMs: 400, pollMs: 20 };
  const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  const pidNamespace = () => readlinkSync('/proc/self/ns/pid');
  const startTicksOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[22 - 3]);
  let dir: string;
  let file: string;
  const timers: NodeJS.Timeout[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-lock-'));
    file = path.join(dir, 'gatehouse.lock');
  });
  afterEach(() => {
    for (const t of timers.splice(0)) clearInterval(t);
    rmSync(dir, { recursive: true, force: true });
  });

  const writeLock = (record: Record<string, unknown>, ageMs = 0) => {
    writeFileSync(file, JSON.stringify({ holder: 'the Gatehouse server', since: new Date().toISOString(), heartbeatMs: timing.heartbeatMs, ...record }));
    const at = new Date(Date.now() - ageMs);
    utimesSync(file, at, at);
  };
  /** The other holder's heartbeat. */
  const beat = () => timers.push(setInterval(() => { const now = new Date(); utimesSync(file, now, now); }, timing.heartbeatMs));
  const otherContainer = { host: 'c0ffee', pidNamespace: 'pid:[4026532999]' };
  const options = (notices: string[] = []) => ({ timing, notice: (m: string) => notices.push(m) });
  const heldBy = (pid: number) => JSON.parse(readFileSync(file, 'utf8')).pid === pid;

  it('takes over the lock of an earlier start of this container at once, though its pid (1) is alive in this one', async () => {
    // Killed container, restarted: a fresh PID namespace whose pid 1 is alive again; the old heartbeat stopped a minute ago.
    writeLock({ pid: 1, ...otherContainer, bootId: bootId(), startTicks: 1 }, 60_000);
    const started = performance.now();
    const lock = await lockDataDir(dir, 'the Gatehouse server', options());
    assert.ok(performance.now() - started < timing.staleAfterMs, 'no waiting: the kernel clock is shared');
    assert.ok(heldBy(process.pid));
    lock.release();
    assert.equal(existsSync(file), false);
  });

  it('waits out a recent heartbeat of another PID namespace before taking over, and says so', async () => {
    writeLock({ pid: 1, ...otherContainer, bootId: bootId() }, 100);
    const notices: string[] = [];
    const started = performance.now();
    const lock = await lockDataDir(dir, 'gatehouse org list', options(notices));
    assert.ok(performance.now() - started >= timing.staleAfterMs - 100 - 5);
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /written by the Gatehouse server \(pid 1 on host c0ffee\), which cannot be checked from here: waiting up to 1 s/);
    lock.release();
  });

  it('refuses a lock another container on the shared volume keeps beating, even with our own pid', async () => {
    // Two containers, each running the server as the same pid: "that pid is me" is no proof of staleness.
    writeLock({ pid: process.pid, ...otherContainer, bootId: bootId() });
    beat();
    await assert.rejects(lockDataDir(dir, 'the Gatehouse server', options()), (error: unknown) => {
      assert.ok(error instanceof DataDirLockedError);
      assert.match(error.message, new RegExp(`in use by the Gatehouse server \\(pid ${process.pid} on host c0ffee, outside this machine or container: its heartbeat is live\\)`));
      return true;
    });
    assert.ok(heldBy(process.pid) && JSON.parse(readFileSync(file, 'utf8')).host === 'c0ffee', 'the lock is left alone');
  });

  it('refuses a lock of another machine while its heartbeat goes on, though its pid is dead here', async () => {
    writeLock({ pid: 999_999, host: 'other-machine', bootId: 'another-boot', pidNamespace: 'pid:[4026531836]' });
    beat();
    await assert.rejects(lockDataDir(dir, 'the Gatehouse server', options()), /pid 999999 on host other-machine/);
  });

  it('takes over a lock of another machine once its mtime has stood still long enough, whatever that machine\'s clock says', async () => {
    // Its clock an hour ahead: judged by watching the file, not by comparing its mtime with ours.
    writeLock({ pid: 999_999, host: 'other-machine', bootId: 'another-boot', pidNamespace: 'pid:[4026531836]' }, -3_600_000);
    const started = performance.now();
    const lock = await lockDataDir(dir, 'the Gatehouse server', options());
    assert.ok(performance.now() - started >= timing.staleAfterMs);
    assert.ok(heldBy(process.pid));
    lock.release();
  });

  it('refuses a live process of this namespace, and takes over when its pid now belongs to another process', async () => {
    const parent = process.ppid;
    writeLock({ pid: parent, host: os.hostname(), bootId: bootId(), pidNamespace: pidNamespace(), startTicks: startTicksOf(parent) }, 60_000);
    // Decided at once from the pid, whatever the heartbeat.
    await assert.rejects(lockDataDir(dir, 'gatehouse migrate', options()), new RegExp(`in use by the Gatehouse server \\(pid ${parent}\\)\\. `));
    writeLock({ pid: parent, host: os.hostname(), bootId: bootId(), pidNamespace: pidNamespace(), startTicks: startTicksOf(parent) - 1 });
    beat();
    const lock = await lockDataDir(dir, 'gatehouse migrate', options());
    assert.ok(heldBy(process.pid));
    lock.release();
  });

  it('takes over the lock of a process that died, at once', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeLock({ pid: Number(dead.stdout.trim()), host: os.hostname(), bootId: bootId(), pidNamespace: pidNamespace() });
    beat();
    const lock = await lockDataDir(dir, 'the Gatehouse server', options());
    assert.ok(heldBy(process.pid));
    lock.release();
  });

  it('reads a lock file from before heartbeats by its pid, as then', async () => {
    writeFileSync(file, JSON.stringify({ pid: process.ppid, holder: 'the Gatehouse server', since: new Date().toISOString() }));
    await assert.rejects(lockDataDir(dir, 'gatehouse org list', options()), /in use by the Gatehouse server \(pid \d+\)/);
  });

  it('does not take over a lock file that is still being written', async () => {
    writeFileSync(file, '');
    setTimeout(() => writeLock({ pid: process.ppid, host: os.hostname(), bootId: bootId(), pidNamespace: pidNamespace(), startTicks: startTicksOf(process.ppid) }), 100);
    await assert.rejects(lockDataDir(dir, 'gatehouse org list', options()), /in use by the Gatehouse server/);
  });

  it('beats while held, notices when another process took the lock over, and then leaves that one\'s file alone', async () => {
    const lost: string[] = [];
    const lock = await lockDataDir(dir, 'the Gatehouse server', { timing, onLost: (m: string) => lost.push(m) });
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    await new Promise((r) => setTimeout(r, timing.heartbeatMs * 4));
    assert.ok(Date.now() - statSync(file).mtimeMs < 1000, 'the heartbeat moved the mtime on');
    rmSync(file);
    writeLock({ pid: 1, ...otherContainer, bootId: bootId() });
    await new Promise((r) => setTimeout(r, timing.heartbeatMs * 4));
    assert.equal(lost.length, 1);
    assert.match(lost[0]!, /taken over by another process/);
    lock.release();
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).host, 'c0ffee', 'release removes only its own lock');
  });
});
