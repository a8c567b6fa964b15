import { ForeignKeyConstraintViolationException } from '@mikro-orm/core';
import type { Em } from '../db/orm.ts';
import type { Logger } from '../lib/logger.ts';
import { randomUUID } from 'node:crypto';
import { executeHot } from '../db/bound-query.ts';
import { postWebhook, signPayload, type WebhookConnections, type WebhookResponse } from '../lib/webhook-http.ts';
import type { OutboundPolicy } from '../lib/outbound-url.ts';
import type { DeliveryAttempt, DeliveryStatus } from '../db/entities/index.ts';
import { eventColumns, rowToFeedEvent, type FeedEvent } from './event-feed.ts';
import { retryDelayMs, type RetryPolicy } from './outbox.ts';
import { graceSecret } from './webhook-secret-rotation.ts';
import { wantsEventSql } from './webhooks.ts';

/**
 * Webhook delivery. Each endpoint follows the feed: it keeps the position it
 * has been sent up to (`webhooks.cursor_position`). A worker on any instance
 * leases endpoints that are behind (`for update skip locked` and a lease
 * time), POSTs their next events outside any transaction, then in one
 * statement writes a delivery row per event with its first attempt and moves
 * the cursor on. A row is written once per delivered event, and the publisher
 * queues nothing: per event that is one insert, where a queue row per
 * endpoint × event cost an insert and two updates (claimed, recorded).
 *
 * A failed first attempt stays as a `pending` row: the retry queue, with
 * replays and manual retries. Workers claim due rows with `for update skip
 * locked` and a lease, send them, then record the attempt. Failures retry with
 * exponential back-off and jitter until `maxAgeMs` (24 h) after the event was
 * first attempted (or the row queued), then the row is `dead`.
 *
 * Endpoints are independent (webhook-worker.ts): each endpoint's share of a
 * pass (its page of the feed, or its due retries) is recorded as soon as its
 * own requests are answered, and the next pass leases other endpoints while a
 * slow one is still in flight (it stays leased, so nobody sends its page
 * twice), up to `maxEndpointsInFlight` per instance. One tenant's slow or
 * broken receiver holds up only its own deliveries.
 *
 * Delivery is at-least-once: a worker that dies after the POST but before
 * recording it lets its lease lapse, and the events after the cursor (or the
 * queued row) are sent again; receivers deduplicate by `X-Gatehouse-Event-Id`.
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
  /** Rows claimed from the retry queue per pass, and events sent per endpoint per pass. */
  batchSize: number;
  /** Endpoints one worker (instance) has requests in flight to, at most. */
  maxEndpointsInFlight: number;
  /** Keep-alive connections (the worker's); absent, each request opens its own connection. */
  connections?: WebhookConnections;
  random?: () => number;
}

export interface DeliveryPassReport {
  delivered: number;
  retried: number;
  dead: number;
}

export interface Claimed {
  id: string;
  webhookId: string;
  orgId: string;
  eventId: string;
  attempts: number;
  createdAt: Date;
  url: string;
  secret: string;
  /** A rolled secret still in its grace period: it signs too (webhook-secret-rotation.ts). */
  previousSecret: string | null;
  enabled: boolean;
  event: FeedEvent | null;
}

/**
 * One endpoint's share of a pass, sent and recorded on its own: its next page
 * of the feed (`cursor`: where the cursor moves once recorded, and the lease
 * it holds until then), or its due rows of the retry queue.
 */
export interface Unit {
  webhookId: string;
  /** The endpoint's org: a worker gives each org a share of its slots (webhook-worker.ts). */
  orgId: string;
  now: Date;
  rows: Claimed[];
  cursor?: { position: string; until: Date };
}

/**
 * One statement: the due rows nobody holds, of at most `endpoints` endpoints
 * not in `busy`, each counted and hidden for the lease, returned with their
 * endpoint and their event (null once pruned). Rows of further endpoints are
 * locked only while the statement runs, and stay due.
 */
