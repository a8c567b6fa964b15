import type { Em } from '../db/orm.ts';
import type { Logger } from '../lib/logger.ts';
import { randomUUID } from 'node:crypto';
import { executeHot } from '../db/bound-query.ts';
import { CONNECTIONS_PER_ENDPOINT, postWebhook, signPayload, type WebhookConnections, type WebhookResponse } from '../lib/webhook-http.ts';
import type { OutboundPolicy } from '../lib/outbound-url.ts';
import type { DeliveryAttempt, DeliveryStatus } from '../db/entities/index.ts';
import { eventColumns, rowToFeedEvent, type FeedEvent } from './event-feed.ts';
import { retryDelayMs, type RetryPolicy } from './outbox.ts';

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
  /** Keep-alive connections (the worker's); absent, each request opens its own connection. */
  connections?: WebhookConnections;
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
  orgId: string;
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
  // Prepared: it runs on every pass, mostly to find nothing, and planning it cost more than running it.
  const rows = await executeHot(em,
    `with due as (
       select id from webhook_deliveries where status = 'pending' and next_attempt_at <= ?
       order by next_attempt_at, id limit ? for update skip locked
     ),
     claimed as (
       update webhook_deliveries d set attempts = d.attempts + 1, next_attempt_at = ?, updated_at = ?
       from due where d.id = due.id
       returning d.id as delivery_id, d.org_id as delivery_org_id, d.webhook_id, d.event_id as claimed_event_id, d.attempts, d.created_at as queued_at
     )
     select c.*, w.url, w.secret, w.enabled, ${eventColumns}
     from claimed c join webhooks w on w.id = c.webhook_id
       left join events e on e.id = c.claimed_event_id and e.position is not null
       left join organizations o on o.id = e.org_id`,
    [now, deps.batchSize, new Date(now.getTime() + deps.claimTimeoutMs), now], { prepare: true });
  return rows.map((r) => ({
    id: String(r.delivery_id), webhookId: String(r.webhook_id), orgId: String(r.delivery_org_id), eventId: String(r.claimed_event_id), attempts: Number(r.attempts),
    createdAt: new Date(r.queued_at as string), url: String(r.url), secret: String(r.secret), enabled: Boolean(r.enabled),
    event: r.id === null || r.id === undefined ? null : rowToFeedEvent(r),
  }));
}

/** The body every endpoint receives: the event exactly as the feed shows it. */
export function webhookBody(event: FeedEvent): string {
  return JSON.stringify(event);
}

interface Outcome {
  row: Claimed;
  status: DeliveryStatus;
  attempt: DeliveryAttempt;
  next: string | null;
}

/** An outcome as the record statements read it (jsonb_to_recordset). */
function outcomeRow(o: Outcome) {
  return { id: o.row.id, status: o.status, last_status: o.attempt.status, last_error: o.attempt.error?.slice(0, 1000) ?? null, attempt: o.attempt, next: o.next };
}

/** Every outcome of a pass in one statement: the attempt appended to the log, the row moved on. */
async function recordAll(em: Em, outcomes: Outcome[], now: Date): Promise<void> {
  if (!outcomes.length) return;
  const rows = outcomes.map(outcomeRow);
  await executeHot(em,
    `update webhook_deliveries d set status = x.status, last_status = x.last_status, last_error = x.last_error,
       log = d.log || jsonb_build_array(x.attempt), updated_at = ?,
       delivered_at = case when x.status = 'delivered' then ?::timestamptz else d.delivered_at end,
       dead_at = case when x.status = 'dead' then ?::timestamptz else d.dead_at end,
       next_attempt_at = coalesce(x.next, d.next_attempt_at)
     from jsonb_to_recordset(?::jsonb) as x(id uuid, status text, last_status int, last_error text, attempt jsonb, next timestamptz)
     where d.id = x.id`,
    [now, now, now, JSON.stringify(rows)], { prepare: true });
}

