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
  readonly #buckets = new Map<string, { tokens: number; at: number; settings: RateLimitSettings }>();
  readonly #now: () => number;

  constructor(settings: RateLimitSettings, now: () => number = () => performance.now()) {
    this.#settings = settings;
    this.#now = now;
  }

  /**
   * Takes one token for `key`; returns 0 when allowed, else the whole seconds to wait.
   * `settings` overrides the limiter's own for this key (an org's SCIM rate limit setting);
   * a change applies from the next request, refilling at the new rate up to the new burst.
   */
  take(key: string, settings: RateLimitSettings = this.#settings): number {
    const now = this.#now();
    const { requestsPerSecond: rate, burst } = settings;
    if (this.#buckets.size >= SWEEP_AT) this.#sweep(now);
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now, settings };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    bucket.settings = settings;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rate));
  }

  #sweep(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      const { requestsPerSecond: rate, burst } = bucket.settings;
      if (bucket.tokens + ((now - bucket.at) / 1000) * rate >= burst) this.#buckets.delete(key);
    }
  }
}
