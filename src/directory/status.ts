import type { UserState } from '../db/entities/index.ts';

/**
 * The one public word for where a user stands (DESIGN "User status"), derived
 * from the stored state and the invitation's expiry. A pure function for code
 * and one SQL expression for queries, both given `now` from the container's
 * clock, so "pending" and "expired" agree everywhere and tests can move time.
 */
export const userStatuses = ['pending', 'expired', 'active', 'disabled', 'deleted'] as const;
export type UserStatus = (typeof userStatuses)[number];

/** What the list filter accepts: a status, or `enabled` = active + pending + expired. */
export const statusFilters = [...userStatuses, 'enabled'] as const;
export type StatusFilter = (typeof statusFilters)[number];

export function userStatus(user: { state: UserState; inviteExpiresAt: Date | null }, now: Date): UserStatus {
  if (user.state !== 'invited') return user.state;
  // An invitation without an expiry cannot be accepted, so it counts as lapsed.
  return user.inviteExpiresAt && user.inviteExpiresAt.getTime() > now.getTime() ? 'pending' : 'expired';
}

/** The same derivation as a SQL expression over a users alias (default `u`). */
export function statusSql(now: Date, alias = 'u'): { sql: string; params: unknown[] } {
  return {
    sql: `(case when ${alias}.state = 'invited' then (case when ${alias}.invite_expires_at > ? then 'pending' else 'expired' end) else ${alias}.state end)`,
    params: [now],
  };
}

/**
 * A WHERE condition selecting users with the given status filter. It names the
 * stored state first (so the (org_id, state) index applies) and uses the status
 * expression only where state alone is not enough.
 */
export function statusFilterSql(filter: StatusFilter | undefined, now: Date, alias = 'u'): { sql: string; params: unknown[] } {
  switch (filter) {
    case undefined:
      return { sql: `${alias}.state <> 'deleted'`, params: [] };
    case 'enabled':
      return { sql: `${alias}.state in ('active', 'invited')`, params: [] };
    case 'pending':
    case 'expired': {
      const expr = statusSql(now, alias);
      return { sql: `${alias}.state = 'invited' and ${expr.sql} = ?`, params: [...expr.params, filter] };
    }
    default:
      return { sql: `${alias}.state = ?`, params: [filter] };
  }
}

export interface StatusCounts extends Record<UserStatus, number> {
  enabled: number;
}

/** Per-status counts from `status → n` rows, with `enabled` added. */
export function statusCounts(rows: Iterable<readonly [string, number]>): StatusCounts {
  const counts: StatusCounts = { active: 0, pending: 0, expired: 0, disabled: 0, deleted: 0, enabled: 0 };
  for (const [status, n] of rows) if (status in counts && status !== 'enabled') counts[status as UserStatus] += n;
  counts.enabled = counts.active + counts.pending + counts.expired;
  return counts;
}
