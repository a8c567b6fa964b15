/**
 * Every `code` an error body under /api, /auth and /invitations can carry
 * (`{error: {code, message, details}}`), with its HTTP status. Clients branch
 * on `code`, never on `message`: a code, once here, keeps its meaning. The
 * OpenAPI document's Error schema and the README table are built from this list,
 * and test/http/error-codes.test.ts fails when the code base can emit a code
 * that is missing here (or lists one nothing emits).
 */
export interface ErrorCodeEntry {
  code: string;
  status: number;
  description: string;
}

export const errorCodes = [
  { code: 'invalid_input', status: 400, description: 'A path parameter, query parameter or body field breaks a rule; `details.problems` lists each `{field, reason}`.' },
  { code: 'invalid_json', status: 400, description: 'The request body is not valid JSON.' },
  { code: 'request_aborted', status: 400, description: 'The client closed the connection before the body arrived.' },
  { code: 'unreadable_body', status: 400, description: 'The request body could not be read as sent (e.g. its length does not match `Content-Length`).' },
  { code: 'org_required', status: 400, description: 'Password sign-in: the person belongs to several organizations; `details.orgs` lists their slugs (send one as `org`), `details.organizations` each `{slug, name}`.' },
  { code: 'invalid_code', status: 400, description: 'Second factor: the code is wrong or expired; `details.attemptsLeft` says how many tries remain.' },
  { code: 'invitation_unavailable', status: 400, description: 'The invitation is unknown, expired, revoked or already used.' },
  { code: 'unauthenticated', status: 401, description: 'No valid admin token or session, or the email/password pair was refused.' },
  { code: 'mfa_challenge_invalid', status: 401, description: 'The second-factor step expired or ended after too many wrong codes: sign in again.' },
  { code: 'forbidden', status: 403, description: 'The caller may not do this; `details.missingPermission` names the permission it lacks (or `details.reason`: `sso_required`; at password sign-in, once the password is proven, `account_disabled` or `invitation_pending`).' },
  { code: 'limit_exceeded', status: 403, description: 'The seat licence or another quota is exhausted; `details` gives the limit and current use.' },
  { code: 'csrf_failed', status: 403, description: 'A change made with the session cookie lacks a valid `X-CSRF-Token` header (its value is `csrfToken` of `GET /api/session`).' },
  { code: 'cross_origin', status: 403, description: 'A post from another site was refused: a sign-in form (login CSRF) or a sign-out (logout CSRF).' },
  { code: 'not_found', status: 404, description: 'The organization or record does not exist (in this organization); `details.kind` and `details.id` name it.' },
  { code: 'route_not_found', status: 404, description: 'No route answers this method and path.' },
  { code: 'conflict', status: 409, description: 'A unique rule holds for another record (e.g. userName, group name); `details.field` names it.' },
  { code: 'invalid_transition', status: 409, description: 'The lifecycle does not allow this move (e.g. reactivating a deleted user); `details.reason` may say why.' },
  { code: 'last_org_admin', status: 409, description: 'The change would leave the organization without an enabled org admin.' },
  { code: 'scim_managed', status: 409, description: 'The group or membership is managed by your identity provider (SCIM) and cannot be changed here; `details` names it.' },
  { code: 'group_not_empty', status: 409, description: 'The group still has members; `details.memberCount` says how many. Repeat with `?force=true` to delete it with its memberships.' },
  { code: 'cursor_expired', status: 410, description: 'The change feed cursor (`after`, or `from` of a webhook replay or resume) is older than the retention: events after it were pruned. `details` gives `field`, `cursor`, `oldestPosition` (null when none is retained) and `head`: resync — keep `head` as your cursor, load everyone from `GET /users`, then go on from `head`.' },
  { code: 'invalid_reset_link', status: 410, description: 'The password reset link is unknown, expired or already used.' },
  { code: 'precondition_failed', status: 412, description: 'The record changed since it was read (version / ETag mismatch): read it again and retry.' },
  { code: 'payload_too_large', status: 413, description: 'The request body exceeds the configured limit; `details.limit` is the limit in bytes (and `details.setting` its config key, e.g. `imports.maxFileSize`).' },
  { code: 'too_many_fields', status: 413, description: 'A form post has more fields than the route reads; `details.limit` says how many it takes.' },
  { code: 'unsupported_media_type', status: 415, description: 'The body was sent with a media type the route does not read.' },
  { code: 'unsupported_encoding', status: 415, description: 'The body uses a content encoding or charset the server does not read.' },
  { code: 'rate_limited', status: 429, description: 'Too many requests; retry after `details.retryAfterSeconds` (also the `Retry-After` header).' },
  { code: 'internal_error', status: 500, description: 'An unexpected error; `details.requestId` identifies it in the logs.' },
  { code: 'unavailable', status: 503, description: 'A dependency is unavailable; retry later (`Retry-After`).' },
  { code: 'database_unavailable', status: 503, description: 'The database cannot be reached; retry after the `Retry-After` seconds.' },
] as const satisfies readonly ErrorCodeEntry[];

export type ErrorCode = (typeof errorCodes)[number]['code'];

export function errorCodesFor(status: number): ErrorCodeEntry[] {
  return errorCodes.filter((entry) => entry.status === status);
}
