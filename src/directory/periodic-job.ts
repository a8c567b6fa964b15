import type { Logger } from '../lib/logger.ts';

/** Counts failed passes per job name (the metrics' gatehouse_job_failures_total, lib/metrics.ts). */
export interface JobFailures {
  /** `count` 0 names a job before it ever fails, so that its series starts at 0. */
  add(job: string, count: number): void;
}

/**
 * A background loop for the server (never for request handling): runs `pass`
 * every `intervalMs`, one pass at a time per instance, again at once when a
 * pass reports it was full (`true`) or after `nudge()`. The timer is unref'd;
 * `stop()` waits for the pass in flight, so shutdown never cuts one in half.
 * Tests call the pass functions directly with an injected time.
 *
 * A failing pass (the database is away) backs off: the next run waits twice as
 * long each time, up to 5 s (or the interval, when that is longer). The
 * first failure is logged with its stack, then a reminder without it every
 * `reminderMs` while the job keeps failing, and one line when it recovers: an
 * outage is a handful of lines, not a stack trace every 100 ms. Every failed
 * pass is counted in `failures`, when given.
 */
export class PeriodicJob {
  readonly #name: string;
  readonly #pass: () => Promise<boolean>;
  readonly #intervalMs: number;
  readonly #initialDelayMs: number;
  readonly #logger: Logger;
  readonly #counted: JobFailures | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #started = false;
  readonly #reminderMs: number;
  #failures = 0;
  #loggedAt = 0;

  /** How long a job of `intervalMs` waits after its `failures`-th failure in a row. */
  static retryDelayMs(intervalMs: number, failures: number, maxBackoffMs = 5_000): number {
    const cap = Math.max(intervalMs, maxBackoffMs);
    return Math.min(cap, intervalMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  }

  constructor(options: { name: string; intervalMs: number; initialDelayMs?: number; reminderMs?: number; logger: Logger; failures?: JobFailures | undefined; pass: () => Promise<boolean> }) {
    this.#name = options.name;
    this.#reminderMs = options.reminderMs ?? 60_000;
    this.#pass = options.pass;
    this.#intervalMs = options.intervalMs;
    this.#initialDelayMs = options.initialDelayMs ?? 0;
    this.#logger = options.logger;
    this.#counted = options.failures;
    this.#counted?.add(this.#name, 0);
  }

  get started(): boolean {
    return this.#started;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#schedule(this.#initialDelayMs);
  }

  /** Run soon (something was just queued). A no-op unless started. */
  nudge(): void {
    if (!this.#started) return;
    if (this.#running) this.#again = true;
    else this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), ms);
    this.#timer.unref();
  }

  #tick(): void {
    if (!this.#started || this.#running) return;
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          if (await this.#pass()) this.#again = true;
          this.#succeeded();
        } catch (error) {
          this.#failed(error);
          break;
        }
      } while (this.#again && this.#started);
    })().finally(() => {
      this.#running = undefined;
      if (this.#started) this.#schedule(PeriodicJob.retryDelayMs(this.#intervalMs, this.#failures));
    });
  }

  #failed(error: unknown): void {
    this.#failures++;
    this.#counted?.add(this.#name, 1);
    const now = Date.now();
    if (this.#failures === 1) {
      this.#logger.error({ err: error, job: this.#name }, `${this.#name} failed; retrying with back-off`);
      this.#loggedAt = now;
    } else if (now - this.#loggedAt >= this.#reminderMs) {
      const message = error instanceof Error ? error.message : String(error);
      this.#logger.warn({ job: this.#name, failures: this.#failures, error: message }, `${this.#name} still failing (${this.#failures} runs in a row)`);
      this.#loggedAt = now;
    }
  }

  #succeeded(): void {
    if (!this.#failures) return;
    this.#logger.info({ job: this.#name, failures: this.#failures }, `${this.#name} recovered after ${this.#failures} failed runs`);
    this.#failures = 0;
  }
}