/**
 * Sends one claimed delivery and decides what becomes of it; never throws.
 * The request gets the whole timeout from its own start (the README's "any
 * 2xx within 10 s"), however long the requests before it in the pass took.
 */
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
      }, { ...deps.policy, timeoutMs: deps.timeoutMs, endpoint: row.webhookId, ...(deps.connections ? { connections: deps.connections } : {}) });
      if (response.status < 200 || response.status >= 300) error = `HTTP ${response.status}`;
    } catch (caught) {
      error = (caught as Error).message || String(caught);
    }
  }
  const attempt: DeliveryAttempt = { at: now.toISOString(), status: response?.status ?? null, error, body: response?.body ?? null, ms: Date.now() - started };
  if (!error) return { row, status: 'delivered', attempt, next: null };
  const log = deps.logger.child({ deliveryId: row.id, webhookId: row.webhookId, eventId: row.eventId, attempt: row.attempts });
  const next = new Date(now.getTime() + retryDelayMs(row.attempts, { ...deps.retry, maxAttempts: 0 }, deps.random));
  // Nothing to send (event pruned, endpoint disabled) or out of time: dead; a retry or replay can revive it.
  if (!event || !row.enabled || next.getTime() - row.createdAt.getTime() > deps.maxAgeMs) {
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

interface Lease {
  until: Date;
  /** Per leased endpoint, where its cursor moves once this pass is recorded. */
  cursors: Array<{ id: string; position: string }>;
  events: Claimed[];
}

/** At most this many endpoints per pass, so one pass sends at most this × batchSize requests. */
const ENDPOINTS_PER_PASS = 8;

/**
 * One statement: leases the enabled endpoints whose org has events after their
 * cursor, and returns for each its next events (up to batchSize) that pass its
 * filter, with the position its cursor moves to; not the `busy` ones (this
 * pass sends their retries). Positions are assigned in
 * commit order (event-feed.ts), so the events up to the org's highest visible
 * position are all visible: when fewer than batchSize match, the cursor moves
 * past every event scanned, the filtered-out ones included.
 */
async function leaseFeeds(em: Em, now: Date, deps: DeliveryDeps, busy: string[]): Promise<Lease> {
  const until = new Date(now.getTime() + deps.claimTimeoutMs);
  const rows = await executeHot(em,
    `with ${ASYNC_COMMIT}, leased as (
       update webhooks w set cursor_leased_until = ?
       where w.id in (
         select h.id from webhooks h
         where h.enabled and (h.cursor_leased_until is null or h.cursor_leased_until <= ?)
           and h.id not in (select value::uuid from jsonb_array_elements_text(?::jsonb))
           and exists (select 1 from events x where x.org_id = h.org_id and x.position > h.cursor_position)
         order by h.cursor_leased_until nulls first, h.id limit ? for update skip locked)
       returning w.id as webhook_id, w.org_id as hook_org_id, w.url, w.secret, w.event_types, w.cursor_position,
         (select max(x.position) from events x where x.org_id = w.org_id) as scan_to
     )
     select l.webhook_id, l.hook_org_id, l.url, l.secret, l.cursor_position::text as cursor_position, l.scan_to::text as scan_to, ${eventColumns}
     from leased l cross join async_commit
       left join lateral (
         select * from events x where x.org_id = l.hook_org_id and x.position > l.cursor_position and x.position <= l.scan_to
           and (jsonb_array_length(l.event_types) = 0 or l.event_types @> jsonb_build_array(x.type))
         order by x.position limit ?) e on true
       left join organizations o on o.id = e.org_id
     order by l.webhook_id, e.position`,
    [until, now, JSON.stringify(busy), ENDPOINTS_PER_PASS, deps.batchSize], { prepare: true });
  const byHook = new Map<string, { scanTo: string; last: string | null; count: number }>();
  const events: Claimed[] = [];
  for (const r of rows) {
    const webhookId = String(r.webhook_id);
    const hook = byHook.get(webhookId) ?? { scanTo: String(r.scan_to ?? r.cursor_position), last: null, count: 0 };
    byHook.set(webhookId, hook);
    if (r.id === null || r.id === undefined) continue;
    const event = rowToFeedEvent(r);
    hook.last = event.position;
    hook.count++;
    // A v4 id like the rows replays and retries queue (gen_random_uuid), from node's cached entropy: no syscall per delivery.
    events.push({ id: randomUUID(), webhookId, orgId: String(r.hook_org_id), eventId: event.id, attempts: 1, createdAt: now,
      url: String(r.url), secret: String(r.secret), enabled: true, event });
  }
  const cursors = [...byHook].map(([id, h]) => ({ id, position: h.count >= deps.batchSize && h.last ? h.last : h.scanTo }));
  return { until, cursors, events };
}

/**
 * Every first attempt of the pass written as its delivery row (delivered,
 * pending for the retry queue, or dead), and the cursors moved on and
 * released, in one statement. A cursor whose lease another worker has taken
 * over (this pass outlived it) is left to that worker.
 */
async function recordFeeds(em: Em, lease: Lease, outcomes: Outcome[], now: Date): Promise<void> {
  if (!lease.cursors.length) return;
  const rows = outcomes.map((o) => ({ ...outcomeRow(o), org_id: o.row.orgId, webhook_id: o.row.webhookId, event_id: o.row.eventId }));
  await executeHot(em,
    `with ${ASYNC_COMMIT}, x as (
       select * from jsonb_to_recordset(?::jsonb) as x(id uuid, org_id uuid, webhook_id uuid, event_id uuid, status text, last_status int, last_error text, attempt jsonb, next timestamptz)
     ), written as (
       insert into webhook_deliveries (id, created_at, updated_at, org_id, webhook_id, event_id, status, reason, attempts, next_attempt_at,
         delivered_at, dead_at, last_status, last_error, log)
       select x.id, ?, ?, x.org_id, x.webhook_id, x.event_id, x.status, 'publish', 1, coalesce(x.next, ?),
         case when x.status = 'delivered' then ?::timestamptz end, case when x.status = 'dead' then ?::timestamptz end,
         x.last_status, x.last_error, jsonb_build_array(x.attempt)
       -- An endpoint deleted during the pass has no rows to keep (and would fail the foreign key).
       from x where exists (select 1 from webhooks h where h.id = x.webhook_id)
     )
     -- The insert runs whether or not this part reads it (a data-modifying WITH always runs to completion).
     -- Released with the time of this pass, not null: the lease query serves the least recently served endpoints first.
     update webhooks w set cursor_position = c.position, cursor_leased_until = ?
     from jsonb_to_recordset(?::jsonb) as c(id uuid, position bigint) cross join async_commit
     where w.id = c.id and w.cursor_leased_until = ?`,
    [JSON.stringify(rows), now, now, now, now, now, now, JSON.stringify(lease.cursors), lease.until], { prepare: true });
}

/**
 * Sends each endpoint's rows with at most CONNECTIONS_PER_ENDPOINT in flight,
 * the next one rendered, signed and sent when one is answered: the work of a
 * pass spreads over its answers instead of one burst that holds the event
 * loop (and SCIM requests) while 50 requests are built. Outcomes in row order.
 */
async function sendPaced(rows: Claimed[], attempt: (row: Claimed) => Promise<Outcome>): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(rows.length);
  const byEndpoint = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const indexes = byEndpoint.get(row.webhookId);
    if (indexes) indexes.push(i);
    else byEndpoint.set(row.webhookId, [i]);
  });
  await Promise.all([...byEndpoint.values()].flatMap((indexes) => {
    let next = 0;
    const lane = async () => {
      while (next < indexes.length) {
        const i = indexes[next++]!;
        outcomes[i] = await attempt(rows[i]!);
      }
    };
    return Array.from({ length: Math.min(CONNECTIONS_PER_ENDPOINT, indexes.length) }, lane);
  }));
  return outcomes;
}

