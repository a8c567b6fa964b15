import { executeBound, type SqlRunner } from '../db/bound-query.ts';
import type { Backlog } from '../lib/metrics-backlog.ts';

/**
 * What the background work has left, for the operator's metrics (lib/metrics-backlog.ts): the
 * one read that spans every org, and returns counts only, never an org or a row. One statement,
 * each part answered from a partial index (webhook_deliveries_due_index and
 * webhook_deliveries_dead_index, events_unpublished_index) or a small table (csv_imports: finished
 * imports are pruned), so a scrape every few seconds costs next to nothing however large the
 * delivery log and the feed grow. The age is taken on the database's clock, as `occurred_at` was.
 */
export async function readBacklog(sql: SqlRunner): Promise<Backlog> {
  const [row] = await executeBound(sql, `select
      (select count(*) from webhook_deliveries where status = 'pending') as waiting,
      (select count(*) from webhook_deliveries where status = 'dead') as dead,
      (select count(*) from events where position is null) as unpublished,
      (select extract(epoch from clock_timestamp() - occurred_at) from events where position is null order by seq limit 1) as oldest,
      (select count(*) from csv_imports where status = 'committing') as committing`, []);
  return {
    webhookDeliveriesWaiting: Number(row?.waiting ?? 0),
    webhookDeliveriesDead: Number(row?.dead ?? 0),
    eventsUnpublished: Number(row?.unpublished ?? 0),
    // A clock step between the write and now must not read as a negative age.
    oldestUnpublishedAgeSeconds: Math.max(0, Number(row?.oldest ?? 0)),
    importsCommitting: Number(row?.committing ?? 0),
  };
}
