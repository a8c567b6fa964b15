import type { Em } from '../db/orm.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { pruneSpentRecords, type PrunedCounts } from './housekeeping.ts';
import { purgeDeletedUsers } from './people.ts';
import { PeriodicJob, type JobFailures } from './periodic-job.ts';

/**
 * The daily purge of users deleted more than 30 days ago, then of records whose
 * use is over (housekeeping.ts, after `keepSpentDays`). Every instance runs
 * it: both are idempotent; purgeDeletedUsers and claims rows with SKIP LOCKED, so two
 * instances at once share the work instead of doing it twice. The loop is
 * the shared PeriodicJob (unref'd timer, one pass at a time); tests call
 * `runOnce(now)` and `pruneOnce(now)`.
 */
export class PurgeJob {
  readonly #fork: () => Em;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #loop: PeriodicJob;
  readonly #keepSpentDays: number;

  constructor(deps: { fork: () => Em; clock: Clock; logger: Logger; intervalMs: number; initialDelayMs: number; keepSpentDays: number; failures?: JobFailures | undefined }) {
    this.#fork = deps.fork;
    this.#keepSpentDays = deps.keepSpentDays;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#loop = new PeriodicJob({
      name: 'purge of deleted users',
      intervalMs: deps.intervalMs,
      initialDelayMs: deps.initialDelayMs,
      logger: deps.logger,
      failures: deps.failures,
      pass: async () => {
        await this.runOnce();
        await this.pruneOnce();
        return false;
      },
    });
  }

  get started(): boolean {
    return this.#loop.started;
  }

  async runOnce(now: Date = this.#clock.now()): Promise<{ purged: number }> {
    const result = await purgeDeletedUsers(this.#fork(), now);
    if (result.purged) this.#logger.info(result, 'deleted users purged');
    return result;
  }

  async pruneOnce(now: Date = this.#clock.now()): Promise<PrunedCounts> {
    const result = await pruneSpentRecords(this.#fork(), now, this.#keepSpentDays);
    if (Object.values(result).some(Boolean)) this.#logger.info(result, 'spent records pruned');
    return result;
  }

  start(): void {
    this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }
}
