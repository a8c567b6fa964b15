import { executeBound, type SqlRunner } from '../db/bound-query.ts';
import { auditInsertSql } from './audit.ts';
import type { Scope } from './scope.ts';
import type { UserRecord } from './user-record.ts';

/**
 * The IdP's `active: true` for a person disabled here (lifecycle.ts isLocalDisable) is held, and
 * the person's activity says so: a `user.activation_held` audit entry, which the change feed and
 * webhooks do not carry (nothing about the person changed). Not a SCIM problem: the IdP was
 * answered 200, with `active: false`. Noted once per disable, not on each of the IdP's retries
 * (Entra re-sends `active` while it sees the difference).
 */
export const activationHeldAction = 'user.activation_held';

export async function noteHeldActivation(em: SqlRunner, scope: Scope, user: Pick<UserRecord, 'id' | 'disabledAt' | 'disabledBy'>): Promise<void> {
  const audit = auditInsertSql(scope, {
    action: activationHeldAction,
    target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
    details: { disabledBy: user.disabledBy, disabledAt: user.disabledAt },
  }, 'u');
  await executeBound(
    em,
    `with u as (select t.id, t.user_name from users t where t.org_id = ? and t.id = ? and t.state = 'disabled'
       and not exists (select 1 from audit_events e where e.org_id = t.org_id and e.target_id = t.id::text and e.action = ? and e.at >= t.disabled_at)),
     a as (${audit.sql} returning 1)
     select count(*)::int as n from a`,
    [scope.orgId, user.id, activationHeldAction, ...audit.params],
  );
}