export async function claim(em: Em, now: Date, deps: DeliveryDeps, busy: string[], endpoints: number, fullOrgs: string[] = []): Promise<Claimed[]> {
  // Prepared: it runs on every pass, mostly to find nothing, and planning it cost more than running it.
  const rows = await executeHot(em,
    `with due as (
       select id, webhook_id, next_attempt_at from webhook_deliveries
       where status = 'pending' and next_attempt_at <= ? and webhook_id not in (select value::uuid from jsonb_array_elements_text(?::jsonb))
         -- A disabled endpoint's deliveries wait, due, until it is enabled again (README: it gets the events published while enabled).
         and webhook_id in (select id from webhooks where enabled)
         and org_id not in (select value::uuid from jsonb_array_elements_text(?::jsonb))
       order by next_attempt_at, id limit ? for update skip locked
     ),
     picked as (
       select id from (
         select id, dense_rank() over (order by first_due, webhook_id) as endpoint
         from (select id, webhook_id, min(next_attempt_at) over (partition by webhook_id) as first_due from due) d
       ) ranked where endpoint <= ?
     ),
     claimed as (
       update webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = ?, updated_at = ?
       from picked where d.id = picked.id
       returning d.id as delivery_id, d.org_id as delivery_org_id, d.webhook_id, d.event_id as claimed_event_id, d.attempts, d.created_at as queued_at
     )
     select c.*, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at, w.enabled, ${eventColumns}
     from claimed c join webhooks w on w.id = c.webhook_id
       left join events e on e.id = c.claimed_event_id and e.position is not null
       left join organizations o on o.id = e.org_id`,
    [now, JSON.stringify(busy), JSON.stringify(fullOrgs), deps.batchSize, endpoints, new Date(now.getTime() + deps.claimTimeoutMs), now], { prepare: true });
  return rows.map((r) => ({
    id: String(r.delivery_id), webhookId: String(r.webhook_id), orgId: String(r.delivery_org_id), eventId: String(r.claimed_event_id), attempts: Number(r.attempts),
    createdAt: new Date(r.queued_at as string), url: String(r.url), secret: String(r.secret), previousSecret: graceSecret(r, now), enabled: Boolean(r.enabled),
    event: r.id === null || r.id === undefined ? null : rowToFeedEvent(r),
  }));
}

/** The body every endpoint receives: the event exactly as the feed shows it. */
export function webhookBody(event: FeedEvent): string {
  return JSON.stringify(event);
}

export interface Outcome {
  row: Claimed;
  status: DeliveryStatus;
  attempt: DeliveryAttempt;
  next: string | null;
}

/**
 * Sends one claimed delivery and decides what becomes of it; never throws.
 * The request gets the whole timeout from its own start (the README's "any
 * 2xx within 10 s"), however long the requests before it in the pass took.
 */
export async function attemptOne(deps: DeliveryDeps, row: Claimed, now: Date): Promise<Outcome> {
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
        'x-gatehouse-signature': signPayload(row.secret, body, unix, row.previousSecret),
      }, { ...deps.policy, timeoutMs: deps.timeoutMs, endpoint: row.webhookId, ...(deps.connections ? { connections: deps.connections } : {}) });
      if (response.status < 200 || response.status >= 300) error = `HTTP ${response.status}`;
    } catch (caught) {
      error = (caught as Error).message || String(caught);
    }
  }
  const attempt: DeliveryAttempt = { at: now.toISOString(), status: response?.status ?? null, error, body: response?.body ?? null, ms: Date.now() - started };
  if (!error) return { row, status: 'delivered', attempt, next: null };
  const log = deps.logger.child({ deliveryId: row.id, webhookId: row.webhookId, eventId: row.eventId, attempt: row.attempts });
  // Counted from the end of this attempt: a timeout (10 s) would otherwise use up the first step of the back-off.
  const next = new Date(now.getTime() + (Date.now() - started) + retryDelayMs(row.attempts, { ...deps.retry, maxAttempts: 0 }, deps.random));
  // Nothing to send (event pruned) or out of time: dead; a retry or replay can revive it. An endpoint disabled since
  // the claim is not a reason: the row waits for its next attempt, which claim() holds back until it is enabled again.
  if (!event || next.getTime() - row.createdAt.getTime() > deps.maxAgeMs) {
    log.warn({ error }, 'webhook delivery dead-lettered');
    return { row, status: 'dead', attempt, next: null };
  }
  log.info({ error, nextAttemptAt: next }, 'webhook delivery deferred');
  return { row, status: 'pending', attempt, next: next.toISOString() };
}

/**
 * A CTE that makes the statement's commit asynchronous (no wait for the WAL
 * flush, one fsync fewer per pass). Safe for the worker's bookkeeping only: a
 * commit lost in a database crash moves a cursor or a lease back, and the
 * events after it are sent again, which at-least-once delivery allows. The
 * statement must read the CTE for it to run.
 */
