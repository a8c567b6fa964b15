/** A small HTTP client for tests that talk to real Gatehouse processes (no supertest: no app object here). */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are JSON read by assertions
export type Json = Record<string, any>;

export interface Reply {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
  ms: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Abort after this long: a request that hangs fails the test instead of stalling it. */
  timeoutMs?: number;
}

export async function call(base: string, method: string, path: string, options: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] = options.contentType ?? (path.startsWith('/scim/') ? 'application/scim+json' : 'application/json');
  }
  const started = performance.now();
  const res = await fetch(`${base}${path}`, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(options.timeoutMs ?? 60_000) });
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = text ? (JSON.parse(text) as Json) : {};
  } catch {
    parsed = {}; // an HTML page (SAML ACS) or plain text: read `text`
  }
  return { status: res.status, headers: res.headers, body: parsed, text, ms: performance.now() - started };
}

/** Polls `check` until it returns true, failing with `what` after `ceilingMs` (a generous bound, not a measured figure). */
export async function waitUntil(what: string, ceilingMs: number, check: () => Promise<boolean> | boolean, everyMs = 50): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > ceilingMs) throw new Error(`gave up waiting for ${what} after ${ceilingMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function scimUser(userName: string): Json {
  return { schemas: [USER_SCHEMA], userName, name: { givenName: 'Given', familyName: 'Family' }, emails: [{ value: userName, type: 'work', primary: true }], active: true };
}

/** RFC 7644 §3.12: the Error schema, `status` as a string, a detail. */
export function isScimError(reply: Reply, status: number): boolean {
  return (
    reply.status === status &&
    Array.isArray(reply.body.schemas) &&
    reply.body.schemas.includes(ERROR_SCHEMA) &&
    reply.body.status === String(status) &&
    typeof reply.body.detail === 'string' &&
    reply.body.detail.length > 0
  );
}
