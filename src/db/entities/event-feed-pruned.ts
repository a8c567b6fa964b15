import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';

/**
 * The newest position the retention prune has deleted from each org's feed
 * (no row: nothing pruned since positions were recorded, 2026-12-01). A
 * cursor below it has missed at least that event, so the feed answers 410
 * cursor_expired instead of the retained events (directory/event-feed.ts).
 * Recorded by the prune job from what it deletes, never inferred from gaps
 * in the positions: an org upgraded from the global numbering has gaps that
 * lost nothing. Only the prune writes it: a table of its own, so the prune
 * never waits for the publisher's lock on `event_feed_heads` or holds it up.
 */
export const EventFeedPrunedSchema = defineEntity({
  name: 'EventFeedPruned',
  tableName: 'event_feed_pruned',
  properties: {
    org: () => p.manyToOne(Organization).primary().deleteRule('cascade'),
    position: p.bigint('string').default(0),
  },
});

export class EventFeedPruned extends EventFeedPrunedSchema.class {}
EventFeedPrunedSchema.setClass(EventFeedPruned);
