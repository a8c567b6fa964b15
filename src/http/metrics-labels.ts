import type { Metrics } from '../lib/metrics.ts';

/**
 * The labels of gatehouse_http_requests_total, each from a fixed list so that the series stay few
 * whatever clients send: the surface from the first path segment (never the path, an org or an
 * id), the method among those Gatehouse serves, the status code the app chose.
 */
export type Surface = 'scim' | 'saml' | 'auth' | 'invitations' | 'admin_api' | 'console' | 'health' | 'other';

const bySegment = new Map<string, Surface>([
  ['scim', 'scim'],
  ['saml', 'saml'],
  ['auth', 'auth'],
  ['invitations', 'invitations'],
  ['console', 'console'],
  ['healthz', 'health'],
  ['readyz', 'health'],
  // `/` redirects to the console.
  ['', 'console'],
]);

/** Under /api: the admin API, and the browser's own session (sign-in state, password change). */
const underApi = new Map<string, Surface>([
  ['orgs', 'admin_api'],
  ['openapi.json', 'admin_api'],
  ['session', 'auth'],
]);

/** The surface of a request path (`req.originalUrl`, with or without its query). */
export function surfaceOf(url: string): Surface {
  const end = segmentEnd(url, 1);
  const first = segment(url, 1, end);
  if (first === 'api' || (first.length === 3 && first.toLowerCase() === 'api')) return segmentSurface(underApi, segment(url, end + 1, segmentEnd(url, end + 1)));
  return segmentSurface(bySegment, first);
}

function segmentSurface(known: Map<string, Surface>, name: string): Surface {
  const surface = known.get(name);
  if (surface !== undefined) return surface;
  // Express routes paths whatever their case (/SCIM/v2/Users is SCIM): only then is a lower-cased copy made.
  const lower = name.toLowerCase();
  return lower === name ? 'other' : known.get(lower) ?? 'other';
}

const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Node accepts some thirty methods (PROPFIND, MKCOL…): those Gatehouse never serves count as `other`. */
export function methodLabel(method: string): string {
  return methods.has(method) ? method : 'other';
}

/** The status code, or `none` for a client that left before an answer began. */
export function statusLabel(status: number | null): string {
  return status === null ? 'none' : String(status);
}

/** Records one request: called where its log line is written (http/context.ts), or by /healthz and /readyz. */
export function recordRequest(metrics: Metrics, url: string, method: string, status: number | null, seconds: number): void {
  metrics.request(surfaceOf(url), methodLabel(method), statusLabel(status), seconds);
}

function segment(url: string, from: number, end: number): string {
  return from < url.length ? url.slice(from, end) : '';
}

function segmentEnd(url: string, from: number): number {
  for (let i = from; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 47 /* / */ || c === 63 /* ? */) return i;
  }
  return url.length;
}
