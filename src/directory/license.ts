import type { Em } from '../db/orm.ts';
import type { AuditEntry } from './audit.ts';
import { LimitError } from './errors.ts';
import { getOrgSettings } from './org-settings.ts';
import type { Scope } from './scope.ts';

/**
 * The seat licence: at most `seatLimit` users in state `active` per org.
 * Pending invitees and disabled or deleted users hold no seat.
 */
export interface License {
  seatLimit: number | null;
  active: number;
  /** Seats left; null when unlimited. */
  remaining: number | null;
}

/** What the refused activation was, for the `license.seat_refused` audit event. */
export interface SeatAttempt {
  /** create, reactivate, restore, accept… */
  via: string;
  userId?: string | undefined;
  label?: string | null | undefined;
}

/** "1 active user", "3 active users": the seat limit as an admin reads it. */
export function activeUsers(n: number): string {
  return `${n} active user${n === 1 ? '' : 's'}`;
}

/**
 * A refused activation. It carries the audit entry that must stay on record
 * even though the change is rolled back: `transaction()` writes it after the
 * rollback (see transaction.ts).
 */
export class SeatLimitError extends LimitError {
  readonly refusal: AuditEntry;
  constructor(license: License & { seatLimit: number }, attempt: SeatAttempt) {
    super(`No seat left: the licence allows ${activeUsers(license.seatLimit)} and ${license.active} ${license.active === 1 ? 'is' : 'are'} active; disable someone or raise the seat limit`, {
      seatLimit: license.seatLimit,
      active: license.active,
    });
    // A refused create has no user id yet: the attempted userName goes into the details.
    this.refusal = {
      action: 'license.seat_refused',
      target: attempt.userId ? { type: 'user', id: attempt.userId, label: attempt.label } : undefined,
      details: { via: attempt.via, seatLimit: license.seatLimit, active: license.active, ...(attempt.userId ? {} : { userName: attempt.label ?? null }) },
    };
  }
}

async function countActive(em: Em, orgId: string): Promise<number> {
  const rows = await em.execute(`select count(*)::int as n from users where org_id = ? and state = 'active'`, [orgId]);
  return Number(rows[0]?.n ?? 0);
}

export async function getLicense(em: Em, scope: Pick<Scope, 'orgId'>): Promise<License> {
  const { seatLimit } = await getOrgSettings(em, scope);
  const active = await countActive(em, scope.orgId);
  return { seatLimit, active, remaining: seatLimit === null ? null : Math.max(0, seatLimit - active) };
}

/**
 * Call inside the transaction of any change that makes a user `active`
 * (SCIM create/reactivate, admin reactivate/restore, invitation acceptance),
 * before the write. It locks the org row, so concurrent activations in one org
 * queue here and each counts the others' committed seats (READ COMMITTED takes
 * a new snapshot per statement): with one seat left exactly one succeeds.
 * Throws SeatLimitError when no seat is left.
 */
export async function assertSeatAvailable(em: Em, scope: Pick<Scope, 'orgId'>, attempt: SeatAttempt = { via: 'activation' }): Promise<void> {
  if (!em.isInTransaction()) throw new Error('assertSeatAvailable() must run inside a transaction, or its lock ends at once');
  const { seatLimit } = await getOrgSettings(em, scope, { lock: true });
  if (seatLimit === null) return;
  const active = await countActive(em, scope.orgId);
  if (active >= seatLimit) throw new SeatLimitError({ seatLimit, active, remaining: 0 }, attempt);
}

/**
 * SQL condition true when the org has no seat limit: lets a write that
 * activates a user run as a single statement in the common unlimited case and
 * return no row (so the caller takes the locked path) when there is a limit.
 */
export function noSeatLimitSql(orgIdParam = '?'): string {
  return `not exists (select 1 from organizations o where o.id = ${orgIdParam} and jsonb_typeof(o.settings -> 'seatLimit') = 'number')`;
}
