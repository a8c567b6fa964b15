import { executeBound, type SqlRunner } from '../db/bound-query.ts';
import { auditInsertSql } from './audit.ts';
import { isLocalDisable, transitionForActive, type Transition } from './lifecycle.ts';
import type { Scope } from './scope.ts';
import type { UserRecord } from './user-record.ts';

/**
 * What a write's `active` does to a person (sticky disable): the state move, if any; whether the
 * IdP's `active: true` is held (`held`, the rest of its write applies); whether the IdP's
 * `active: false` adopts a disable made here (`adopted`: disabled_by becomes scim).
 */
export function activeChange(
  scope: Pick<Scope, 'actor'>,
  current: Pick<UserRecord, 'state' | 'disabledBy'>,
  active: boolean | undefined,
): { transition: Transition | undefined; held: boolean; adopted: boolean } {
  const transition = active === undefined ? undefined : transitionForActive(current.state, active);
  const fromIdp = scope.actor.type === 'scim_token';
  // The IdP's `active: true` does not undo a disable made here: the rest of its write applies.
  const held = fromIdp && transition === 'reactivate' && isLocalDisable(current.disabledBy);
  // The IdP disabling a person disabled here makes the disable its own, so its later enable counts.
  const adopted = fromIdp && active === false && current.state === 'disabled' && isLocalDisable(current.disabledBy);
  return { transition: held ? undefined : transition, held, adopted };
}

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
