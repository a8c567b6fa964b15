import type { NextFunction, Request, Response } from 'express';
import {
  AuthenticationError,
  ConflictError,
  CursorExpiredError,
  DomainError,
  IdpManagedError,
  LastOrgAdminError,
  LimitError,
  NotEmptyError,
  NotFoundError,
  PermissionError,
  RateLimitedError,
  StaleVersionError,
  TransitionError,
  UnavailableError,
  ValidationError,
} from '../directory/errors.ts';
import type { Readiness } from './readiness.ts';
import { jsonScalarKind } from '../lib/json-scalar.ts';
import { isDatabaseUnavailable, isSchemaMissing, SCHEMA_MISSING_MESSAGE } from '../db/unavailable.ts';
import { isOrgGone, ORG_GONE_MESSAGE } from '../db/org-gone.ts';

/** An HTTP-level problem found before the domain is reached (bad JSON, unknown route…). */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface MappedError {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
  retryAfterSeconds?: number;
}

const DB_RETRY_AFTER_SECONDS = 5;

/** CONVENTIONS 4: the single translation from any thrown value to a status and a stable code. */
export function mapError(error: unknown): MappedError {
  if (error instanceof HttpError) {
    return { status: error.status, code: error.code, message: error.message, details: error.details };
  }
  const bodyParser = bodyParserError(error);
  if (bodyParser) return bodyParser;
  if (error instanceof DomainError) {
    const status = domainStatus(error);
    const mapped: MappedError = { status, code: error.code, message: error.message, details: error.details };
    if (error instanceof RateLimitedError) mapped.retryAfterSeconds = error.retryAfterSeconds;
    if (error instanceof UnavailableError) mapped.retryAfterSeconds = DB_RETRY_AFTER_SECONDS;
    return mapped;
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      code: 'database_unavailable',
      message: 'The database is unavailable; retry shortly',
      details: {},
      retryAfterSeconds: DB_RETRY_AFTER_SECONDS,
    };
  }
  if (isSchemaMissing(error)) {
    // Not 'database_unavailable': the database answers (readiness must not mark it unreachable).
    return { status: 503, code: 'unavailable', message: SCHEMA_MISSING_MESSAGE, details: {}, retryAfterSeconds: DB_RETRY_AFTER_SECONDS };
  }
  if (isOrgGone(error)) return { status: 401, code: 'unauthenticated', message: ORG_GONE_MESSAGE, details: {} };
  return { status: 500, code: 'internal_error', message: 'An unexpected error occurred', details: {} };
}

function domainStatus(error: DomainError): number {
  if (error instanceof ValidationError) return 400;
  if (error instanceof AuthenticationError) return 401;
  if (error instanceof PermissionError || error instanceof LimitError) return 403;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError || error instanceof TransitionError || error instanceof LastOrgAdminError) return 409;
  if (error instanceof IdpManagedError || error instanceof NotEmptyError) return 409;
  if (error instanceof CursorExpiredError) return 410;
  if (error instanceof StaleVersionError) return 412;
  if (error instanceof RateLimitedError) return 429;
  if (error instanceof UnavailableError) return 503;
  return 400;
}

/** express.json() errors carry a `type`; turn the common ones into clear 4xx answers. */
function bodyParserError(error: unknown): MappedError | undefined {
  const type = (error as { type?: unknown })?.type;
  if (typeof type !== 'string') return undefined;
  if (type === 'entity.parse.failed') {
    const scalar = jsonScalarKind(error);
    if (scalar) {
      const problem = { field: 'body', reason: `must be a JSON object, got ${scalar}` };
      return { status: 400, code: 'invalid_input', message: `${problem.field}: ${problem.reason}`, details: { problems: [problem] } };
    }
    return { status: 400, code: 'invalid_json', message: `The request body is not valid JSON: ${(error as Error).message}`, details: {} };
  }
  if (type === 'entity.too.large') {
    const { limit, setting } = error as { limit?: number; setting?: string };
    return {
      status: 413,
      code: 'payload_too_large',
      message: `The request body exceeds the limit of ${limit} bytes${setting ? ` (${setting})` : ''}`,
      details: setting ? { limit, setting } : { limit },
    };
  }
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return { status: 415, code: 'unsupported_encoding', message: (error as Error).message, details: {} };
  }
  if (type === 'request.aborted') {
    return { status: 400, code: 'request_aborted', message: 'The request was aborted by the client', details: {} };
  }
  // Any other refusal of the parser ('request size did not match content length', …) is the client's: its 4xx, not a 500.
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = `The request body could not be read: ${(error as Error).message}`;
    if (status === 413) return { status, code: 'payload_too_large', message, details: {} };
    return { status, code: 'unreadable_body', message, details: {} };
  }
  return undefined;
}

/** The admin API's error body: `{error: {code, message, details}}`. */
export function apiErrorHandler(readiness: Readiness) {
  // Express recognises an error handler by its four parameters.
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const mapped = mapError(error);
    logMapped(req, mapped, error);
    if (mapped.code === 'database_unavailable') readiness.markUnreachable(error);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (mapped.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(mapped.retryAfterSeconds));
    res.status(mapped.status).json({
      error: { code: mapped.code, message: mapped.message, details: { ...mapped.details, requestId: req.ctx?.requestId } },
    });
  };
}

export function logMapped(req: Request, mapped: MappedError, error: unknown): void {
  const log = req.ctx?.log;
  if (!log) return;
  // An outage refuses every request: one short warning each; the `not ready` line carries the error's stack once.
  if (mapped.code === 'database_unavailable') log.warn({ code: mapped.code, error: (error as Error)?.message }, 'request failed: the database is unavailable');
  else if (mapped.status >= 500) log.error({ err: error, code: mapped.code }, 'request failed');
  else log.debug({ code: mapped.code, reason: mapped.message }, 'request refused');
}

export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new HttpError(404, 'route_not_found', `No route for ${req.method} ${req.path}`));
}
