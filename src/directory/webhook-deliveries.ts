import type { Em } from '../db/orm.ts';
import type { Logger } from '../lib/logger.ts';
import { isUuid } from '../lib/ids.ts';
import { postWebhook, signPayload, type WebhookAgents, type WebhookResponse } from '../lib/webhook-http.ts';
import type { OutboundPolicy } from '../lib/outbound-url.ts';
import type { DeliveryAttempt, DeliveryStatus } from '../db/entities/index.ts';
import { recordAuditSql } from './audit.ts';
import { NotFoundError } from './errors.ts';
import { eventColumns, rowToFeedEvent, type FeedEvent } from './event-feed.ts';
import { retryDelayMs, type RetryPolicy } from './outbox.ts';
import { getWebhook } from './webhooks.ts';
import type { Scope } from './scope.ts';
import { jsonbValue } from '../db/jsonb.ts';

/**
 * The webhook delivery queue: one row per endpoint × event, created when the
 * event is published (directory/event-feed.ts), by a replay or a manual retry.
 * Workers on any instance claim due rows with `for update skip locked` and a
 * lease, POST them outside any transaction, then record the attempt. Delivery
 * is at-least-once (a worker that dies after the POST but before recording it
 * lets the lease lapse and the row is sent again): receivers deduplicate by
 * `X-Gatehouse-Event-Id`. Failures retry with exponential back-off and jitter
 * until `maxAgeMs` (24 h) after the row was queued, then the row is `dead`.
 */

export interface DeliveryDeps {
  fork(): Em;
  logger: Logger;
  policy: OutboundPolicy;
  timeoutMs: number;
  retry: Omit<RetryPolicy, 'maxAttempts'>;
  /** Give up (status `dead`) when the next attempt would be later than this after queueing. */
  maxAgeMs: number;
  claimTimeoutMs: number;
  batchSize: number;
  /** Keep-alive connection pools (the worker's); absent, each request opens its own connection. */
  agents?: WebhookAgents;
  random?: () => number;
}

export interface DeliveryPassReport {
  delivered: number;
  retried: number;
  dead: number;
}

interface Claimed {
  id: string;
  webhookId: string;
  eventId: string;
  attempts: number;
  createdAt: Date;
  url: string;
  secret: string;
  enabled: boolean;
  event: FeedEvent | null;
}

/**
 * One statement: the due rows nobody holds, each counted and hidden for the
 * lease, returned with their endpoint and their event (null once pruned).
 */
async function claim(em: Em, now: Date, deps: DeliveryDeps): Promise<Claimed[]> {
  const rows = await em.execute(
    `with due as (
       select id from webhook_deliveries where status = 'pending' and next_attempt_at <= ?
       order by next_attempt_at, id limit ? for update skip locked
     ),
     claimed as (
       update webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = ?, updated_at = ?
       from due where d.id = due.id
       returning d.id as delivery_id, d.webhook_id, d.event_id as claimed_event_id, d.attempts, d.created_at as queued_at
     )
     select c.*, w.url, w.secret, w.enabled, ${eventColumns}
     from claimed c join webhooks w on w.id = c.webhook_id
       left join events e on e.id = c.claimed_event_id and e.position is not null
       left join organizations o on o.id = e.org_id`,
    [now, deps.batchSize, new Date(now.getTime() + deps.claimTimeoutMs), now],
  );
  return rows.map((r) => ({
    id: String(r.delivery_id), webhookId: String(r.webhook_id), eventId: String(r.claimed_event_id), attempts: Number(r.attempts),
    createdAt: new Date(r.queued_at as string), url: String(r.url), secret: String(r.secret), enabled: Boolean(r.enabled),
    event: r.id === null || r.id === undefined ? null : rowToFeedEvent(r),
  }));
}

/** The body every endpoint receives: the event exactly as the feed shows it. */
export function webhookBody(event: FeedEvent): string {
  return JSON.stringify(event);
}

interface Outcome {
  id: string;
  status: DeliveryStatus;
  attempt: DeliveryAttempt;
  next: string | null;
}

/** Every outcome of a pass in one statement: the attempt appended to the log, the row moved on. */
async function recordAll(em: Em, outcomes: Outcome[], now: Date): Promise<void> {
  if (!outcomes.length) return;
  const rows = outcomes.map((o) => ({ id: o.id, status: o.status, last_status: o.attempt.status, last_error: o.attempt.error?.slice(0, 1000) ?? null, attempt: o.attempt, next: o.next }));
  await em.execute(
    `update webhook_deliveries d set status = x.status, last_status = x.last_status, last_error = x.last_error,
       log = d.log || jsonb_build_array(x.attempt), updated_at = ?,
       delivered_at = case when x.status = 'delivered' then ?::timestamptz else d.delivered_at end,
       dead_at = case when x.status = 'dead' then ?::timestamptz else d.dead_at end,
       next_attempt_at = coalesce(x.next, d.next_attempt_at)
     from jsonb_to_recordset(?::jsonb) as x(id uuid, status text, last_status int, last_error text, attempt jsonb, next timestamptz)
     where d.id = x.id`,
    [now, now, now, JSON.stringify(rows)],
  );
}

