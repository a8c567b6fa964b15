import type { Em } from '../db/orm.ts';
import { recordAuditSql, systemAuditSql } from './audit.ts';
import { checkCursor, FEED_BOUNDS, FEED_BOUNDS_COLUMNS } from './event-feed.ts';
import { TransitionError } from './errors.ts';
import { getWebhook, wantsEventSql, type WebhookRecord } from './webhooks.ts';
import type { Scope } from './scope.ts';

/**
 * Stalled endpoints. A webhook endpoint follows its org's feed from a cursor
 * (webhook-deliveries.ts); when the retention prune deletes events after that
 * cursor which the endpoint was owed (its receiver down, or too slow, for
 * longer than the retention), moving on from the next retained event would
 * skip them silently — where the feed answers such a cursor 410
 * cursor_expired. So the prune stalls the endpoint instead
 * (`stalled_reason = 'cursor_expired'`, when, and the first position it
 * missed), in the statement that deletes (event-retention.ts), with one audit
 * event by the system. The delivery worker leases no stalled endpoint: it is
 * sent nothing until an admin resumes it (below), or disables and enables it
 * again — an enabled endpoint starts at the newest event (webhooks.ts), which
 * ends the stall. Its retries, replays and manual retries are sent as before.
 *
 * Why the prune and not the lease: the prune knows what it deletes, so it
 * stalls only endpoints owed one of those events by their filter, and the
 * hot lease statement only skips stalled endpoints (a column of the row it
 * reads). It covers every case: an endpoint disabled when its events are
 * pruned is not stalled, and needs not be, since enabling it moves its cursor
 * to the newest event. The delete and the stall commit together, so a lease
 * either read the events before they went (and sends them) or sees the stall.
 * A worker that records a page while the prune runs holds the endpoint's row:
 * the prune waits for it and judges the cursor that page left (READ
 * COMMITTED re-checks the updated row), so an endpoint whose recorded page
 * passed every pruned event it was owed is not stalled. A page that holds a
 * deleted event cannot be recorded (its delivery rows would name an event
 * that is gone; at worst the two statements deadlock and PostgreSQL ends
 * one): recordUnits leaves it out and records the other pages of its
 * statement; its cursor stays behind the gap, and the endpoint is stalled,
 * though the receiver may have had those events — as after any unrecorded page.
 */

const WANTS = (type: string) => wantsEventSql('w', type);

/**
 * SQL: the CTEs that stall and audit the endpoints owed a deleted event, for
 * the prune's statement. Reads its CTEs `gone (org_id, position, type)` (the
 * events deleted) and `marked (org_id, position)` (each org's newest pruned
 * position); binds one `?`, the time of the stall. An endpoint is owed an
 * event after its cursor that passes its filter; a stalled or disabled one is
 * left as it is, so none is marked or audited twice. The endpoints are judged
 * against each org's deleted types (a few rows), not each deleted event: the
 * first missing position is looked up only for the few that stall.
 */
export const STALL_ENDPOINTS_OWED_GONE = `gone_types as (select org_id, type, max(position) as last from gone group by org_id, type),
  owed as (
    select distinct w.id from webhooks w join gone_types t on t.org_id = w.org_id and t.last > w.cursor_position and ${WANTS('t.type')}
    where w.enabled and w.stalled_reason is null
  ),
  stalled as (
    update webhooks w set stalled_reason = 'cursor_expired', stalled_at = ?,
      stalled_from = (select min(g.position) from gone g where g.org_id = w.org_id and g.position > w.cursor_position and ${WANTS('g.type')})
    -- Judged again on the row as it is once locked: a page recorded meanwhile may have moved the cursor past the gap.
    where w.id in (select id from owed) and w.enabled and w.stalled_reason is null
      and exists (select 1 from gone_types t where t.org_id = w.org_id and t.last > w.cursor_position and ${WANTS('t.type')})
    returning w.id, w.org_id, w.url, w.cursor_position, w.stalled_from
  ),
  -- Each org's oldest retained event (one index probe). The statement still sees the rows it deletes:
  -- none is above the newest pruned position.
  retained as (
    select m.org_id, (select min(e.position) from events e where e.org_id = m.org_id and e.position > m.position) as oldest from marked m
  ),
  stall_audits as (
    ${systemAuditSql({
      action: 'webhook.stalled', targetType: 'webhook', orgId: 's.org_id', targetId: 's.id::text', targetLabel: 's.url',
      details: `jsonb_build_object('reason', 'cursor_expired', 'cursor', s.cursor_position::text, 'firstMissingPosition', s.stalled_from::text,
        'oldestPosition', r.oldest::text)`,
    }, 'stalled s join retained r on r.org_id = s.org_id')}
  )`;

/**
 * An admin resumes a stalled endpoint: its cursor moves to `from` (a feed
 * cursor, checked as the feed checks `after`: past the end 400, pruned 410),
 * or without it to the oldest retained event it can go on from, and the
 * worker follows it from there. Audited with the stall it ends. A running
 * endpoint has nothing to resume (replay sends events again); a disabled
 * one is enabled instead, which starts it at the newest event.
 */
export async function resumeWebhook(em: Em, scope: Scope, id: string, from: string | undefined): Promise<WebhookRecord> {
  const current = await getWebhook(em, scope, id);
  if (!current.stalled) throw notStalled();
  if (!current.enabled) {
    throw new TransitionError('The endpoint is disabled: enabling it starts it at the newest event, which ends the stall; replay then sends the retained events', { reason: 'endpoint_disabled' });
  }
  const stall = current.stalled;
  return em.transactional(async (tx) => {
    // One statement: the bounds the cursor is checked against are those the cursor is set within.
    const rows = await tx.execute(
      `with ${FEED_BOUNDS},
       resumed as (
         -- The lease released: a page recorded late (from before the stall) must not move the cursor back.
         update webhooks w set cursor_position = coalesce(?::bigint, b.pruned), cursor_leased_until = null,
           stalled_reason = null, stalled_at = null, stalled_from = null
         from b where w.id = ? and w.org_id = b.org_id and w.enabled and w.stalled_reason is not null
           and coalesce(?::bigint, b.pruned) between b.pruned and b.head
         returning w.id
       )
       select ${FEED_BOUNDS_COLUMNS}, (select count(*) from resumed)::int as resumed from b`,
      [scope.orgId, from ?? null, id, from ?? null],
    );
    const start = checkCursor(from, rows[0], 'from', 'resume');
    if (!rows[0]?.resumed) throw notStalled(); // enabled again, or resumed, since it was read
    await recordAuditSql(tx, scope, {
      action: 'webhook.resumed',
      target: { type: 'webhook', id, label: current.url },
      details: { from: start, stalled: { reason: stall.reason, cursor: stall.cursor, firstMissingPosition: stall.firstMissingPosition } },
    });
    return getWebhook(tx, scope, id);
  });
}

function notStalled(): TransitionError {
  return new TransitionError('The endpoint is not stalled: it is following the feed (replay sends events again)', { reason: 'not_stalled' });
}
