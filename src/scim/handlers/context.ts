import type { Request, Response } from 'express';
import type { Clock } from '../../lib/clock.ts';
import type { TokenCache } from '../../directory/tokens.ts';
import type { Scope } from '../../directory/scope.ts';
import { etagOf, versionFromIfMatch } from '../etag.ts';
import { ScimError } from '../errors.ts';
import type { RateLimitSettings } from '../rate-limit.ts';
import type { RequestLimits } from '../request-limits.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export interface ScimDeps {
  clock: Clock;
  tokenCache?: TokenCache;
  /** Absolute base of the SCIM surface (PUBLIC_URL + /scim/v2), for meta.location and $ref. */
  baseUrl: string;
  maxResults: number;
  rateLimit: RateLimitSettings;
  limits: RequestLimits;
}

export function scope(req: Request): Scope {
  const s = req.ctx.scope;
  if (!s) throw new ScimError(401, 'Authorization: Bearer <token> is required');
  return s;
}

export function send(res: Response, status: number, body: unknown, version?: number): void {
  const text = JSON.stringify(body);
  if (version !== undefined) res.setHeader('ETag', etagOf(version));
  // res.end, not res.send: express would hash every body without an ETag (a list page: SHA-1 of
  // ~200 kB, ~0.13 ms) for a tag of its own. SCIM's tags are versions, set above; If-None-Match
  // on a resource is answered by its handler.
  res.status(status).setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** If-Match → the expected version; a tag we never issued can only be stale (412). */
export function expectedVersion(req: Request): number | undefined {
  const version = versionFromIfMatch(req.get('if-match'));
  if (version === null) throw new ScimError(412, 'If-Match does not name a version of this resource');
  return version;
}

export function idParam(req: Request): string {
  return String(req.params.id ?? '');
}

