import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';

/**
 * The newest position of each org's feed. Positions are numbered per org
 * (1, 2, 3… for a new org), so a tenant's cursors tell nothing of another
 * tenant's activity. Only the publisher (directory/event-feed.ts) moves it,
 * in the statement that numbers the events; it never goes back, even when the
 * org's events are pruned, so a cursor once handed out is never reused.
 */
export const EventFeedHeadSchema = defineEntity({
  name: 'EventFeedHead',
  tableName: 'event_feed_heads',
  properties: {
    org: () => p.manyToOne(Organization).primary().deleteRule('cascade'),
    position: p.bigint('string').default(0),
  },
});

export class EventFeedHead extends EventFeedHeadSchema.class {}
EventFeedHeadSchema.setClass(EventFeedHead);
