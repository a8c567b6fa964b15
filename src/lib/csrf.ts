import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * CSRF tokens for cookie-authenticated admin API calls (OWASP "synchronizer
 * token" pattern, stateless): the token is derived from the session cookie's
 * secret, which a cross-site page can neither read (HttpOnly) nor guess, so
 * only a page of ours that asked GET /api/session can send it back. It changes
 * with every new session and needs no storage.
 */
export function csrfTokenFor(sessionSecret: string): string {
  return createHash('sha256').update(`csrf:${sessionSecret}`).digest('base64url');
}

/** Constant-time comparison of the presented header with the session's token. */
export function csrfTokenMatches(sessionSecret: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionSecret));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
