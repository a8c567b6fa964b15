/**
 * The session cookie, without a cookie library: one parser, one serializer.
 * On https the `__Host-` prefix makes browsers insist on Secure, Path=/ and no
 * Domain, so a sibling subdomain cannot plant or overwrite it (RFC 6265bis §4.1.3.2).
 */

export interface SessionCookie {
  name: string;
  secure: boolean;
}

export function sessionCookie(publicUrl: string): SessionCookie {
  const secure = publicUrl.startsWith('https:');
  return { name: secure ? '__Host-gatehouse_session' : 'gatehouse_session', secure };
}

/** `Cookie` header → name/value pairs; the first occurrence of a name wins, malformed pairs are skipped. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) {
      try {
        out.set(name, decodeURIComponent(value));
      } catch {
        // Not percent-decodable: not one of ours.
      }
    }
  }
  return out;
}

/** One Set-Cookie value, HttpOnly always; `sameSite: null` leaves the attribute out (the browser's default). */
export function serializeCookie(name: string, value: string, options: { path: string; sameSite: 'Lax' | 'None' | null; secure: boolean; maxAgeSeconds: number }): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${options.path}`, 'HttpOnly'];
  if (options.sameSite) parts.push(`SameSite=${options.sameSite}`);
  parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`);
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

export function serializeSessionCookie(cookie: SessionCookie, value: string, maxAgeSeconds: number): string {
  return serializeCookie(cookie.name, value, { path: '/', sameSite: 'Lax', secure: cookie.secure, maxAgeSeconds });
}

export function clearSessionCookie(cookie: SessionCookie): string {
  return serializeSessionCookie(cookie, '', 0);
}
