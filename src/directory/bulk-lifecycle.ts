import type { Em } from '../db/orm.ts';
import { isUuid } from '../lib/ids.ts';
import { recordAuditSql } from './audit.ts';
import { DomainError } from './errors.ts';
import { SeatLimitError } from './license.ts';
import { exceedsMassDisable, MassDisableError, massDisableText, type MassDisableNumbers } from './mass-disable.ts';
import { getOrgSettings } from './org-settings.ts';
import { disableUser, reactivateUser } from './people.ts';
import type { Scope } from './scope.ts';

export type BulkAction = 'disable' | 'reactivate';

export interface BulkResult {
  id: string;
  done: boolean;
  /** When not done: the error code (not_found, invalid_transition, limit_exceeded…) and why. */
  reason?: string;
  message?: string;
}

/**
 * How many of the named ids are enabled people of this org (what a disable would switch off), of
 * how many enabled people it has: the numbers the mass-disable guard weighs, as a CSV preview
 * counts them. Another org's, unknown and malformed ids count for nothing.
 */
async function disableShare(em: Em, scope: Scope, ids: string[]): Promise<MassDisableNumbers> {
  const named = ids.filter(isUuid);
  const [row] = await em.execute(
    `select count(*)::int as enabled, count(*) filter (where id = any(?::uuid[]))::int as disable
     from users where org_id = ? and state in ('active', 'invited')`,
    [`{${named.join(',')}}`, scope.orgId],
  );
  const { massDisableThreshold } = await getOrgSettings(em, scope);
  return { disable: Number(row?.disable ?? 0), enabled: Number(row?.enabled ?? 0), threshold: massDisableThreshold };
}

/**
 * Applies one action to many ids in the caller's transaction, each in a
 * savepoint: one id's refusal (unknown, another org's, wrong state, no seat)
 * is reported and leaves the others alone. Another org's id reads as unknown.
 *
 * A disable is held by the org's mass-disable threshold, as a CSV sync or disable import is: more
 * than that share of the enabled people needs `force`, else nothing is disabled (409 with the
 * numbers). Every bulk disable records one `user.bulk_disabled` event besides each person's
 * `user.disabled` — as an import's `import.committed` — saying whether it overrode the guard.
 */
export async function bulkLifecycle(em: Em, scope: Scope, action: BulkAction, ids: string[], options: { force?: boolean | undefined } = {}): Promise<BulkResult[]> {
  const unique = [...new Set(ids)];
  const share = action === 'disable' ? await disableShare(em, scope, unique) : null;
  const guarded = share !== null && exceedsMassDisable(share);
  if (guarded && !options.force) {
    throw new MassDisableError(`This would disable ${massDisableText(share.disable, share.enabled, share.threshold)}; nothing was disabled: send "force": true to disable them anyway`, share);
  }
  const run = action === 'disable' ? disableUser : reactivateUser;
  const results: BulkResult[] = [];
  for (const id of unique) {
    try {
      await em.transactional((tx) => run(tx, scope, id));
      results.push({ id, done: true });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error instanceof SeatLimitError) await recordAuditSql(em, scope, error.refusal);
      results.push({ id, done: false, reason: error.code, message: error.message });
    }
  }
  if (action === 'disable') {
    const done = results.filter((r) => r.done).length;
    await recordAuditSql(em, scope, {
      action: 'user.bulk_disabled',
      details: { requested: unique.length, done, failed: unique.length - done, forced: guarded, ...(guarded ? { massDisable: share } : {}) },
    });
  }
  return results;
}
