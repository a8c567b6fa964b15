import { executeBound, type SqlRunner } from '../db/bound-query.ts';
import type { Backlog } from '../lib/metrics-backlog.ts';

/**
 * What the background work has left, for the operator's metrics (lib/metrics-backlog.ts): the
 * one read that spans every org, and returns counts only, never an org or a row. One statement,
 * each part answered from a partial index (webhook_deliveries_due_index and
 * webhook_deliveries_dead_index, events_unpublished_index), a small table (csv_imports: finished
 * imports are pruned; webhooks and event_feed_heads) or one index probe per endpoint (the first
 * event past its cursor, events_org_position_unique), so a scrape every few seconds costs next to
 * nothing however large the delivery log and the feed grow. How far an endpoint is behind is its
 * org's feed head less its cursor: every event past it, whether its filter wants it or not (the
 * worker moves the cursor past those too). The age is taken on the database's clock, as `occurred_at` was.
 */
export async function readBacklog(sql: SqlRunner): Promise<Backlog> {
  const [row] = await executeBound(sql, `with lag as (
      -- Enabled endpoints that are not stalled, each read once: how far behind its org's head, and its next event's age.
      select coalesce(sum(greatest(h.position - w.cursor_position, 0)), 0) as behind, max(extract(epoch from clock_timestamp() - n.occurred_at)) as unsent_age
      from webhooks w join event_feed_heads h on h.org_id = w.org_id
        left join lateral (select e.occurred_at from events e where e.org_id = w.org_id and e.position > w.cursor_position order by e.position limit 1) n on true
      where w.enabled and w.stalled_reason is null)
    select
      (select count(*) from webhook_deliveries where status = 'pending') as waiting,
      (select count(*) from webhook_deliveries where status = 'dead') as dead,
      (select count(*) from events where position is null) as unpublished,
      (select extract(epoch from clock_timestamp() - occurred_at) from events where position is null order by seq limit 1) as oldest,
      (select count(*) from csv_imports where status = 'committing') as committing,
      lag.behind, lag.unsent_age,
      (select count(*) from webhooks where enabled and stalled_reason is not null) as stalled
    from lag`, []);
  return {
    webhookDeliveriesWaiting: Number(row?.waiting ?? 0),
    webhookDeliveriesDead: Number(row?.dead ?? 0),
    eventsUnpublished: Number(row?.unpublished ?? 0),
    // A clock step between the write and now must not read as a negative age.
    oldestUnpublishedAgeSeconds: Math.max(0, Number(row?.oldest ?? 0)),
    importsCommitting: Number(row?.committing ?? 0),
    webhookEventsBehind: Number(row?.behind ?? 0),
    oldestUnsentAgeSeconds: Math.max(0, Number(row?.unsent_age ?? 0)),
    webhookEndpointsStalled: Number(row?.stalled ?? 0),
  };
}
