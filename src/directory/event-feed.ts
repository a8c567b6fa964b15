import type { Em } from '../db/orm.ts';
import { CursorExpiredError, ValidationError } from './errors.ts';
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

/**
 * A cursor is a position in the org's own feed, as digits: consumers store it as given; checkable here.
 * No cursor (absent) is `undefined`: start at the oldest retained event. One given empty (`?after=`) is
 * refused like any other that is not digits, never read as absent, as an empty `?limit=` is never read as 0.
 * `0` is a cursor like any other — the one an empty feed hands out — and is refused once events after it were pruned.
 */
export function parseCursor(value: string | undefined, field = 'after'): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,18}$/.test(value)) throw ValidationError.field(field, 'must be a cursor returned by this API (digits)');
  return value;
}

/**
 * SQL: CTE `b`, one row `(org_id, head, pruned, oldest)` for the org bound to its one `?` — the newest
 * position, the newest position the retention prune deleted (event-retention.ts), and the oldest event still
 * there after it (null when none is). Part of the statement that reads or replays the events, selecting
 * FEED_BOUNDS_COLUMNS for checkCursor, so the check and the events come from one snapshot: a prune
 * between the two cannot slip through. Materialized: computed once, not again for each event row.
 */
export const FEED_BOUNDS = `b as materialized (select k.org_id, coalesce(h.position, 0) as head, coalesce(p.position, 0) as pruned,
    (select min(e.position) from events e where e.org_id = k.org_id and e.position > coalesce(p.position, 0)) as oldest
  from (select ?::uuid as org_id) k
  left join event_feed_heads h on h.org_id = k.org_id
  left join event_feed_pruned p on p.org_id = k.org_id)`;

export const FEED_BOUNDS_COLUMNS = 'b.head::text as feed_head, b.pruned::text as feed_pruned, b.oldest::text as feed_oldest';

interface FeedBounds {
  head: string;
  pruned: string;
  oldest: string | null;
}

/** Who asks for a cursor: the feed (`after`), a webhook replay or a webhook resume (`from`). */
export type CursorUse = 'read' | 'replay' | 'resume';

const PAST_THE_END: Record<CursorUse, string> = {
  read: 'is past the end of the feed: pass the cursor of the last page read, or omit it to start from the oldest event',
  replay: 'is past the end of the feed: pass a cursor the feed returned, or omit from to replay every retained event',
  resume: 'is past the end of the feed: pass a cursor the feed returned (the head: from the next event on), or omit from to resume at the oldest retained event',
};

/**
 * The one rule for which cursors the feed (`after`) and webhook replay and resume (`from`) take; returns the
 * position to read after. No cursor starts after the newest pruned position: a retained event below it
 * (one that committed late, after an older one was pruned) is never handed out, so no page ends on a
 * cursor that is then refused.
 *
 * - Past the head: never handed out (a store gone wrong), and following it would skip every event until
 *   the numbering caught up: 400.
 * - Below the newest pruned position: at least that event was after it and is gone (410). At exactly it,
 *   every event after it is still there. Gaps in the positions do not count: an org upgraded from the
 *   global numbering has them, and they lost nothing.
 */
export function checkCursor(cursor: string | undefined, row: Row | undefined, field: 'after' | 'from', use: CursorUse = field === 'after' ? 'read' : 'replay'): string {
  const bounds: FeedBounds = { head: String(row?.feed_head ?? '0'), pruned: String(row?.feed_pruned ?? '0'), oldest: (row?.feed_oldest as string | null) ?? null };
  if (cursor === undefined) return bounds.pruned;
  if (BigInt(cursor) > BigInt(bounds.head)) throw ValidationError.field(field, PAST_THE_END[use]);
  if (BigInt(cursor) < BigInt(bounds.pruned)) throw expired(cursor, bounds, field, use);
  return cursor;
}

function expired(cursor: string, bounds: FeedBounds, field: 'after' | 'from', use: CursorUse): CursorExpiredError {
  const oldest = bounds.oldest ? `the oldest retained is position ${bounds.oldest}` : 'none is retained';
  const resync = {
    read: `resync: keep the head (details.head, ${bounds.head}) as your cursor, load everyone from GET /users (status=deleted too), then go on with after=${bounds.head}`,
    replay: 'rebuild the receiver from GET /users (status=deleted too): the endpoint goes on receiving new events; replay without from to send every retained event again',
    resume: `resume without from to go on at the oldest retained event, or from=${bounds.head} (the head) to go on from the next event and rebuild the receiver from GET /users (status=deleted too)`,
  }[use];
  return new CursorExpiredError(
    `Events after ${field}=${cursor} are older than the retention and were pruned (${oldest}): ${resync}`,
    { field, cursor, oldestPosition: bounds.oldest, head: bounds.head },
  );
}

export interface FeedPage {
  events: FeedEvent[];
  /** Store this and pass it as `after` next time; unchanged when the page is empty. */
  cursor: string;
  hasMore: boolean;
}

/** Published events of one org after `after` (none: from the oldest retained), in position order. */
export async function readFeed(em: Em, orgId: string, after: string | undefined, limit: number): Promise<FeedPage> {
  const rows = await em.execute(
    `with ${FEED_BOUNDS}
     select ${FEED_BOUNDS_COLUMNS}, ev.*
     from b left join lateral (
       select ${eventColumns} from events e join organizations o on o.id = e.org_id
       where e.org_id = b.org_id and e.position > greatest(?::bigint, b.pruned) order by e.position limit ?
     ) ev on true`,
    [orgId, after ?? '0', limit + 1],
  );
  const start = checkCursor(after, rows[0], 'after');
  const found = rows.filter((row) => row.id != null);
  const events = found.slice(0, limit).map(rowToFeedEvent);
  return { events, cursor: events.at(-1)?.position ?? start, hasMore: found.length > limit };
}

/** SQL: the newest position of the org bound to its one `?` (a new or re-enabled webhook's cursor starts there). */
export const NEWEST_POSITION = '(select coalesce((select h.position from event_feed_heads h where h.org_id = ?), 0))';
