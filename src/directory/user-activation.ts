import { executeHot, type SqlRunner } from '../db/bound-query.ts';
import { isUuid } from '../lib/ids.ts';
import { auditInsertSql } from './audit.ts';
import { auditAction, disableSourceOf, isLocalDisable, stateOnReturnSql, transitionForActive, type Transition } from './lifecycle.ts';
import { noSeatLimitSql } from './license.ts';
import type { Scope } from './scope.ts';
import { rowToUser, userColumnsSql, userGroupsSql, type UserRecord } from './user-record.ts';
import { revokeSessionsCte } from './users.ts';

/**
 * SCIM's `active` switch (Okta's and Entra's deactivate and reactivate) as one
 * statement: read, transition, session revocation and audit event together, so
 * the most frequent write IdPs send costs one round trip. The statement only
 * writes when the plain case holds: the user can make the move, is not an org
 * admin being disabled (the last-admin guard takes the org lock), the org has no
 * seat limit to check, the row is the version just read, and If-Match (if any)
 * names it. Otherwise it writes nothing, and the caller takes the general path
 * (users.ts saveUser), which handles each of those cases.
 */

interface Move {
  transition: Transition;
  from: string[];
  /** The new state, as a SQL expression over the row read (`cur`). */
  to: string;
  /** Extra condition on the row read (`cur`) and the org (params appended). */
  guard: string;
  set: string;
}

const moves: Record<'disable' | 'reactivate', Move> = {
  disable: {
    transition: 'disable', from: ['active', 'invited'], to: `'disabled'`,
    guard: `cur.org_role <> 'org_admin'`, set: 'disabled_at = now(), disabled_by = ?',
  },
  reactivate: {
    // Back to active, or to invited for an invitee who never registered (lifecycle.ts stateOnReturn).
    transition: 'reactivate', from: ['disabled'], to: stateOnReturnSql('cur'),
    guard: noSeatLimitSql('cur.org_id'), set: 'disabled_at = null, disabled_by = null',
  },
};

/**
 * The user after setting `active`: written, or unchanged when already so (a
 * no-op writes nothing: no version bump, no audit event). null when there is no
 * such user; undefined when the general path must decide.
 */
export async function setUserActive(
  em: SqlRunner,
  scope: Scope,
  id: string,
  active: boolean,
  expectedVersion: number | undefined,
): Promise<UserRecord | null | undefined> {
  if (!isUuid(id)) return null;
  const move = moves[active ? 'reactivate' : 'disable'];
  // The IdP's switch leaves a disable made here to the general path (saveUser): held, or adopted.
  const local = scope.actor.type === 'scim_token' ? ` and coalesce(cur.disabled_by, '') not in ('admin', 'csv')` : '';
  const audit = auditInsertSql(scope, {
    action: auditAction[move.transition],
    target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
    // As saveUser records a change of `active` alone.
    details: { changes: {} },
  }, 'u');
  const states = move.from.map((s) => `'${s}'`).join(', ');
  const rows = await executeHot(
    em,
    `with cur as (select * from users where org_id = ? and id = ? and state <> 'deleted'),
     u as (update users t set state = ${move.to}, ${move.set}, version = t.version + 1, updated_at = now()
           from cur
           where t.id = cur.id and t.org_id = cur.org_id and t.version = cur.version and cur.state in (${states})
             and cur.version = coalesce(?::int, cur.version) and ${move.guard}${active ? local : ''}
           returning t.*)${move.transition === 'disable' ? `,\n     ${revokeSessionsCte()}` : ''},
     a as (${audit.sql})
     select true as written, ${userColumnsSql}, ${userGroupsSql} from u
     union all
     select false, ${userColumnsSql}, ${userGroupsSql} from cur u where not exists (select 1 from u as written)`,
    [scope.orgId, id, ...(active ? [] : [disableSourceOf(scope)]), expectedVersion ?? null, ...audit.params],
    { prepare: true },
  );
  const row = rows[0];
  if (!row) return null;
  const user = rowToUser(row);
  if (row.written) return user;
  // Nothing written: right when there was nothing to do (and If-Match, if any, matched).
  const adoptable = !active && user.state === 'disabled' && scope.actor.type === 'scim_token' && isLocalDisable(user.disabledBy);
  const due = transitionForActive(user.state, active) !== undefined || adoptable;
  return due || (expectedVersion !== undefined && expectedVersion !== user.version) ? undefined : user;
}
