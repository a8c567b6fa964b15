import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a request carries a body: chunked, or a non-zero Content-Length. A `Content-Length: 0`
 * POST (an action such as /disable, whatever it is labelled) has none, so no media type to check.
 */
export function hasContent(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = Number(headers['content-length']);
  return Number.isFinite(length) && length > 0;
}
