import type { Logger } from '../lib/logger.ts';

/**
 * A background loop for the server (never for request handling): runs `pass`
 * every `intervalMs`, one pass at a time per instance, again at once when a
 * pass reports it was full (`true`) or after `nudge()`. The timer is unref'd;
 * `stop()` waits for the pass in flight, so shutdown never cuts one in half.
 * Tests call the pass functions directly with an injected time.
 */
export class PeriodicJob {
  readonly #name: string;
  readonly #pass: () => Promise<boolean>;
  readonly #intervalMs: number;
  readonly #initialDelayMs: number;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #started = false;

  constructor(options: { name: string; intervalMs: number; initialDelayMs?: number; logger: Logger; pass: () => Promise<boolean> }) {
    this.#name = options.name;
    this.#pass = options.pass;
    this.#intervalMs = options.intervalMs;
    this.#initialDelayMs = options.initialDelayMs ?? 0;
    this.#logger = options.logger;
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
        } catch (error) {
          this.#logger.error({ err: error, job: this.#name }, `${this.#name} failed; retrying at the next run`);
        }
      } while (this.#again && this.#started);
    })().finally(() => {
      this.#running = undefined;
      if (this.#started) this.#schedule(this.#intervalMs);
    });
  }
}
