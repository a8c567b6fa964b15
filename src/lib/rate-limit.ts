/**
 * A token bucket per key (an org for SCIM, a client IP for sign-in). In memory,
 * per instance: each instance enforces its own share.
 */
export interface RateLimitSettings {
  requestsPerSecond: number;
  burst: number;
}

/** Past this many keys, buckets that have refilled are dropped (they hold nothing a new bucket would not). */
const SWEEP_AT = 10_000;

export class RateLimiter {
  readonly #settings: RateLimitSettings;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(settings: RateLimitSettings, now: () => number = () => performance.now()) {
    this.#settings = settings;
    this.#now = now;
  }

  /** Takes one token for `key`; returns 0 when allowed, else the whole seconds to wait. */
  take(key: string): number {
    const now = this.#now();
    const { requestsPerSecond: rate, burst } = this.#settings;
    if (this.#buckets.size >= SWEEP_AT) this.#sweep(now);
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  }

  #sweep(now: number): void {
    const { requestsPerSecond: rate, burst } = this.#settings;
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * rate >= burst) this.#buckets.delete(key);
    }
  }
}
