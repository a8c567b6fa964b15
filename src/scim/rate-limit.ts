/**
 * A token bucket per org (IDP-NOTES §1.1: answer 429 with Retry-After when
 * overloaded, never 5xx; Entra's non-gallery jobs have no client-side limiter).
 * In memory, per instance: each instance enforces its own share.
 */
export interface RateLimitSettings {
  requestsPerSecond: number;
  burst: number;
}

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
}
