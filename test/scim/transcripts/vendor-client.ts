import assert from 'node:assert/strict';
import type { Express } from 'express';
import request, { type Response, type Test } from 'supertest';

/**
 * A SCIM client that sends what one IdP sends: its User-Agent (or none, as Entra sometimes
 * does) and its Content-Type on writes. Used by the vendor transcripts (CONVENTIONS 14 tier c).
 */
export const BASE = '/scim/v2';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface Vendor {
  /** undefined: no User-Agent header at all. */
  userAgent: string | undefined;
  /** Content-Type of POST bodies. */
  postType: string;
  /** Content-Type of PUT and PATCH bodies. */
  writeType: string;
}

export const okta: Vendor = { userAgent: 'Okta SCIM Client 1.0.0', postType: 'application/json', writeType: 'application/json' };
export const entra: Vendor = { userAgent: undefined, postType: 'application/scim+json', writeType: 'application/scim+json' };
/** Entra with a User-Agent, as most of its provisioning calls carry one. */
export const entraWithAgent: Vendor = { ...entra, userAgent: 'Azure Active Directory SCIM Client' };

export class VendorClient {
  readonly app: Express;
  readonly token: string;
  readonly vendor: Vendor;

  constructor(app: Express, token: string, vendor: Vendor) {
    this.app = app;
    this.token = token;
    this.vendor = vendor;
  }

  private headers(test: Test, token = this.token): Test {
    test.set('Authorization', `Bearer ${token}`).set('Accept', 'application/scim+json');
    // superagent sends no User-Agent of its own; unset makes "none" explicit.
    if (this.vendor.userAgent === undefined) test.unset('User-Agent');
    else test.set('User-Agent', this.vendor.userAgent);
    return test;
  }

  get(path: string, token?: string): Test {
    return this.headers(request(this.app).get(`${BASE}${path}`), token);
  }

  delete(path: string): Test {
    return this.headers(request(this.app).delete(`${BASE}${path}`));
  }

  post(path: string, body: unknown): Test {
    return this.headers(request(this.app).post(`${BASE}${path}`)).set('Content-Type', this.vendor.postType).send(JSON.stringify(body));
  }

  put(path: string, body: unknown): Test {
    return this.headers(request(this.app).put(`${BASE}${path}`)).set('Content-Type', this.vendor.writeType).send(JSON.stringify(body));
  }

  patch(path: string, operations: unknown[]): Test {
    return this.headers(request(this.app).patch(`${BASE}${path}`))
      .set('Content-Type', this.vendor.writeType)
      .send(JSON.stringify({ schemas: [PATCH_SCHEMA], Operations: operations }));
  }
}

/** `?filter=…` with the filter URL-encoded the way IdPs encode it. */
export function filterQuery(filter: string, extra = ''): string {
  return `filter=${encodeURIComponent(filter)}${extra}`;
}

export function assertScimJson(res: Response): void {
  assert.match(res.headers['content-type'] ?? '', /^application\/scim\+json/, `Content-Type was ${res.headers['content-type']}`);
}

/** A 200 ListResponse with numeric paging fields (Okta SPEC test R1). */
export function assertListResponse(res: Response): void {
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assertScimJson(res);
  assert.deepEqual(res.body.schemas, [LIST_SCHEMA]);
  assert.equal(typeof res.body.totalResults, 'number');
  assert.equal(typeof res.body.itemsPerPage, 'number');
  assert.equal(typeof res.body.startIndex, 'number');
  assert.ok(Array.isArray(res.body.Resources ?? []), 'Resources is an array');
}

/** RFC 7644 §3.12 error body: Okta R4/R11/R12 assert these three fields. */
export function assertErrorBody(res: Response, status: number): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assertScimJson(res);
  assert.ok(Array.isArray(res.body.schemas) && res.body.schemas.includes(ERROR_SCHEMA), JSON.stringify(res.body));
  assert.equal(res.body.status, String(status));
  assert.equal(typeof res.body.detail, 'string');
  assert.ok(res.body.detail.length > 0, 'detail is not empty');
}

/** A single resource: SCIM media type, meta.location/version and an ETag header that agrees. */
export function assertSingleResource(res: Response, status: number, resourceType: 'User' | 'Group'): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assertScimJson(res);
  assert.equal(typeof res.body.id, 'string');
  assert.equal(res.body.meta?.resourceType, resourceType);
  assert.equal(res.body.meta?.location, `https://gatehouse.test${BASE}/${resourceType}s/${res.body.id}`);
  assert.equal(typeof res.body.meta?.version, 'string');
  assert.equal(res.headers.etag, res.body.meta.version);
  if (status === 201) assert.equal(res.headers.location, res.body.meta.location);
}

/** Member ids of a group resource, sorted. */
export function memberIds(group: { members?: { value: string }[] }): string[] {
  return (group.members ?? []).map((m) => m.value).sort();
}