const ASYNC_COMMIT = `async_commit as (select set_config('synchronous_commit', 'off', true) as setting)`;

/** At most this many endpoints leased per pass, so one pass sends at most this × batchSize requests. */
export const ENDPOINTS_PER_PASS = 8;

/**
 * One statement: leases up to `endpoints` enabled endpoints, not in `busy`,
 * whose org has events after their cursor, and returns for each its next
 * events (up to batchSize) that pass its filter, with the position its cursor
 * moves to. Positions are assigned in commit order (event-feed.ts), so the
 * events up to the org's highest visible position are all visible: when fewer
 * than batchSize match, the cursor moves past every event scanned, the
 * filtered-out ones included.
 */
export async function leaseFeeds(em: Em, now: Date, deps: DeliveryDeps, busy: string[], endpoints: number, share: { fullOrgs: string[]; perOrg: number } = { fullOrgs: [], perOrg: endpoints }): Promise<Unit[]> {
  const until = new Date(now.getTime() + deps.claimTimeoutMs);
  const rows = await executeHot(em,
    `with ${ASYNC_COMMIT}, leased as (
       update webhooks w set cursor_leased_until = ?
       where w.id in (
         -- At most perOrg endpoints of one org, none of an org whose share is in flight: one tenant's
         -- endpoints (hung ones among them) never take every slot of the instance.
         select c.id from (
           select h.id, h.cursor_leased_until, row_number() over (partition by h.org_id order by h.cursor_leased_until nulls first, h.id) as nth
           from webhooks h
           where h.id in (
             select h2.id from webhooks h2
             -- A stalled endpoint (webhook-stalls.ts) was owed pruned events: following on would skip them.
             where h2.enabled and h2.stalled_reason is null and (h2.cursor_leased_until is null or h2.cursor_leased_until <= ?)
               and h2.id not in (select value::uuid from jsonb_array_elements_text(?::jsonb))
               and h2.org_id not in (select value::uuid from jsonb_array_elements_text(?::jsonb))
               and exists (select 1 from events x where x.org_id = h2.org_id and x.position > h2.cursor_position)
             for update skip locked)
         ) c where c.nth <= ? order by c.cursor_leased_until nulls first, c.id limit ?)
       returning w.id as webhook_id, w.org_id as hook_org_id, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at, w.event_types, w.cursor_position,
         (select max(x.position) from events x where x.org_id = w.org_id) as scan_to
     )
     select l.webhook_id, l.hook_org_id, l.url, l.secret, l.previous_secret, l.previous_secret_expires_at, l.cursor_position::text as cursor_position, l.scan_to::text as scan_to, ${eventColumns}
     from leased l cross join async_commit
       left join lateral (
         select * from events x where x.org_id = l.hook_org_id and x.position > l.cursor_position and x.position <= l.scan_to
           and ${wantsEventSql('l', 'x.type')}
         order by x.position limit ?) e on true
       left join organizations o on o.id = e.org_id
     order by l.webhook_id, e.position`,
    [until, now, JSON.stringify(busy), JSON.stringify(share.fullOrgs), share.perOrg, endpoints, deps.batchSize], { prepare: true });
  const units = new Map<string, Unit & { scanTo: string }>();
  for (const r of rows) {
    const webhookId = String(r.webhook_id);
    let unit = units.get(webhookId);
    if (!unit) {
      unit = { webhookId, orgId: String(r.hook_org_id), now, rows: [], scanTo: String(r.scan_to ?? r.cursor_position) };
      units.set(webhookId, unit);
    }
    if (r.id === null || r.id === undefined) continue;
    const event = rowToFeedEvent(r);
    // A v4 id like the rows replays and retries queue (gen_random_uuid), from node's cached entropy: no syscall per delivery.
    unit.rows.push({ id: randomUUID(), webhookId, orgId: String(r.hook_org_id), eventId: event.id, attempts: 1, createdAt: now,
      url: String(r.url), secret: String(r.secret), previousSecret: graceSecret(r, now), enabled: true, event });
  }
  return [...units.values()].map(({ scanTo, ...unit }) => {
    const last = unit.rows.at(-1)?.event?.position;
    return { ...unit, cursor: { position: unit.rows.length >= deps.batchSize && last ? last : scanTo, until } };
  });
}

