import type { ActorType } from '../db/entities/index.ts';

/** Who is acting: recorded on every audit event. */
export interface Actor {
  type: ActorType;
  id?: string | undefined;
  /** Human-readable: an email, a token name, "system", "cli:alice". */
  label: string;
}

/** Where a request came from; copied onto audit events. */
export interface RequestOrigin {
  requestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** CONVENTIONS 7: the tenant is an argument. Every domain call that touches org data takes one. */
export interface Scope extends RequestOrigin {
  orgId: string;
  orgSlug: string;
  actor: Actor;
  /**
   * The door a change came through when the actor alone does not tell: a CSV
   * import runs as the admin who committed it, yet its changes are `csv` ones.
   * Stamped on each audit row: in its `door` column, which the events trigger
   * reads, and as `details.source` unless the row names its own (a membership
   * names the membership's source there).
   */
  source?: 'csv' | undefined;
  /**
   * False when the caller is not an org admin (a member holding some grants, or
   * a narrowed admin token): they may not change an org admin's account
   * (org-admin-guard.ts). Unset for SCIM, the CLI and the system.
   */
  mayChangeOrgAdmins?: boolean | undefined;
}

export const systemActor: Actor = { type: 'system', label: 'system' };