/** Sends one claimed delivery and decides what becomes of it; never throws. */
async function attemptOne(deps: DeliveryDeps, row: Claimed, now: Date): Promise<Outcome> {
  const started = Date.now();
  const event = row.event;
  let response: WebhookResponse | undefined;
  let error: string | null = null;
  if (!event) error = 'the event is no longer retained';
  else if (!row.enabled) error = 'the endpoint is disabled';
  else {
    const body = webhookBody(event);
    const unix = Math.floor(now.getTime() / 1000);
    try {
      response = await postWebhook(row.url, body, {
        'x-gatehouse-event-id': event.id,
        'x-gatehouse-event-type': event.type,
        'x-gatehouse-delivery-id': row.id,
        'x-gatehouse-signature': signPayload(row.secret, body, unix),
      }, { ...deps.policy, timeoutMs: deps.timeoutMs, ...(deps.agents ? { agents: deps.agents } : {}) });
      if (response.status < 200 || response.status >= 300) error = `HTTP ${response.status}`;
    } catch (caught) {
      error = (caught as Error).message || String(caught);
    }
  }
  const attempt: DeliveryAttempt = { at: now.toISOString(), status: response?.status ?? null, error, body: response?.body ?? null, ms: Date.now() - started };
  if (!error) return { id: row.id, status: 'delivered', attempt, next: null };
  const log = deps.logger.child({ deliveryId: row.id, webhookId: row.webhookId, eventId: row.eventId, attempt: row.attempts });
  const next = new Date(now.getTime() + retryDelayMs(row.attempts, { ...deps.retry, maxAttempts: 0 }, deps.random));
  // Nothing to send (event pruned, endpoint disabled) or out of time: dead; a retry or replay can revive it.
  if (!event || !row.enabled || next.getTime() - row.createdAt.getTime() > deps.maxAgeMs) {
    log.warn({ error }, 'webhook delivery dead-lettered');
    return { id: row.id, status: 'dead', attempt, next: null };
  }
  log.info({ error, nextAttemptAt: next }, 'webhook delivery deferred');
  return { id: row.id, status: 'pending', attempt, next: next.toISOString() };
}

/**
 * Claims the deliveries due at `now` (one batch), sends them concurrently,
 * then records every outcome in one statement (two statements per batch, not
 * per delivery: the queue must keep up with SCIM write rates). A pass takes
 * at most the request timeout; the claim lease is longer.
 */
export async function deliverDueWebhooks(deps: DeliveryDeps, now: Date): Promise<DeliveryPassReport> {
  const report: DeliveryPassReport = { delivered: 0, retried: 0, dead: 0 };
  const em = deps.fork();
  const rows = await claim(em, now, deps);
  const outcomes = await Promise.all(rows.map((row) => attemptOne(deps, row, now)));
  await recordAll(em, outcomes, now);
  for (const o of outcomes) report[o.status === 'delivered' ? 'delivered' : o.status === 'dead' ? 'dead' : 'retried']++;
  return report;
}

// ---------------------------------------------------------------- admin views and actions

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

/** Newest first; `before` (a delivery id) pages back. */
export async function listDeliveries(em: Em, scope: Pick<Scope, 'orgId'>, webhookId: string, options: { status?: DeliveryStatus | undefined; limit: number; before?: string | undefined }): Promise<DeliveryView[]> {
  await getWebhook(em, scope, webhookId);
  const where = ['d.org_id = ?', 'd.webhook_id = ?'];
  const params: unknown[] = [scope.orgId, webhookId];
  if (options.status) {
    where.push('d.status = ?');
    params.push(options.status);
  }
  if (options.before && isUuid(options.before)) {
    where.push('(d.created_at, d.id) < (select created_at, id from webhook_deliveries where id = ? and org_id = ?)');
    params.push(options.before, scope.orgId);
  }
  const rows = await em.execute(
    `select ${viewColumns} from webhook_deliveries d join events e on e.id = d.event_id where ${where.join(' and ')} order by d.created_at desc, d.id desc limit ?`,
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
 * after cursor `from` that passes the endpoint's filter, in position order
 * (at most `limit`; replay again from the last position to continue).
 */
export async function replayEvents(em: Em, scope: Scope, webhookId: string, from: string, limit: number, now: Date): Promise<{ queued: number; lastPosition: string | null }> {
  const webhook = await getWebhook(em, scope, webhookId);
  return em.transactional(async (tx) => {
    const rows = await tx.execute(
      `with picked as (
         select e.id, e.position from events e where e.org_id = ? and e.position > ?
           and (jsonb_array_length(?::jsonb) = 0 or ?::jsonb @> jsonb_build_array(e.type))
         order by e.position limit ?
       ), queued as (
         insert into webhook_deliveries (id, created_at, updated_at, org_id, webhook_id, event_id, status, reason, attempts, next_attempt_at, log)
         select gen_random_uuid(), ?, ?, ?, ?, p.id, 'pending', 'replay', 0, ?, '[]'::jsonb from picked p returning 1
       )
       select (select count(*) from queued)::int as queued, (select max(position)::text from picked) as last`,
      [scope.orgId, from, JSON.stringify(webhook.eventTypes), JSON.stringify(webhook.eventTypes), limit, now, now, scope.orgId, webhookId, now],
    );
    const queued = Number(rows[0]?.queued ?? 0);
    const lastPosition = (rows[0]?.last as string | null) ?? null;
    await recordAudit(tx, scope, 'webhook.replayed', webhook.id, webhook.url, { from, queued, lastPosition });
    return { queued, lastPosition };
  });
}

function recordAudit(tx: Em, scope: Scope, action: string, id: string, label: string, details: Record<string, unknown>): Promise<void> {
  return recordAuditSql(tx, scope, { action, target: { type: 'webhook', id, label }, details });
}
