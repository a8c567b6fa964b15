import type { Em } from '../db/orm.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { purgeDeletedUsers } from './people.ts';

/**
 * The daily purge of users deleted more than 30 days ago. Every instance runs
 * it: purgeDeletedUsers is idempotent and claims rows with SKIP LOCKED, so two
 * instances at once share the work instead of doing it twice. The timer is
 * unref'd (it never keeps the process alive); tests call `runOnce(now)`.
 */
export class PurgeJob {
  readonly #fork: () => Em;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #initialDelayMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;

  constructor(deps: { fork: () => Em; clock: Clock; logger: Logger; intervalMs: number; initialDelayMs: number }) {
    this.#fork = deps.fork;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#intervalMs = deps.intervalMs;
    this.#initialDelayMs = deps.initialDelayMs;
  }

  get started(): boolean {
    return this.#timer !== undefined;
  }

  async runOnce(now: Date = this.#clock.now()): Promise<{ purged: number }> {
    const result = await purgeDeletedUsers(this.#fork(), now);
    if (result.purged) this.#logger.info(result, 'deleted users purged');
    return result;
  }

  start(): void {
    if (this.#timer) return;
    this.#schedule(this.#initialDelayMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#running = this.runOnce()
        .catch((error: unknown) => this.#logger.error({ err: error }, 'purge of deleted users failed; retrying at the next run'))
        .finally(() => {
          this.#running = undefined;
          if (this.#timer) this.#schedule(this.#intervalMs);
        });
    }, ms);
    this.#timer.unref();
  }
}
