import type { Em } from '../db/orm.ts';
import { STALL_ENDPOINTS_OWED_GONE } from './webhook-stalls.ts';

/** Arbitrary, fixed key of the retention prune's advisory lock: one instance prunes at a time. */
const PRUNE_LOCK = 0x6761_7465_0002n;

/**
 * Retention: published events older than `retentionDays` go, with their
 * deliveries (cascade). Unpublished ones are never pruned (they are at most a
 * moment old). Batched so a large backlog never holds one long lock. Each
 * org's numbering goes on from its head, whatever is pruned.
 *
 * Each batch records, in its statement, the newest position it deleted per
 * org (`event_feed_pruned`), so the feed refuses a cursor below it (410)
 * rather than skipping what was deleted. Events go by age, and an event that
 * committed late (a long transaction) is numbered after younger ones: once
 * it is pruned, a younger one below it is no longer handed out either
 * (checkCursor) — at most as early as that transaction was long.
 *
 * The same statement stalls every enabled webhook endpoint that was owed one
 * of the deleted events (webhook-stalls.ts), so no delivery pass moves it on
 * past them: the delete and the stall commit together, and a pass either saw
 * the events (and sends them) or sees the stall.
 */
export async function pruneEvents(em: Em, now: Date, retentionDays: number, batchSize = 5000): Promise<{ pruned: number }> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  let pruned = 0;
  for (;;) {
    const count = await em.transactional(async (tx) => {
      const lock = await tx.execute('select pg_try_advisory_xact_lock(?) as locked', [PRUNE_LOCK.toString()]);
      if (!lock[0]?.locked) return -1; // another instance is pruning
      const rows = await tx.execute(
        `with gone as (
           delete from events where id in (
             select id from events where occurred_at < ? and position is not null
             order by occurred_at limit ?) returning org_id, position, type
         ),
         marked as (
           insert into event_feed_pruned as p (org_id, position)
           select org_id, max(position) from gone group by org_id
           on conflict (org_id) do update set position = greatest(p.position, excluded.position)
           returning p.org_id, p.position
         ),
         ${STALL_ENDPOINTS_OWED_GONE}
         select count(*)::int as pruned from gone`,
        [cutoff, batchSize, now],
      );
      return Number(rows[0]?.pruned ?? 0);
    });
    if (count < 0) return { pruned };
    pruned += count;
    if (count < batchSize) return { pruned };
  }
}
