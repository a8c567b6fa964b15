import type { Request, Response } from 'express';
import type { IfMatch } from '../../directory/if-match.ts';
import { etagOf, ifMatchVersions } from '../../lib/etag.ts';

/** The versions the request's If-Match lists (undefined: none given, or `*`), for the domain's writes (directory/if-match.ts). */
export function ifMatchOf(req: Request): IfMatch {
  return ifMatchVersions(req.get('if-match'));
}

/**
 * Answers a record with its row version as a weak ETag (`W/"3"`), the tag If-Match takes back.
 * Set before res.json, so express does not add its own tag, a hash of the body that names no
 * version: an If-Match with it could only be refused. `shown`: what the body shows that changes
 * without the version (a webhook's stall, its grace period ending), digested into the tag
 * (`W/"3.1a2b…"`, lib/etag.ts) so express's If-None-Match check never answers 304 to an old copy.
 */
export function sendVersioned(res: Response, status: number, body: unknown, version: number, shown?: unknown): void {
  res.status(status).setHeader('ETag', etagOf(version, shown));
  res.json(body);
}
