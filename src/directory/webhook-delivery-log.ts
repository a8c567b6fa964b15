import type { Em } from '../db/orm.ts';
import type { DeliveryAttempt, DeliveryStatus } from '../db/entities/index.ts';
import { jsonbValue } from '../db/jsonb.ts';
import { isUuid } from '../lib/ids.ts';
import { recordAuditSql } from './audit.ts';
import { NotFoundError, TransitionError, ValidationError } from './errors.ts';
import { getWebhook } from './webhooks.ts';
import { checkCursor, FEED_BOUNDS, FEED_BOUNDS_COLUMNS } from './event-feed.ts';
import type { Scope } from './scope.ts';

/**
 * The delivery log as an admin reads and acts on it: each endpoint's
 * deliveries newest first with every attempt, a manual retry (a new delivery
 * of the same event) and replay from a feed cursor. Both actions only queue
 * rows; the worker (webhook-deliveries.ts) sends them.
 */

export interface DeliveryView {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  eventPosition: string | null;
  status: DeliveryStatus;
  reason: string;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  deadAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  log: DeliveryAttempt[];
}

const iso = (value: unknown): string | null => (value ? new Date(value as string).toISOString() : null);

function toView(r: Record<string, unknown>): DeliveryView {
  const log = jsonbValue<DeliveryAttempt[]>(r.log, []);
  return {
    id: String(r.id), webhookId: String(r.webhook_id), eventId: String(r.event_id), eventType: String(r.type),
    eventPosition: r.position === null || r.position === undefined ? null : String(r.position),
    status: r.status as DeliveryStatus, reason: String(r.reason), attempts: Number(r.attempts), createdAt: iso(r.created_at)!,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null, deliveredAt: iso(r.delivered_at), deadAt: iso(r.dead_at),
    lastStatus: r.last_status === null || r.last_status === undefined ? null : Number(r.last_status), lastError: (r.last_error as string | null) ?? null,
    log,
  };
}

const viewColumns = `d.id, d.webhook_id, d.event_id, e.type, e.position::text as position, d.status, d.reason, d.attempts, d.created_at, d.next_attempt_at,
  d.delivered_at, d.dead_at, d.last_status, d.last_error, d.log`;

/** An event's feed position as a sort key (0 before it is published: none of its deliveries exist then). */
const positionKey = (events: string) => `coalesce(${events}.position, 0)`;

/**
 * Newest first; `before` (a delivery id) pages back. The deliveries of one pass are queued at one instant:
 * among them, the newest event first (not in the order of their random ids).
 */
export async function listDeliveries(em: Em, scope: Pick<Scope, 'orgId'>, webhookId: string, options: { status?: DeliveryStatus | undefined; limit: number; before?: string | undefined }): Promise<DeliveryView[]> {
  await getWebhook(em, scope, webhookId);
  const where = ['d.org_id = ?', 'd.webhook_id = ?'];
  const params: unknown[] = [scope.orgId, webhookId];
  if (options.status) {
    where.push('d.status = ?');
    params.push(options.status);
  }
  if (options.before !== undefined) {
    // A page starts after a delivery of this endpoint; anything else is a mistake to name, not an empty page or the first one.
    const known = isUuid(options.before)
      && (await em.execute('select 1 from webhook_deliveries where id = ? and org_id = ? and webhook_id = ?', [options.before, scope.orgId, webhookId])).length > 0;
    if (!known) throw ValidationError.field('before', 'must be the id of a delivery of this endpoint (the last one of the previous page)');
    where.push(`(d.created_at, ${positionKey('e')}, d.id) < (select b.created_at, ${positionKey('be')}, b.id from webhook_deliveries b join events be on be.id = b.event_id where b.id = ?)`);
    params.push(options.before);
  }
  const rows = await em.execute(
    `select ${viewColumns} from webhook_deliveries d join events e on e.id = d.event_id where ${where.join(' and ')} order by d.created_at desc, ${positionKey('e')} desc, d.id desc limit ?`,
    [...params, options.limit],
  );
  return rows.map(toView);
}

async function getDelivery(em: Em, scope: Pick<Scope, 'orgId'>, webhookId: string, id: string): Promise<DeliveryView> {
  const rows = isUuid(id)
    ? await em.execute(`select ${viewColumns} from webhook_deliveries d join events e on e.id = d.event_id where d.org_id = ? and d.webhook_id = ? and d.id = ?`, [scope.orgId, webhookId, id])
    : [];
  if (!rows[0]) throw new NotFoundError('Delivery', id);
  return toView(rows[0]);
}

