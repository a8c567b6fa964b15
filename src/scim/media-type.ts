import type { IncomingHttpHeaders } from 'node:http';
import { ScimError } from './errors.ts';
import { hasContent } from '../lib/media-type.ts';

/** RFC 7644 §3.1 and §8.1: the media types of SCIM request bodies. */
export const ACCEPTED_MEDIA_TYPES: readonly string[] = ['application/scim+json', 'application/json'];

/**
 * RFC 9110 §15.5.16: a body of a media type the server does not read is 415, not a 400 about
 * its JSON (express.json() leaves other types unread, so the handler saw no body at all).
 * Requests without a body (GET, DELETE, an empty POST) pass whatever they label. Parameters
 * (`charset=utf-8`) are not compared: the body parser answers an unsupported charset itself.
 */
export function checkMediaType(headers: IncomingHttpHeaders): ScimError | undefined {
  if (!hasContent(headers)) return undefined;
  const type = headers['content-type'];
  const essence = type?.split(';')[0]!.trim().toLowerCase();
  if (essence && ACCEPTED_MEDIA_TYPES.includes(essence)) return undefined;
  const what = type ? `Content-Type "${type}" is not accepted` : 'A request body needs a Content-Type';
  return new ScimError(415, `${what}: send ${ACCEPTED_MEDIA_TYPES.join(' or ')}`);
}
