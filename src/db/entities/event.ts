import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';

export const eventSources = ['scim', 'saml', 'csv', 'admin', 'system'] as const;
export type EventSource = (typeof eventSources)[number];

/**
 * The change feed (transactional outbox for the product). Rows are written by
 * the `audit_events` trigger (migrations/…_event_feed.ts) in the transaction
 * of the change, with `position` null; the publisher (directory/event-feed.ts)
 * numbers committed rows afterwards, one instance at a time, so positions
 * follow commit order and a consumer paging by position never skips a row
 * that committed late. Positions count per org (1, 2, 3… in each org's feed). `seq` (from a sequence, set by the trigger) orders the
 * events of one batch.
 */
export const EventSchema = defineEntity({
  name: 'Event',
  tableName: 'events',
  properties: {
    id: p.uuid().primary(),
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    seq: p.bigint('string'),
    position: p.bigint('string').nullable(),
    type: p.string().length(50),
    occurredAt: p.datetime(),
    publishedAt: p.datetime().nullable(),
    actor: p.json<{ type: string; id: string | null; label: string }>(),
    source: p.enum(eventSources),
    subjectType: p.string().length(50).nullable(),
    subjectId: p.string().length(100).nullable(),
    resource: p.json<Record<string, unknown>>().nullable(),
    data: p.json<Record<string, unknown>>().default('{}'),
    auditId: p.bigint('string'),
    requestId: p.string().length(100).nullable(),
  },
  indexes: [
    { name: 'events_occurred_at_index', properties: ['occurredAt'] },
    { name: 'events_subject_index', properties: ['subjectId'] },
    {
      name: 'events_unpublished_index',
      expression: 'create index "events_unpublished_index" on "events" ("seq") where "position" is null',
    },
  ],
  // Positions are numbered per org (event_feed_heads): unique within the org, and the index the feed pages by.
  uniques: [{ name: 'events_org_position_unique', properties: ['org', 'position'] }],
});

export class Event extends EventSchema.class {}
EventSchema.setClass(Event);
