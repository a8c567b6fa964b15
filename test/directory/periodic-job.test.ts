import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../src/lib/logger.ts';
import { PeriodicJob } from '../../src/directory/periodic-job.ts';

/**
 * A background job whose pass fails (the database is away) must not flood the
 * log with a stack trace every interval, nor hammer the database: it logs the
 * first failure with its stack, backs off, says so now and then while it keeps
 * failing, and says when it has recovered.
 */
describe('a periodic job whose pass keeps failing', () => {
  interface Line { level: number; msg: string; failures?: number; err?: { stack?: string } }

  function setUp(intervalMs: number, reminderMs?: number) {
    const lines: Line[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
    const state = { failing: true, passes: 0 };
    const job = new PeriodicJob({
      name: 'events publisher', intervalMs, logger, ...(reminderMs ? { reminderMs } : {}), pass: async () => {
        state.passes++;
        if (state.failing) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        return false;
      },
    });
    return { lines, state, job };
  }

  it('logs the first failure with its stack, backs off, and logs the recovery once', async () => {
    const { lines, state, job } = setUp(2);
    job.start();
    await sleep(400);
    const failingPasses = state.passes;
    // Without back-off a 2 ms job runs ~200 times in 400 ms; doubling from 2 ms it runs ~8 times.
    assert.ok(failingPasses >= 3 && failingPasses <= 20, `passes while failing: ${failingPasses}`);
    const errors = lines.filter((l) => l.level === 50);
    assert.equal(errors.length, 1, JSON.stringify(lines.map((l) => l.msg)));
    assert.match(errors[0]!.msg, /events publisher failed/);
    assert.match(errors[0]!.err?.stack ?? '', /ECONNREFUSED/);

    state.failing = false;
    job.nudge();
    await sleep(50);
    await job.stop();
    const recovered = lines.filter((l) => /recovered/.test(l.msg));
    assert.equal(recovered.length, 1, JSON.stringify(lines.map((l) => l.msg)));
    assert.equal(recovered[0]!.level, 30);
    assert.equal(recovered[0]!.failures, failingPasses);
    assert.match(recovered[0]!.msg, new RegExp(`events publisher recovered after ${failingPasses} failed runs`));
  });

  it('reminds, without the stack, while it keeps failing', async () => {
    const { lines, job } = setUp(2, 100);
    job.start();
    await sleep(600);
    await job.stop();
    const reminders = lines.filter((l) => l.level === 40);
    assert.ok(reminders.length >= 2 && reminders.length <= 5, `reminders: ${reminders.length}`);
    for (const reminder of reminders) {
      assert.match(reminder.msg, /events publisher still failing/);
      assert.equal(reminder.err?.stack, undefined);
      assert.ok((reminder.failures ?? 0) > 1);
    }
  });

  it('runs at its own interval again once it has recovered', async () => {
    const { state, job } = setUp(2);
    job.start();
    await sleep(100);
    state.failing = false;
    job.nudge();
    await sleep(30);
    const after = state.passes;
    await sleep(100);
    await job.stop();
    // Back at 2 ms (with timer slack): far more than the handful a backed-off job would run.
    assert.ok(state.passes - after >= 10, `passes in 100 ms after recovery: ${state.passes - after}`);
  });

  it('never waits longer than its cap between attempts, nor less than its interval', () => {
    assert.equal(PeriodicJob.retryDelayMs(100, 1), 100);
    assert.equal(PeriodicJob.retryDelayMs(100, 2), 200);
    assert.equal(PeriodicJob.retryDelayMs(100, 4), 800);
    assert.equal(PeriodicJob.retryDelayMs(100, 40), 5000);
    // An hourly job never runs more often than hourly because it failed.
    assert.equal(PeriodicJob.retryDelayMs(3_600_000, 3), 3_600_000);
  });
});
