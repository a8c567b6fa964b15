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
 * committed ones are visible — continuing from the highest position, and
 * commits. The next pass starts only after that commit (the lock is held until
 * then), so every committed position is below every position assigned later:
 * a consumer that stores the last position it read sees each event exactly
 * once and in publication (commit) order, whatever the instance that wrote it.
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
    const rows = await tx.execute(
      `with next as (
         select e.id, (select coalesce(max(position), 0) from events) + row_number() over (order by e.seq) as pos
         from (select id, seq from events where position is null order by seq limit ?) e
       ),
       numbered as (
         update events set position = next.pos, published_at = ? from next where events.id = next.id
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

/** A cursor is a position: digits only, so it is opaque to consumers yet checkable here. */
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
    // Positions are numbered across orgs and never reused (pruning keeps the newest): a cursor past the
    // last one was never returned, and following it would skip every event until the numbering caught up.
    const last = await em.execute('select coalesce(max(position), 0)::text as position from events');
    if (BigInt(after) > BigInt(String(last[0]?.position ?? '0'))) {
      throw ValidationError.field('after', 'is past the end of the feed: pass the cursor of the last page read, or omit it to start from the oldest event');
    }
  }
  return { events, cursor: events.at(-1)?.position ?? after, hasMore: rows.length > limit };
}

/**
 * Retention: published events older than `retentionDays` go, with their
 * deliveries (cascade). Unpublished ones are never pruned (they are at most a
 * moment old). Batched so a large backlog never holds one long lock.
 */
export async function pruneEvents(em: Em, now: Date, retentionDays: number, batchSize = 5000): Promise<{ pruned: number }> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  let pruned = 0;
  for (;;) {
    const rows = await em.execute(
      // The newest event always stays: the next position continues from it, so a cursor never points back into reused numbers.
      `delete from events where id in (
         select id from events where occurred_at < ? and position is not null and position < (select max(position) from events)
         order by occurred_at limit ?) returning 1`,
      [cutoff, batchSize],
    );
    pruned += rows.length;
    if (rows.length < batchSize) return { pruned };
  }
}
