import {
  AuthenticationError,
  ConflictError,
  DomainError,
  LastOrgAdminError,
  LimitError,
  NotFoundError,
  PermissionError,
  RateLimitedError,
  StaleVersionError,
  TransitionError,
  UnavailableError,
  ValidationError,
} from '../directory/errors.ts';
import { jsonScalarKind } from '../lib/json-scalar.ts';
import { isOrgGone, ORG_GONE_MESSAGE } from '../db/org-gone.ts';
import { isDatabaseUnavailable, isSchemaMissing, SCHEMA_MISSING_MESSAGE } from '../db/unavailable.ts';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** RFC 7644 §3.12 scimType values. */
export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  /** draft-ietf-scim-cursor-pagination: a cursor this server did not issue. */
  | 'invalidCursor';

/** An error the SCIM surface raises itself (bad filter, bad PATCH, unsupported parameter). */
export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;
  constructor(status: number, detail: string, scimType?: ScimType) {
    super(detail);
    this.status = status;
    this.scimType = scimType;
  }
}

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  scimType?: ScimType;
  detail: string;
}

export interface MappedScimError {
  status: number;
  body: ScimErrorBody;
  retryAfterSeconds?: number;
}

function body(status: number, detail: string, scimType?: ScimType): ScimErrorBody {
  // RFC 7644 §3.12: status is a string; Okta's conformance tests assert it.
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

/**
 * CONVENTIONS 4: the one mapping from domain and HTTP errors to RFC 7644 §3.12
 * error responses. Anything unexpected is a 500 with a detail that leaks nothing.
 */
export function mapScimError(error: unknown): MappedScimError {
  if (error instanceof ScimError) return { status: error.status, body: body(error.status, error.message, error.scimType) };
  const parserType = (error as { type?: unknown })?.type;
  if (parserType === 'entity.parse.failed') {
    const scalar = jsonScalarKind(error);
    const detail = scalar ? `The request body must be a JSON object, got ${scalar}` : `The request body is not valid JSON: ${(error as Error).message}`;
    return { status: 400, body: body(400, detail, 'invalidSyntax') };
  }
  if (parserType === 'entity.too.large') {
    const { limit, setting, advice } = error as { limit?: number; setting?: string; advice?: string };
    return { status: 413, body: body(413, `The request body is larger than the ${limit} bytes accepted on /scim/v2${setting ? ` (${setting})` : ''}${advice ? `: ${advice}` : ''}`) };
  }
  // RFC 7644 §3.12 lists no 415, but RFC 9110 §15.5.16 is the answer for a body in an encoding
  // or charset the server does not read; the parser's message names it ("unsupported charset "ISO-8859-1"").
  if (parserType === 'charset.unsupported') {
    return { status: 415, body: body(415, `${capitalised((error as Error).message)}: SCIM bodies are read as UTF-8 JSON`) };
  }
  if (parserType === 'encoding.unsupported') {
    return { status: 415, body: body(415, `${capitalised((error as Error).message)}: send the body uncompressed, or gzip, deflate, br or zstd encoded`) };
  }
  // The client went away mid-upload: its fault, not ours (no one reads the answer anyway).
  if (parserType === 'request.aborted') return { status: 400, body: body(400, 'The request was aborted by the client before its body arrived') };
  // Any other refusal of the body parser ('request size did not match content length', …): its 4xx, not a 500.
  const parserStatus = (error as { status?: unknown })?.status;
  if (typeof parserType === 'string' && typeof parserStatus === 'number' && parserStatus >= 400 && parserStatus < 500) {
    return { status: parserStatus, body: body(parserStatus, `The request body could not be read: ${(error as Error).message}`) };
  }
  if (error instanceof DomainError) return mapDomain(error);
  // The database is away (restart, failover, network): a retryable 503 like the admin API's, not a 500.
  if (isDatabaseUnavailable(error)) return { status: 503, body: body(503, 'The database is unavailable; retry shortly'), retryAfterSeconds: 5 };
  if (isSchemaMissing(error)) return { status: 503, body: body(503, SCHEMA_MISSING_MESSAGE), retryAfterSeconds: 5 };
  if (isOrgGone(error)) return { status: 401, body: body(401, ORG_GONE_MESSAGE) };
  return { status: 500, body: body(500, 'An unexpected error occurred') };
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Directory fields whose name is no SCIM attribute: the IdP's admin maps `phoneNumbers` and the
 * enterprise `manager`, and a detail naming `phone` or `managerId` points at nothing they can find.
 */
const scimFieldNames: Readonly<Record<string, string>> = {
  phone: 'phoneNumbers',
  managerId: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value',
};

function scimDetail(error: ValidationError): string {
  const standard = error.problems.map((p) => `${p.field}: ${p.reason}`).join('; ');
  if (error.message !== standard) return error.message;
  return error.problems.map((p) => `${scimFieldNames[p.field] ?? p.field}: ${p.reason}`).join('; ');
}

function mapDomain(error: DomainError): MappedScimError {
  if (error instanceof ValidationError) {
    // RFC 7644 §3.12: a bad `filter` (query parameter or SearchRequest member) is invalidFilter,
    // also when the check every request gets (http/text-input.ts) is the one that refused it.
    const filter = error.problems.length > 0 && error.problems.every((p) => p.field === 'filter');
    return { status: 400, body: body(400, scimDetail(error), filter ? 'invalidFilter' : 'invalidValue') };
  }
  if (error instanceof ConflictError) return { status: 409, body: body(409, error.message, 'uniqueness') };
  if (error instanceof NotFoundError) return { status: 404, body: body(404, error.message) };
  // RFC 7644 §3.12: 409 is the conflict status; no scimType fits (it is not a uniqueness clash).
  if (error instanceof LastOrgAdminError) return { status: 409, body: body(409, error.message) };
  if (error instanceof StaleVersionError) return { status: 412, body: body(412, error.message) };
  if (error instanceof AuthenticationError) return { status: 401, body: body(401, error.message) };
  if (error instanceof PermissionError || error instanceof LimitError) return { status: 403, body: body(403, error.message) };
  if (error instanceof TransitionError) return { status: 400, body: body(400, error.message, 'invalidValue') };
  if (error instanceof RateLimitedError) {
    return { status: 429, body: body(429, error.message), retryAfterSeconds: error.retryAfterSeconds };
  }
  if (error instanceof UnavailableError) return { status: 503, body: body(503, error.message), retryAfterSeconds: 5 };
  return { status: 400, body: body(400, error.message) };
}

export function errorBody(status: number, detail: string, scimType?: ScimType): ScimErrorBody {
  return body(status, detail, scimType);
}
