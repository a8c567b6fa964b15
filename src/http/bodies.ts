import express, { type Request, type RequestHandler } from 'express';
import { ValidationError } from '../directory/errors.ts';
import { wellFormedBody } from './text-input.ts';

/**
 * How the routes read bodies. body-parser inflates gzip, deflate and br (zstd where Node has
 * it); a body that is not what its Content-Encoding says fails inside zlib, and that error
 * reaches the error mappers with a status but no `type` (they answered 500). Each parser here
 * turns it into a 400 naming the body, a ValidationError so SCIM maps it too.
 */

/** The refusal of a body (or the CSV `file`) that does not decompress as labelled. */
export function undecodable(field: string, encoding: string, error: unknown): ValidationError {
  return ValidationError.field(field, `is not valid ${encoding} data (Content-Encoding: ${encoding}): ${(error as Error).message}`);
}

/** The zlib failure of a compressed body, as a ValidationError; any other error as it is. */
function readable(req: Request, error: unknown): unknown {
  const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  // body-parser gives every error of its own a `type` (too large, aborted, bad JSON, unknown encoding…).
  if (encoding === 'identity' || (error as { type?: unknown })?.type !== undefined) return error;
  return undecodable('body', encoding, error);
}

function reading(parse: RequestHandler, then?: RequestHandler): RequestHandler {
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      if (error) return next(readable(req, error));
      if (then) return then(req, res, next);
      next();
    });
}

/** express.json(), mounted once by the app for every surface. */
export function jsonParser(options: Parameters<typeof express.json>[0]): RequestHandler {
  return reading(express.json(options));
}

/**
 * The form-urlencoded body parser of the routes that read forms (sign-in, second factor,
 * invitations, console sign-out), followed by the check every parsed body gets (http/text-input.ts).
 */
export function formParser(options: { limit: string; parameterLimit?: number }): RequestHandler {
  return reading(express.urlencoded({ extended: false, ...options }), wellFormedBody);
}
