import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes = 256 bits, as DESIGN.md asks for every bearer secret. */
const TOKEN_BYTES = 32;

export type TokenKind = 'scim' | 'admin' | 'session' | 'invite' | 'reset' | 'mfa';

/**
 * A new secret: `gh_<kind>_<base64url>`. The prefix lets secret scanners and
 * humans recognise a Gatehouse token; it carries no authority by itself.
 */
export function generateToken(kind: TokenKind): string {
  return `gh_${kind}_${randomBytes(TOKEN_BYTES).toString('base64url')}`;
}

export function sha256Hex(value: string): string {
  // One-shot hash (Node ≥ 21.7): no Hash object per call, on every token check and ETag digest.
  return hash('sha256', value, 'hex');
}

/** Constant-time comparison of two hex digests of equal length. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** What admins see in listings: enough to tell tokens apart, never enough to use one. */
export function tokenHint(token: string): string {
  return `${token.slice(0, 12)}…${token.slice(-4)}`;
}

/** `Authorization: Bearer <token>` → the token, or undefined. The scheme is case-insensitive (RFC 7235 §2.1). */
export function parseBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return /^bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

/**
 * `Authorization: Basic <base64 of user:password>` → the password, or undefined: Okta's Basic Auth
 * mode sends the SCIM token so, with whatever user name the admin typed (RFC 7617 §2: the password
 * is everything after the first colon).
 */
export function parseBasicPassword(header: string | undefined): string | undefined {
  const encoded = header ? /^basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header)?.[1] : undefined;
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  return password && !/\s/.test(password) ? password : undefined;
}

/**
 * Why an `Authorization` header that gave no token is not usable, in words an IdP admin can act on.
 * The shapes are the set-up mistakes seen with Okta: "Bearer <token>" pasted into its HTTP Header
 * mode, which adds "Bearer " itself; its Basic Auth mode without the token as the password (or
 * on the admin API, which takes Bearer only: `basic: false`); a token without a scheme. Never
 * echoes the header: it may hold a valid secret.
 */
export function bearerProblem(header: string | undefined, options: { basic: boolean }): string {
  const value = header?.trim() ?? '';
  if (/^bearer\s+bearer(\s|$)/i.test(value)) {
    return 'The Authorization header says "Bearer" twice: enter the token alone where your IdP asks for it (Okta\'s HTTP Header mode and Entra add "Bearer " themselves)';
  }
  if (/^basic(\s|$)/i.test(value)) {
    return options.basic
      ? 'Basic authentication needs the SCIM token as the password (the user name can be anything, e.g. the org slug); or send Authorization: Bearer <token>'
      : 'Basic authentication is not taken by the admin API: send Authorization: Bearer <admin token>';
  }
  if (/^gh_[a-z]+_\S+$/.test(value)) return 'The Authorization header holds a token without the "Bearer " scheme: send Authorization: Bearer <token>';
  return 'Authorization: Bearer <token> is required';
}