/** An outcome as the record statement reads it (jsonb_to_recordset). */
function outcomeRow(o: Outcome, unit: Unit) {
  return {
    id: o.row.id, fresh: Boolean(unit.cursor), at: unit.now, org_id: o.row.orgId, webhook_id: o.row.webhookId, event_id: o.row.eventId,
    status: o.status, last_status: o.attempt.status, last_error: o.attempt.error?.slice(0, 1000) ?? null, attempt: o.attempt, next: o.next,
  };
}

/**
 * Every outcome of the given units in one statement: a page's first attempts
 * written as their delivery rows (delivered, pending for the retry queue, or
 * dead) and its cursor moved on and released; a retry's attempt appended to
 * its row's log and the row moved on. A cursor whose lease another worker has
 * taken over (this unit outlived it) is left to that worker. A unit whose
 * page holds an event pruned since its lease is left out, the rest recorded.
 */
export async function recordUnits(em: Em, done: Array<{ unit: Unit; outcomes: Outcome[] }>): Promise<void> {
  try {
    await writeUnits(em, done);
  } catch (error) {
    if (!(error instanceof ForeignKeyConstraintViolationException)) throw error;
    // A page holding an event the retention prune deleted since its lease (webhook-stalls.ts): that page is
    // not recorded (its endpoint stays behind the gap, stalled), and the other units of the statement are.
    const fresh = done.flatMap(({ unit, outcomes }) => (unit.cursor ? outcomes.map((o) => o.row.eventId) : []));
    const kept = new Set((await em.execute('select id from events where id = any(?::uuid[])', [`{${fresh.join(',')}}`])).map((r) => String(r.id)));
    const recordable = done.filter(({ unit, outcomes }) => !unit.cursor || outcomes.every((o) => kept.has(o.row.eventId)));
    if (recordable.length === done.length) throw error;
    if (recordable.length) await writeUnits(em, recordable);
  }
}

async function writeUnits(em: Em, done: Array<{ unit: Unit; outcomes: Outcome[] }>): Promise<void> {
  const rows = done.flatMap(({ unit, outcomes }) => outcomes.map((o) => outcomeRow(o, unit)));
  const cursors = done.flatMap(({ unit }) => (unit.cursor ? [{ id: unit.webhookId, position: unit.cursor.position, until: unit.cursor.until, at: unit.now }] : []));
  await executeHot(em,
    `with ${ASYNC_COMMIT}, x as (
       select * from jsonb_to_recordset(?::jsonb) as x(id uuid, fresh boolean, at timestamptz, org_id uuid, webhook_id uuid, event_id uuid,
         status text, last_status int, last_error text, attempt jsonb, next timestamptz)
     ), written as (
       insert into webhook_deliveries (id, created_at, updated_at, org_id, webhook_id, event_id, status, reason, attempts, next_attempt_at,
         delivered_at, dead_at, last_status, last_error, log)
       select x.id, x.at, x.at, x.org_id, x.webhook_id, x.event_id, x.status, 'publish', 1, coalesce(x.next, x.at),
         case when x.status = 'delivered' then x.at end, case when x.status = 'dead' then x.at end,
         x.last_status, x.last_error, jsonb_build_array(x.attempt)
       -- An endpoint deleted during the pass has no rows to keep (and would fail the foreign key).
       from x where x.fresh and exists (select 1 from webhooks h where h.id = x.webhook_id)
     ), retried as (
       update webhook_deliveries d set status = x.status, last_status = x.last_status, last_error = x.last_error,
         log = d.log || jsonb_build_array(x.attempt), updated_at = x.at,
         delivered_at = case when x.status = 'delivered' then x.at else d.delivered_at end,
         dead_at = case when x.status = 'dead' then x.at else d.dead_at end,
         next_attempt_at = coalesce(x.next, d.next_attempt_at)
       from x where not x.fresh and d.id = x.id
     )
     -- The insert and update run whether or not this part reads them (a data-modifying WITH always runs to completion).
     -- Released with the time of the pass, not null: the lease query serves the least recently served endpoints first.
     update webhooks w set cursor_position = c.position, cursor_leased_until = c.at
     from jsonb_to_recordset(?::jsonb) as c(id uuid, position bigint, until timestamptz, at timestamptz) cross join async_commit
     where w.id = c.id and w.cursor_leased_until = c.until`,
    [JSON.stringify(rows), JSON.stringify(cursors)], { prepare: true });
}
