import type { Request, RequestHandler, Response } from 'express';
import { RateLimitedError } from '../directory/errors.ts';
import type { ByteBudget } from '../lib/byte-budget.ts';

/**
 * scim.bodyBudget: the SCIM body bytes all requests in flight may hold at once. A body of several
 * megabytes parses into JSON many times its size, and several of them at once (a large Okta group
 * push retried in parallel) press a 256 MB heap. Mounted before the body parser, once the bearer
 * token is accepted.
 *
 * A body that declares its size takes it all before it is read; one sent chunked takes its bytes as
 * they arrive; a compressed one, however small on the wire, takes scim.bodyLimit, what it may inflate to. The bytes are held until
 * the response is done (the parsed body lives as long as the handler), or the client goes away.
 * When they do not fit, a declared body waits up to WAIT_MS for room, then is answered 429 with
 * Retry-After (IDP-NOTES §1.1: Okta and Entra retry it); a chunked one is answered 429 at once (two
 * chunked bodies waiting for each other's bytes would never finish).
 */

/** An uncompressed body declared smaller than this is never counted, so never refused: the everyday SCIM request. */
export const SMALL_BODY_BYTES = 64 * 1024;
/** How long a declared body waits for room before its 429. */
const WAIT_MS = 1000;
const RETRY_AFTER_SECONDS = 2;

function busy(): RateLimitedError {
  return new RateLimitedError(RETRY_AFTER_SECONDS, 'The server is busy with large requests (the SCIM bodies being read would take more than '
    + `scim.bodyBudget, SCIM_BODY_BUDGET): retry after ${RETRY_AFTER_SECONDS} s`);
}

export function bodyBudget(budget: ByteBudget, bodyLimit: number): RequestHandler {
  return (req, res, next) => {
    const { headers } = req;
    const chunked = headers['transfer-encoding'] !== undefined;
    const encoding = headers['content-encoding'];
    const length = Number(headers['content-length']);
    // No body, or a small uncompressed one: the common request pays these comparisons, nothing more.
    if (!chunked && encoding === undefined && !(length >= SMALL_BODY_BYTES)) return next();
    if (!chunked && !(length > 0)) return next();
    // A client gone while its token was checked: there is no body to count, nor a 'close' to come.
    if (res.closed) return next();
    // However small on the wire: a few KB of gzip may inflate to the whole bodyLimit.
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return declared(req, res, next, budget, bodyLimit);
    if (chunked) return arriving(req, res, next, budget, bodyLimit);
    // Small (`Content-Encoding: identity`), or over the limit: the parser answers 413 without reading it.
    if (length < SMALL_BODY_BYTES || length > bodyLimit) return next();
    declared(req, res, next, budget, length);
  };
}

/** Takes `bytes` before the body is read, waiting briefly for room; gives them back when the response is done. */
function declared(_req: Request, res: Response, next: (error?: unknown) => void, budget: ByteBudget, bytes: number): void {
  let held = 0;
  const giveUp = budget.take(bytes, WAIT_MS, (taken) => {
    if (!taken) return next(busy());
    held = bytes;
    next();
  });
  res.once('close', () => {
    giveUp();
    budget.release(held);
    held = 0;
  });
}

/** Takes a chunked body's bytes as they arrive, once past SMALL_BODY_BYTES; refuses it when they do not fit. */
function arriving(req: Request, res: Response, next: () => void, budget: ByteBudget, bodyLimit: number): void {
  let received = 0;
  let held = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    // Past bodyLimit the parser refuses it (413): nothing more is kept.
    const more = received < SMALL_BODY_BYTES ? 0 : Math.min(received, bodyLimit) - held;
    if (more <= 0) return;
    if (budget.grow(more)) {
      held += more;
      return;
    }
    stop();
    // The parser reading the body (raw-body) ends on the stream's error: it answers the error, then reads off the rest unkept.
    if (req.listenerCount('error') > 0) req.emit('error', busy());
    else req.destroy();
  };
  const stop = () => {
    req.off('data', onData);
    budget.release(held);
    held = 0;
  };
  // Prepended, it sees each chunk before the parser keeps it, and it does not start the flow itself.
  req.prependListener('data', onData);
  res.once('close', stop);
  next();
}
