import { randomBytes } from 'node:crypto';
import { parseCookies, serializeCookie } from '../lib/cookies.ts';
import { fail, ok } from '../lib/result.ts';
import { digestsEqual, sha256Hex } from '../lib/tokens.ts';
import type { Check } from './checks.ts';

/**
 * Login CSRF (session swapping): a response that answers our AuthnRequest proves
 * who the IdP signed in, not which browser asked. Someone could start a sign-in
 * in their own browser, sign in at the IdP as themselves, and make another
 * person's browser post that response to the ACS, signing that person in as
 * them. So GET …/login gives the browser a random nonce in a cookie, the request
 * cache keeps only its SHA-256, and the ACS takes a solicited response only
 * with the cookie that matches (OWASP SAML Security Cheat Sheet: bind the
 * response to the user agent). IdP-initiated responses have no request to bind
 * to; the connection's allowIdpInitiated option governs those.
 *
 * The IdP's POST to the ACS comes from another site, so on https the cookie is
 * SameSite=None (browsers send no Lax cookie on a cross-site POST) and Secure,
 * as None requires. It is `__Host-` prefixed, so Path=/: a sibling subdomain
 * cannot plant its own nonce in the browser (RFC 6265bis §4.1.3.2), which a
 * cookie scoped to the SAML paths would allow. Its name carries the org and
 * connection, so sign-ins of two connections do not displace each other.
 *
 * On a plain-http PUBLIC_URL (local development) browsers refuse Secure, and so
 * SameSite=None; the cookie then has no SameSite attribute, and whether a
 * cross-site IdP's POST carries it is the browser's default (README "SAML single
 * sign-on"). The check is never switched off.
 */
export interface BindingCookie {
  name: string;
  secure: boolean;
}

export function bindingCookie(publicUrl: string, orgSlug: string, connectionName: string): BindingCookie {
  const secure = publicUrl.startsWith('https:');
  // Slugs and connection names are [a-z0-9-]: the dots cannot be ambiguous.
  return { name: `${secure ? '__Host-' : ''}gatehouse_saml.${orgSlug}.${connectionName}`, secure };
}

/** A fresh nonce for the browser, and the digest the request cache keeps. */
export function newBinding(): { value: string; digest: string } {
  const value = randomBytes(32).toString('base64url');
  return { value, digest: sha256Hex(value) };
}

export function serializeBinding(cookie: BindingCookie, value: string, maxAgeSeconds: number): string {
  return serializeCookie(cookie.name, value, { path: '/', sameSite: cookie.secure ? 'None' : null, secure: cookie.secure, maxAgeSeconds });
}

export function clearBinding(cookie: BindingCookie): string {
  return serializeBinding(cookie, '', 0);
}

/** The nonce this browser sent with the ACS post, if any. */
export function presentedBinding(cookie: BindingCookie, cookieHeader: string | undefined): string | undefined {
  return parseCookies(cookieHeader).get(cookie.name) || undefined;
}

/**
 * A solicited response is accepted only from the browser the request was
 * issued to: the cookie must hash to the digest stored with the request. A
 * request stored without one (issued before the binding existed) binds nothing
 * and is refused, like any other unbound answer.
 */
export function checkBrowserBinding(expectedDigest: string | null, presented: string | undefined): Check {
  if (!presented) return fail('binding_missing', 'the browser sent no sign-in cookie: this sign-in was not started in this browser, or the browser did not send the cookie back (see README on http)');
  if (!expectedDigest || !digestsEqual(sha256Hex(presented), expectedDigest)) {
    return fail('binding_mismatch', 'the browser\'s sign-in cookie belongs to another sign-in: this response answers a request started in another browser');
  }
  return ok(null);
}
