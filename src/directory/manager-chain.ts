import type { Em } from '../db/orm.ts';
import { executeHot } from '../db/bound-query.ts';
import { ValidationError } from './errors.ts';
import type { Scope } from './scope.ts';

/**
 * Loops of managers (A's manager B, B's manager A): an admin setting a manager by hand or by CSV
 * is told about the loop and the change refused (`manager_cycle`). SCIM is not: the IdP is the
 * source of truth and pushes managers in any order, so a loop there may be transient.
 */

/** At most this many people of a loop are named in a message; the rest are counted. */
const NAMED = 12;

/** The loop as a message names it: `a@x → b@x → a@x` (its first person again at the end), long ones shortened. */
export function loopText(labels: readonly string[]): string {
  if (labels.length <= NAMED) return labels.join(' → ');
  const people = labels.length - 1;
  return `${[...labels.slice(0, NAMED / 2), '…', ...labels.slice(-NAMED / 2)].join(' → ')} (${people} people)`;
}

/** What an admin reads about a change that would close the loop `labels`. */
export function loopMessage(labels: readonly string[]): string {
  return `would close a loop of managers: ${loopText(labels)}; name a manager outside the loop, or change another manager on it first`;
}

/** One key per org for the transaction-level lock that serialises admins' manager changes and restores (findManagerLoop). */
const lockKey = (orgId: string): string => `gatehouse:managers:${orgId}`;

/** A loop of managers, from the person back to them: each with their address (else user name). */
export type ManagerLoop = Array<{ id: string; label: string }>;

/**
 * The loop `managerId` would close as `userId`'s manager: the manager's chain (their manager, theirs,
 * …) when it leads back to `userId`, else null. One recursive statement scoped by the org, through
 * people who are not deleted (a deleted manager is no manager, as every read shows it) — but for
 * `userId` themself, who may be someone deleted about to come back (a restore). However long the
 * chain, the walk ends: at the top, at `userId`, or at someone it has met already (a loop the IdP
 * made elsewhere), since UNION keeps no row twice. Inside a transaction, admins' manager changes in
 * one org take a lock first, so two changes that close a loop together (A → B and B → A at the same
 * moment) cannot both pass.
 */
export async function findManagerLoop(em: Em, scope: Pick<Scope, 'orgId'>, userId: string, managerId: string): Promise<ManagerLoop | null> {
  if (em.isInTransaction()) await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [lockKey(scope.orgId)]);
  const rows = await executeHot(
    em,
    `with recursive chain (id, label, manager_id) as (
       select id, coalesce(email, user_name), manager_id from users where org_id = ? and id = gatehouse_uuid(?) and state <> 'deleted'
       union
       select u.id, coalesce(u.email, u.user_name), u.manager_id
         from chain c join users u on u.id = gatehouse_uuid(c.manager_id) and u.org_id = ? and (u.state <> 'deleted' or u.id = ?::uuid)
        where c.id <> ?::uuid
     )
     select id::text as id, label, gatehouse_uuid(manager_id)::text as manager, gatehouse_uuid(?)::text as start from chain`,
    [scope.orgId, managerId, scope.orgId, userId, userId, managerId],
    { prepare: true },
  );
  const byId = new Map(rows.map((r) => [String(r.id), { id: String(r.id), label: String(r.label), manager: r.manager === null ? null : String(r.manager) }]));
  // The rows come in no set order: the chain is followed from the manager-to-be, up to the person or its end.
  const chain: ManagerLoop = [];
  for (let at = byId.get(String(rows[0]?.start)); at && chain.length < byId.size; at = at.manager === null ? undefined : byId.get(at.manager)) {
    chain.push({ id: at.id, label: at.label });
    // The walk ends at the person: the loop is they, then their manager-to-be's chain back to them.
    if (at.id === userId) return [chain.at(-1)!, ...chain];
  }
  return null;
}

/** Refuses `managerId` for `userId` when it would close a loop (findManagerLoop): 400 naming managerId, reason manager_cycle. */
export async function assertNoManagerLoop(em: Em, scope: Pick<Scope, 'orgId'>, userId: string, managerId: string): Promise<void> {
  const chain = await findManagerLoop(em, scope, userId, managerId);
  if (chain) throw ValidationError.field('managerId', `${loopMessage(chain.map((p) => p.label))} (manager_cycle)`, { reason: 'manager_cycle', chain });
}