/** A manual retry: a new delivery of the same event, due now (the old row keeps its history). */
export async function retryDelivery(em: Em, scope: Scope, webhookId: string, deliveryId: string, now: Date): Promise<DeliveryView> {
  const webhook = await getWebhook(em, scope, webhookId);
  const old = await getDelivery(em, scope, webhookId, deliveryId);
  refuseDisabled(webhook, 'retry');
  return em.transactional(async (tx) => {
    const rows = await tx.execute(
      `insert into webhook_deliveries (id, created_at, updated_at, org_id, webhook_id, event_id, status, reason, attempts, next_attempt_at, log)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, 'pending', 'retry', 0, ?, '[]'::jsonb) returning id`,
      [now, now, scope.orgId, webhookId, old.eventId, now],
    );
    const id = String(rows[0]!.id);
    await recordAudit(tx, scope, 'webhook.delivery_retried', webhook.id, webhook.url, { deliveryId: old.id, newDeliveryId: id, eventId: old.eventId });
    return getDelivery(tx, scope, webhookId, id);
  });
}

/**
 * Replay: queues again, for this endpoint, every retained event of the org
 * after cursor `from` (none: every retained event) that passes the endpoint's
 * filter, in position order (at most `limit`; replay again from the last
 * position to continue). `from` is checked as the feed checks `after`, in the
 * same statement (event-feed.ts checkCursor): past the end of the feed it is
 * 400 — replaying "after" it would queue nothing and answer as if the endpoint
 * had missed nothing — and older than the retention 410, nothing queued.
 */
export async function replayEvents(em: Em, scope: Scope, webhookId: string, from: string | undefined, limit: number, now: Date): Promise<{ queued: number; lastPosition: string | null }> {
  const webhook = await getWebhook(em, scope, webhookId);
  refuseDisabled(webhook, 'replay');
  const types = JSON.stringify(webhook.eventTypes);
  return em.transactional(async (tx) => {
    const rows = await tx.execute(
      `with ${FEED_BOUNDS},
       picked as (
         select e.id, e.position from events e, b where e.org_id = b.org_id and e.position > greatest(?::bigint, b.pruned)
           and (jsonb_array_length(?::jsonb) = 0 or ?::jsonb @> jsonb_build_array(e.type))
         order by e.position limit ?
       ), queued as (
         insert into webhook_deliveries (id, created_at, updated_at, org_id, webhook_id, event_id, status, reason, attempts, next_attempt_at, log)
         select gen_random_uuid(), ?, ?, b.org_id, ?, p.id, 'pending', 'replay', 0, ?, '[]'::jsonb from picked p, b
         where coalesce(?::bigint, b.pruned) between b.pruned and b.head
         returning 1
       )
       select ${FEED_BOUNDS_COLUMNS}, (select count(*) from queued)::int as queued, (select max(position)::text from picked) as last from b`,
      [scope.orgId, from ?? '0', types, types, limit, now, now, webhookId, now, from ?? null],
    );
    // Throws (rolling back, though a refused cursor queued nothing) naming `from`.
    const start = checkCursor(from, rows[0], 'from');
    const queued = Number(rows[0]?.queued ?? 0);
    const lastPosition = (rows[0]?.last as string | null) ?? null;
    await recordAudit(tx, scope, 'webhook.replayed', webhook.id, webhook.url, { from: start, queued, lastPosition });
    return { queued, lastPosition };
  });
}

/**
 * A disabled endpoint is sent nothing (its queued deliveries wait until it is enabled again), so a
 * replay or retry asked of it would do nothing now, though it answered as done: refused, saying to
 * enable it first.
 */
function refuseDisabled(webhook: { enabled: boolean }, what: 'replay' | 'retry'): void {
  if (!webhook.enabled) throw new TransitionError(`The endpoint is disabled: enable it, then ${what}`, { reason: 'endpoint_disabled' });
}

function recordAudit(tx: Em, scope: Scope, action: string, id: string, label: string, details: Record<string, unknown>): Promise<void> {
  return recordAuditSql(tx, scope, { action, target: { type: 'webhook', id, label }, details });
}
