import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../../lib/clock.ts';
import type { TokenCache } from '../../directory/tokens.ts';
import type { Scope } from '../../directory/scope.ts';
import { ifMatchVersions, versionFromIfMatch } from '../../lib/etag.ts';
import { ScimError } from '../errors.ts';
import type { RateLimitSettings } from '../rate-limit.ts';
import type { RequestLimits } from '../request-limits.ts';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * RFC 7644 §3.8: a provider MUST support `Accept: application/scim+json`, SHOULD support
 * `Accept: application/json`, and answers application/scim+json when no format is named. So a
 * client that prefers plain JSON gets it, and any other Accept (none, any type, one naming neither)
 * gets SCIM's own type rather than a 406 an IdP would not retry past.
 */
function responseContentType(req: Request): string {
  return req.accepts(['application/scim+json', 'application/json']) === 'application/json' ? JSON_CONTENT_TYPE : SCIM_CONTENT_TYPE;
}

export interface ScimDeps {
  clock: Clock;
  tokenCache?: TokenCache;
  /** Absolute base of the SCIM surface (PUBLIC_URL + /scim/v2), for meta.location and $ref. */
  baseUrl: string;
  maxResults: number;
  /** scim.bodyLimit in bytes, advertised in ServiceProviderConfig. */
  maxPayloadSize: number;
  /** Read the JSON body and check it (size, depth, text): run once the bearer token is accepted. */
  readBody?: RequestHandler[];
  rateLimit: RateLimitSettings;
  limits: RequestLimits;
  /** Refused requests kept per org (directory/scim-problems.ts). */
  problemsPerOrg: number;
}

export function scope(req: Request): Scope {
  const s = req.ctx.scope;
  if (!s) throw new ScimError(401, 'Authorization: Bearer <token> is required');
  return s;
}

export function send(res: Response, status: number, body: unknown, etag?: string): void {
  // Encoded once: Content-Length from a string (Buffer.byteLength) and then res.end(string) would
  // each walk the text, ~0.4 ms apiece for a 100-user page.
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  if (etag !== undefined) res.setHeader('ETag', etag);
  // res.end, not res.send: express would hash every body without an ETag (a list page: SHA-1 of
  // ~200 kB, ~0.13 ms) for a tag of its own. SCIM's tags are versions, set above; If-None-Match
  // on a resource is answered by its handler.
  res.status(status).setHeader('Content-Type', responseContentType(res.req));
  res.vary('Accept');
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

/** The current version an If-Match list named, found by ifMatchAny before the handler ran. */
const matchedVersion = new WeakMap<Request, number>();

/**
 * RFC 9110 §13.1.1: If-Match is a list, and the condition holds when any listed tag is the
 * current one. Handlers compare one expected version (and pass it down for optimistic
 * locking), so for a list naming several versions this reads the current version first and
 * hands the listed one that matches to expectedVersion. With no match (or no resource) it
 * does nothing: the handler answers 412 for the first, stale, tag, or 404.
 */
export function ifMatchAny(currentVersion: (req: Request) => Promise<number | undefined>) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    try {
      const versions = ifMatchVersions(req.get('if-match'));
      if (versions && new Set(versions).size > 1) {
        const current = await currentVersion(req);
        if (current !== undefined && versions.includes(current)) matchedVersion.set(req, current);
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** If-Match → the expected version; a tag we never issued can only be stale (412). */
export function expectedVersion(req: Request): number | undefined {
  const matched = matchedVersion.get(req);
  if (matched !== undefined) return matched;
  const version = versionFromIfMatch(req.get('if-match'));
  if (version === null) throw new ScimError(412, 'If-Match does not name a version of this resource');
  return version;
}

export function idParam(req: Request): string {
  return String(req.params.id ?? '');
}

