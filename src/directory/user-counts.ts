import type { Em } from '../db/orm.ts';
import type { Logger } from '../lib/logger.ts';
import { PeriodicJob, type JobFailures } from './periodic-job.ts';

/**
 * An org's live-user count (users not deleted) from `user_count_deltas`,
 * which triggers on `users` keep in the transaction of every change
 * (migrations/…_user_count_deltas.ts): a sum over a few rows instead of
 * counting the org, exact in the statement's snapshot. Alias-free SQL with one
 * `?` (the org id), for a CTE or a sub-select.
 */
export const liveUserCountSql = `select coalesce(sum(d.delta), 0)::int as n from user_count_deltas d where d.org_id = ?`;

/** Orgs folded per statement; a pass that fills it runs again at once. */
const ORGS_PER_FOLD = 1000;

/**
 * Folds each org's deltas into one row (at most `orgs` orgs per call). Safe to
 * run anywhere at once: a delta is folded by the one statement that deleted
 * it, and uncommitted deltas are not seen, so they stay for the next fold;
 * every snapshot sees either the rows or their sum.
 */
export async function compactUserCounts(em: Em, orgs = ORGS_PER_FOLD): Promise<{ orgs: number; folded: number }> {
  const rows = await em.execute(
    `with busy as (select org_id from user_count_deltas group by org_id having count(*) > 1 limit ?),
     gone as (delete from user_count_deltas d using busy where d.org_id = busy.org_id returning d.org_id, d.delta),
     kept as (insert into user_count_deltas (org_id, delta) select org_id, sum(delta) from gone group by org_id returning 1)
     select (select count(*) from kept)::int as orgs, (select count(*) from gone)::int as folded`,
    [orgs],
  );
  return { orgs: Number(rows[0]?.orgs ?? 0), folded: Number(rows[0]?.folded ?? 0) };
}

/**
 * Every few seconds, so that a busy org's list pages sum a few thousand deltas at most
 * (one per user-creating statement or delete/restore since the last fold).
 */
export function userCountJob(deps: { fork: () => Em; logger: Logger; intervalMs?: number; failures?: JobFailures | undefined }): PeriodicJob {
  return new PeriodicJob({
    name: 'user count compaction',
    intervalMs: deps.intervalMs ?? 5000,
    logger: deps.logger,
    failures: deps.failures,
    pass: async () => (await compactUserCounts(deps.fork())).orgs >= ORGS_PER_FOLD,
  });
}
