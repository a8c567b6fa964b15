import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';
import { Event } from './event.ts';

/** Why the delivery worker stopped following an endpoint's feed, until an admin acts. */
export const stalledReasons = ['cursor_expired'] as const;
export type StalledReason = (typeof stalledReasons)[number];

/**
 * A product endpoint that receives the org's events. The secret is kept as
 * given (an HMAC key must be usable, so it cannot be hashed like a token); it
 * is shown once, at creation or rotation, and never returned by reads.
 */
export const WebhookSchema = defineEntity({
  name: 'Webhook',
  tableName: 'webhooks',
  extends: BaseSchema,
  properties: {
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    url: p.string().length(2000),
    description: p.string().length(500).nullable(),
    secret: p.string().length(200),
    /**
     * The secret a rotation replaced, still signing beside `secret` until
     * `previousSecretExpiresAt` (directory/webhook-secret-rotation.ts); never
     * read back, and cleared by the daily housekeeping once expired.
     */
    previousSecret: p.string().length(200).nullable(),
    previousSecretExpiresAt: p.datetime().nullable(),
    /** Event types to deliver; empty = every type. */
    eventTypes: p.json<string[]>().default('[]'),
    enabled: p.boolean().default(true),
    version: p.integer().version(),
    /** The feed position the delivery worker has sent up to (directory/webhook-deliveries.ts). */
    cursorPosition: p.bigint('string').default(0),
    /** In the future: one worker is sending the events after the cursor; in the past: when one last did (least recently served first). */
    cursorLeasedUntil: p.datetime().nullable(),
    /**
     * Set (`cursor_expired`): events after the cursor that the endpoint was owed were pruned before it was
     * sent them; the worker sends it nothing more until an admin resumes it (directory/webhook-stalls.ts).
     */
    stalledReason: p.enum(stalledReasons).nullable(),
    stalledAt: p.datetime().nullable(),
    /** The first position it was owed that was pruned (null when not known: marked at the upgrade). */
    stalledFrom: p.bigint('string').nullable(),
  },
  indexes: [{ name: 'webhooks_org_index', properties: ['org'] }],
});

export class Webhook extends WebhookSchema.class {}
WebhookSchema.setClass(Webhook);

export const deliveryStatuses = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error: string | null;
  body: string | null;
  ms: number;
}

/**
 * One event to one endpoint, with every attempt. Written by the first attempt
 * of a published event (the worker follows each endpoint's feed cursor), or
 * queued by a replay or retry; a failed one waits here, `pending`, for the
 * retry workers, who claim due rows with `for update skip locked`.
 */
export const WebhookDeliverySchema = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  extends: BaseSchema,
  properties: {
    // No foreign key to the org: a row goes with its endpoint and its event (both cascade, and both
    // go with their org). Checking the org key on every delivery row locked the org's one row
    // beside every SCIM write of the org doing the same (~+100 µs per delivery under load).
    org: () => p.manyToOne(Organization).createForeignKeyConstraint(false),
    webhook: () => p.manyToOne(Webhook).deleteRule('cascade'),
    event: () => p.manyToOne(Event).deleteRule('cascade'),
    status: p.enum(deliveryStatuses).default('pending'),
    /** `publish`, `replay` or `retry`: why this row exists. */
    reason: p.string().length(20).default('publish'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    deliveredAt: p.datetime().nullable(),
    deadAt: p.datetime().nullable(),
    lastStatus: p.integer().nullable(),
    lastError: p.string().length(1000).nullable(),
    /** Every attempt: time, HTTP status, error, the first bytes of the answer, duration. */
    log: p.json<DeliveryAttempt[]>().default('[]'),
  },
  indexes: [
    { name: 'webhook_deliveries_webhook_index', properties: ['webhook', 'createdAt'] },
    { name: 'webhook_deliveries_event_index', properties: ['event'] },
    {
      name: 'webhook_deliveries_due_index',
      expression: `create index "webhook_deliveries_due_index" on "webhook_deliveries" ("next_attempt_at") where "status" = 'pending'`,
    },
    {
      // The dead-letter count the metrics read at each scrape (directory/backlog.ts): a few rows among every delivery.
      name: 'webhook_deliveries_dead_index',
      expression: `create index "webhook_deliveries_dead_index" on "webhook_deliveries" ("dead_at") where "status" = 'dead'`,
    },
  ],
});

export class WebhookDelivery extends WebhookDeliverySchema.class {}
WebhookDeliverySchema.setClass(WebhookDelivery);
