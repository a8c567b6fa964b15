/**
 * SCIM's limiter is a token bucket per org (IDP-NOTES §1.1: answer 429 with
 * Retry-After when overloaded, never 5xx; Entra's non-gallery jobs have no
 * client-side limiter). The bucket itself is shared with sign-in: lib/rate-limit.ts.
 * An org's `scimRateLimit` setting, read with its SCIM token (tokens.ts), replaces
 * the server default for that org's bucket (router.ts).
 */
export { RateLimiter, type RateLimitSettings } from '../lib/rate-limit.ts';