/**
 * One pass: the endpoints behind the feed (up to batchSize events each) and
 * the due rows of the retry queue (one batch), sent concurrently, then every
 * outcome recorded: four statements per pass, none per delivery, so delivery
 * keeps up with SCIM write rates. Each endpoint's rows go out at most
 * CONNECTIONS_PER_ENDPOINT at a time, each request bounded by the timeout, so
 * a pass takes at most ceil(batchSize / CONNECTIONS_PER_ENDPOINT) × timeoutMs;
 * both leases are longer (config.ts checks claimTimeoutMs).
 */
export async function deliverDueWebhooks(deps: DeliveryDeps, now: Date): Promise<DeliveryPassReport> {
  const report: DeliveryPassReport = { delivered: 0, retried: 0, dead: 0 };
  const em = deps.fork();
  // Retries first, then the pages of the other endpoints: an endpoint's retries and its page sent at once
  // would be twice CONNECTIONS_PER_ENDPOINT requests, half of them waiting for a connection while their timeout runs.
  const queued = await claim(em, now, deps);
  const lease = await leaseFeeds(em, now, deps, [...new Set(queued.map((row) => row.webhookId))]);
  const attempt = (row: Claimed) => attemptOne(deps, row, now);
  const [fresh, again] = await Promise.all([sendPaced(lease.events, attempt), sendPaced(queued, attempt)]);
  await recordFeeds(em, lease, fresh, now);
  await recordAll(em, again, now);
  for (const o of [...fresh, ...again]) report[o.status === 'delivered' ? 'delivered' : o.status === 'dead' ? 'dead' : 'retried']++;
  return report;
}
