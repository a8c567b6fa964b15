import type { Em } from '../db/orm.ts';
import { ValidationError } from './errors.ts';
import { jsonbValue } from '../db/jsonb.ts';

/**
 * The product's change feed (issue 8). Events are written unnumbered by the
 * audit trigger, in the transaction of their change. Here they get their
 * `position` — the cursor consumers page by — AFTER they commit:
 *
 * Why not a sequence or a timestamp at write time: both are taken before
 * commit, so transaction A can take 10, B take 11, B commit, a consumer read
 * up to 11 and store it, and A commit 10 behind the cursor: lost for good.
 *
 * Instead one publisher at a time (a transaction-level advisory lock, so any
 * number of instances may run the loop) numbers the rows it can see — only
 * committed ones are visible — continuing from its org's head, and commits.
 * The next pass starts only after that commit (the lock is held until then),
 * so every committed position is below every position assigned later in the
 * same org: a consumer that stores the last position it read sees each event
 * exactly once and in publication (commit) order, whatever the instance that
 * wrote it.
 *
 * Positions count per org (`event_feed_heads`: 1, 2, 3… in a new org's feed),
 * so a tenant's positions say nothing of other tenants' activity; a position
 * means something only with its org, and every reader is scoped by org.
 *
 * Webhooks follow the feed by position (directory/webhook-deliveries.ts), so
 * publishing queues nothing for them: it only tells whether an enabled
 * endpoint of a published event's org is waiting, to wake the delivery worker.
 */

/** Arbitrary, fixed key of the publisher's advisory lock (pg_try_advisory_xact_lock). */
const PUBLISHER_LOCK = 0x6761_7465_0001n;

export interface FeedEvent {
  id: string;
  position: string;
  type: string;
  occurredAt: string;
  org: { id: string; slug: string };
  actor: { type: string; id: string | null; label: string };
  source: string;
  resource: Record<string, unknown> | null;
  data: Record<string, unknown>;
  requestId: string | null;
}

export interface PublishResult {
  /** Events numbered by this pass; -1 when another instance held the publisher lock. */
  published: number;
  /** Enabled webhook endpoints of the orgs whose events were just published. */
  endpoints: number;
}

/**
 * One publisher pass: numbers up to `batchSize` committed, unnumbered events
 * (oldest write first), in one transaction.
 */
export async function publishEvents(em: Em, now: Date, batchSize: number): Promise<PublishResult> {
  return em.transactional(async (tx) => {
    const lock = await tx.execute('select pg_try_advisory_xact_lock(?) as locked', [PUBLISHER_LOCK.toString()]);
    if (!lock[0]?.locked) return { published: -1, endpoints: 0 };
    // One statement: the batch, each org's head moved on by its count (created at the org's first event),
    // and the events numbered from where their org's head was, in write order.
    const rows = await tx.execute(
      `with batch as (
         select e.id, e.org_id, row_number() over (partition by e.org_id order by e.seq) as nth
         from (select id, org_id, seq from events where position is null order by seq limit ?) e
       ),
       counts as (select org_id, count(*) as n from batch group by org_id),
       heads as (
         insert into event_feed_heads as h (org_id, position) select org_id, n from counts
         on conflict (org_id) do update set position = h.position + excluded.position
         returning h.org_id, h.position
       ),
       numbered as (
         update events set position = heads.position - counts.n + batch.nth, published_at = ?
         from batch join counts on counts.org_id = batch.org_id join heads on heads.org_id = batch.org_id
         where events.id = batch.id
         returning events.org_id
       )
       select (select count(*) from numbered)::int as published,
         (select count(*) from webhooks w where w.enabled and w.org_id in (select org_id from numbered))::int as endpoints`,
      [batchSize, now],
    );
    return { published: Number(rows[0]?.published ?? 0), endpoints: Number(rows[0]?.endpoints ?? 0) };
  });
}

export const eventColumns = `e.id, e.position::text as position, e.type, e.occurred_at, e.org_id, o.slug as org_slug, e.actor, e.source, e.resource, e.data, e.request_id`;

type Row = Record<string, unknown>;

export function rowToFeedEvent(row: Row): FeedEvent {
  const occurred = row.occurred_at instanceof Date ? row.occurred_at : new Date(String(row.occurred_at));
  return {
    id: String(row.id),
    position: String(row.position),
    type: String(row.type),
    occurredAt: occurred.toISOString(),
    org: { id: String(row.org_id), slug: String(row.org_slug) },
    actor: jsonbValue<FeedEvent['actor']>(row.actor, { type: 'system', id: null, label: 'system' }) /* the column is not null */,
    source: String(row.source),
    resource: jsonbValue<Record<string, unknown> | null>(row.resource, null),
    data: jsonbValue<Record<string, unknown>>(row.data, {}),
    requestId: (row.request_id as string | null) ?? null,
  };
}

/** A cursor is a position in the org's own feed, as digits: consumers store it as given; checkable here. */
export function parseCursor(value: string | undefined, field = 'after'): string {
  if (value === undefined || value === '') return '0';
  if (!/^\d{1,18}$/.test(value)) throw ValidationError.field(field, 'must be a cursor returned by this API (digits)');
  return value;
}

export interface FeedPage {
  events: FeedEvent[];
  /** Store this and pass it as `after` next time; unchanged when the page is empty. */
  cursor: string;
  hasMore: boolean;
}

/** Published events of one org after `after`, in position order. */
export async function readFeed(em: Em, orgId: string, after: string, limit: number): Promise<FeedPage> {
  const rows = await em.execute(
    `select ${eventColumns} from events e join organizations o on o.id = e.org_id
     where e.org_id = ? and e.position > ? order by e.position limit ?`,
    [orgId, after, limit + 1],
  );
  const events = rows.slice(0, limit).map(rowToFeedEvent);
  if (!events.length && after !== '0') {
    // The org's positions never go back (its head stays when its events are pruned): a cursor past the
    // head was never returned, and following it would skip every event until the numbering caught up.
    if (BigInt(after) > BigInt(await feedHead(em, orgId))) {
      throw ValidationError.field('after', 'is past the end of the feed: pass the cursor of the last page read, or omit it to start from the oldest event');
    }
  }
  return { events, cursor: events.at(-1)?.position ?? after, hasMore: rows.length > limit };
}

/** SQL: the newest position of the org bound to its one `?` (a new or re-enabled webhook's cursor starts there). */
export const NEWEST_POSITION = '(select coalesce((select h.position from event_feed_heads h where h.org_id = ?), 0))';

/** The newest position of an org's feed ('0' before its first event). */
export async function feedHead(em: Em, orgId: string): Promise<string> {
  const rows = await em.execute(`select ${NEWEST_POSITION}::text as position`, [orgId]);
  return String(rows[0]?.position ?? '0');
}

/**
 * Retention: published events older than `retentionDays` go, with their
 * deliveries (cascade). Unpublished ones are never pruned (they are at most a
 * moment old). Batched so a large backlog never holds one long lock. Each
 * org's numbering goes on from its head, whatever is pruned.
 */
export async function pruneEvents(em: Em, now: Date, retentionDays: number, batchSize = 5000): Promise<{ pruned: number }> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  let pruned = 0;
  for (;;) {
    const rows = await em.execute(
      `delete from events where id in (
         select id from events where occurred_at < ? and position is not null
         order by occurred_at limit ?) returning 1`,
      [cutoff, batchSize],
    );
    pruned += rows.length;
    if (rows.length < batchSize) return { pruned };
  }
}
