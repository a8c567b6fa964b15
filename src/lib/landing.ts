/**
 * Where a browser goes after signing in (password, SAML, invitation): the
 * admin console. A `next` address is followed only when it is a path of the
 * console on this origin, so a sign-in link cannot send anyone elsewhere.
 */
export const SIGNED_IN_LANDING = '/console';

export function landingAfterSignIn(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return SIGNED_IN_LANDING;
  // `/console`, `/console/…` or `/console?…`; never `//host`, `/\host` or a scheme.
  if (!/^\/console(?:[/?#]|$)/.test(next) || next.includes('\\') || [...next].some((c) => c.charCodeAt(0) < 0x20)) return SIGNED_IN_LANDING;
  // Resolved as the browser will (dot segments, `%2e%2e` among them): `/console/../auth/logout` is not the console.
  const resolved = new URL(next, ORIGIN);
  if (resolved.origin !== ORIGIN || !/^\/console(?:\/|$)/.test(resolved.pathname)) return SIGNED_IN_LANDING;
  return `${resolved.pathname}${resolved.search}${resolved.hash}`;
}

const ORIGIN = 'http://landing.invalid';
