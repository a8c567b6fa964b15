import express, { type Request, type RequestHandler, type Response } from 'express';
import { ValidationError } from '../directory/errors.ts';
import { hasContent } from '../lib/media-type.ts';
import { HttpError } from './errors.ts';
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

/** The media types a route reads: `match` for req.is(), `names` for the 415 and its Accept header. */
export interface BodyTypes {
  match: string[];
  names: string[];
}

const FORM = 'application/x-www-form-urlencoded';
/** What the app's JSON parser reads (SCIM's own type among them); the admin API reads nothing else. */
export const JSON_BODY: BodyTypes = { match: ['application/json', 'application/scim+json', 'application/*+json'], names: ['application/json'] };
/** The /auth steps: scripts send JSON, the pages' forms post form-urlencoded. */
export const JSON_OR_FORM_BODY: BodyTypes = { match: [...JSON_BODY.match, FORM], names: ['application/json', FORM] };

/**
 * RFC 9110 §15.5.16: a body of a media type the route does not read is 415, naming it and
 * what the route reads (also in `Accept`, RFC 9110 §12.5.1), not ignored: express.json()
 * leaves other types unread, so a PATCH sent as text/plain answered 200 and changed nothing.
 * A request without a body passes whatever it is labelled. Undefined when the body is fine.
 */
export function refuseUnreadBody(req: Request, res: Response, types: BodyTypes): HttpError | undefined {
  if (!hasContent(req.headers) || req.is(types.match)) return undefined;
  res.setHeader('Accept', types.names.join(', '));
  const type = req.get('content-type');
  const what = type ? `Content-Type "${type}" is not read here` : 'A request body needs a Content-Type';
  return new HttpError(415, 'unsupported_media_type', `${what}: send ${types.names.join(' or ')}`, { contentType: type ?? null, accepted: types.names });
}

export type JsonOptions = Parameters<typeof express.json>[0];

/**
 * express.json(), mounted by the app for every surface (SCIM with its own limit). `setting` names the config
 * key of its size limit: a body over it is refused with a 413 that names the key, not only the bytes, and
 * `advice` says what a client can do instead.
 */
export function jsonParser(options: JsonOptions, setting?: string, advice?: string): RequestHandler {
  const parse = reading(express.json(options));
  if (!setting) return parse;
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      if ((error as { type?: unknown } | undefined)?.type === 'entity.too.large') Object.assign(error as object, { setting, ...(advice ? { advice } : {}) });
      next(error as Error | undefined);
    });
}

/**
 * The form-urlencoded body parser of the routes that read forms (sign-in, second factor,
 * invitations, console sign-out), followed by the check every parsed body gets (http/text-input.ts).
 */
export function formParser(options: { limit: string; parameterLimit?: number }): RequestHandler {
  const parse = reading(express.urlencoded({ extended: false, ...options }), wellFormedBody);
  // body-parser's own default, when a route sets none.
  const fields = options.parameterLimit ?? 1000;
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      // 'too many parameters' carries no limit: the route knows it.
      if ((error as { type?: unknown } | undefined)?.type === 'parameters.too.many') {
        return next(new HttpError(413, 'too_many_fields', `The form has more than ${fields} fields`, { limit: fields }));
      }
      next(error as Error | undefined);
    });
}

/** For the /auth steps: 415 unless the body is JSON (read by the app) or a form, then formParser. */
export function jsonOrFormParser(options: { limit: string; parameterLimit?: number }): RequestHandler {
  const form = formParser(options);
  return (req, res, next) => {
    const refused = refuseUnreadBody(req, res, JSON_OR_FORM_BODY);
    if (refused) return next(refused);
    form(req, res, next);
  };
}
