/**
 * The one error hierarchy of the domain. Each surface (SCIM, admin API, pages)
 * maps it once; nothing below the surfaces knows about HTTP.
 */
export interface FieldProblem {
  field: string;
  reason: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** Input that breaks a rule; names each field and why. */
export class ValidationError extends DomainError {
  readonly code = 'invalid_input';
  readonly problems: FieldProblem[];
  /** `details` adds to the problems what a client may branch on (e.g. a limit and its config key). */
  constructor(problems: FieldProblem[], message?: string, details: Record<string, unknown> = {}) {
    super(message ?? problems.map((p) => `${p.field}: ${p.reason}`).join('; '), { ...details, problems });
    this.problems = problems;
  }
  static field(field: string, reason: string, details?: Record<string, unknown>): ValidationError {
    return new ValidationError([{ field, reason }], undefined, details);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not_found';
  constructor(kind: string, id: string) {
    super(`${kind} ${JSON.stringify(id)} not found`, { kind, id });
  }
}

/** A unique rule (userName, group name, slug…) already holds for another record. */
export class ConflictError extends DomainError {
  readonly code = 'conflict';
  readonly field: string;
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super(message, { ...details, field });
    this.field = field;
  }
}

/** The record changed since the caller read it (ETag / version mismatch). */
export class StaleVersionError extends DomainError {
  readonly code = 'precondition_failed';
  constructor(kind: string, id: string) {
    super(`${kind} ${id} was changed by someone else; read it again and retry`, { kind, id });
  }
}

/** A move the lifecycle does not allow (e.g. reactivating a deleted user). */
export class TransitionError extends DomainError {
  readonly code = 'invalid_transition';
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message, details);
  }
}

/**
 * The change would leave an org that has org admins with none who is enabled:
 * nobody could manage its people or grant access again (issue 7).
 */
export class LastOrgAdminError extends DomainError {
  readonly code = 'last_org_admin';
}

/**
 * The record belongs to the identity provider (a SCIM group, a membership SCIM
 * made): changing it here would be undone by the next push, so it is refused.
 */
export class IdpManagedError extends DomainError {
  readonly code = 'scim_managed';
}

/** A delete that would take dependent records with it (a group's members) without `force`. */
export class NotEmptyError extends DomainError {
  readonly code = 'group_not_empty';
}

/**
 * A feed cursor whose following events were pruned (it is older than the
 * retention): reading on from it would skip them unseen. `details` names the
 * cursor, the oldest position still retained and the head to resync from.
 */
export class CursorExpiredError extends DomainError {
  readonly code = 'cursor_expired';
}

export class AuthenticationError extends DomainError {
  readonly code = 'unauthenticated';
}

export class PermissionError extends DomainError {
  readonly code = 'forbidden';
}

/** The org's seat licence or another quota is exhausted. */
export class LimitError extends DomainError {
  readonly code = 'limit_exceeded';
}

export class RateLimitedError extends DomainError {
  readonly code = 'rate_limited';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, message = `Too many requests; retry after ${retryAfterSeconds} s`, details: Record<string, unknown> = {}) {
    super(message, { ...details, retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The store cannot be reached; callers should retry later. */
export class UnavailableError extends DomainError {
  readonly code = 'unavailable';
}
