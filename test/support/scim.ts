import assert from 'node:assert/strict';
import request, { type Response } from 'supertest';
import { createTestApp, type TestApp } from './app.ts';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_JSON = /^application\/scim\+json/;

type Json = Record<string, unknown>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * A SCIM test app. The rate limit is lifted unless a test sets its own, so that
 * suites creating many resources measure behaviour, not the limiter.
 */
export function createScimTestApp(config: Json = {}): Promise<TestApp> {
  const scim = (config.scim ?? {}) as Json;
  return createTestApp({
    config: { ...config, scim: { maxResults: 1000, rateLimit: { requestsPerSecond: 100000, burst: 100000 }, ...scim } },
  });
}

/**
 * A request to /scim/v2 as an IdP sends it: bearer token, `application/scim+json` body
 * (unless `headers` names another Content-Type).
 */
export function scimRequest(t: TestApp, token: string | undefined, method: Method, path: string, body?: unknown, headers: Record<string, string> = {}) {
  let req = request(t.app)[method](`/scim/v2${path}`);
  if (token !== undefined) req = req.set('Authorization', `Bearer ${token}`);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) req = req.set('Content-Type', 'application/scim+json');
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  if (body !== undefined) req = req.send(typeof body === 'string' ? body : JSON.stringify(body));
  return req;
}

/** The row version an ETag or meta.version names: `W/"3"`, or `W/"3.<digest>"` when the resource shows other rows (src/scim/etag.ts). */
export function versionOf(tag: unknown): number | undefined {
  const found = /^W\/"(\d+)(?:\.[0-9a-f]{12})?"$/.exec(String(tag));
  return found ? Number(found[1]) : undefined;
}

/** The RFC 7644 §3.12 error shape: the Error schema, `status` a string, a non-empty detail. */
export function assertScimError(res: Response, status: number, scimType?: string): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.match(res.headers['content-type'] ?? '', SCIM_JSON);
  assert.ok(Array.isArray(res.body.schemas) && res.body.schemas.includes(ERROR_SCHEMA), JSON.stringify(res.body));
  assert.equal(res.body.status, String(status));
  assert.equal(typeof res.body.detail, 'string');
  assert.ok(res.body.detail.length > 0);
  if (scimType !== undefined) assert.equal(res.body.scimType, scimType, JSON.stringify(res.body));
}

export function userBody(userName: string, extra: Json = {}): Json {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Given', familyName: 'Family' },
    emails: [{ value: userName.includes('@') ? userName : `${userName}@example.com`, type: 'work', primary: true }],
    active: true,
    ...extra,
  };
}

export async function postUser(t: TestApp, token: string, userName: string, extra: Json = {}): Promise<Json> {
  const res = await scimRequest(t, token, 'post', '/Users', userBody(userName, extra));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as Json;
}

export async function postGroup(t: TestApp, token: string, displayName: string, memberIds: string[] = []): Promise<Json> {
  const res = await scimRequest(t, token, 'post', '/Groups', {
    schemas: [GROUP_SCHEMA],
    displayName,
    members: memberIds.map((value) => ({ value })),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as Json;
}

export function patchOps(...operations: Json[]): Json {
  return { schemas: [PATCH_SCHEMA], Operations: operations };
}

/** Raw SQL on the test database (the real tables, not the API). */
export async function sql(t: TestApp, text: string, params: unknown[] = []): Promise<Json[]> {
  return (await t.container.fork().execute(text, params)) as Json[];
}

export async function userRow(t: TestApp, id: string): Promise<Json | undefined> {
  return (await sql(t, 'select * from users where id = ?', [id]))[0];
}

export async function groupRow(t: TestApp, id: string): Promise<Json | undefined> {
  return (await sql(t, 'select * from groups where id = ?', [id]))[0];
}

export async function memberIds(t: TestApp, groupId: string): Promise<string[]> {
  return (await sql(t, 'select user_id from memberships where group_id = ? order by user_id', [groupId])).map((r) => String(r.user_id));
}

export function ids(list: Response): string[] {
  return ((list.body.Resources ?? []) as Json[]).map((r) => String(r.id));
}
