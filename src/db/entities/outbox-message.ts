import { defineEntity, p } from '@mikro-orm/core';
import { BaseSchema } from './base.ts';
import { Organization } from './organization.ts';

/**
 * A mail waiting to be sent, written in the transaction that decided to send it,
 * so a rolled-back change never mails anyone and a committed one always does.
 * Workers on any instance claim due rows with `for update skip locked`.
 */
export const OutboxMessageSchema = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox_messages',
  extends: BaseSchema,
  properties: {
    /** The org the mail is about; null for person-level mail (password reset: credentials span orgs). */
    org: () => p.manyToOne(Organization).deleteRule('cascade').nullable(),
    to: p.string().length(320),
    subject: p.string().length(500),
    text: p.text(),
    html: p.text().nullable(),
    /** What the mail is (`password_reset`, `invitation`…): picks the permanent-failure handling. */
    kind: p.string().length(50),
    /** Ids of the records the mail is about (`{ invitationId, userId }`), for hooks and support. */
    related: p.json<Record<string, string>>().default('{}'),
    /**
     * Claimed in ascending order, before the due time: 0 for transactional mail (a password reset,
     * a sign-in code: someone is waiting for it), 1 for bulk mail (invitations), so a reset never
     * queues behind a thousand invitations.
     */
    priority: p.integer().default(0),
    attempts: p.integer().default(0),
    /** Due time; while a worker holds the row it is pushed ahead by the claim lease. */
    nextAttemptAt: p.datetime(),
    sentAt: p.datetime().nullable(),
    failedAt: p.datetime().nullable(),
    lastError: p.string().length(1000).nullable(),
    /** Not sent because it was no longer wanted when its turn came (an invitation revoked meanwhile). */
    cancelledAt: p.datetime().nullable(),
    /** Why it was cancelled ("invitation revoked (user_disabled)"). */
    cancelReason: p.string().length(200).nullable(),
  },
  indexes: [
    {
      name: 'outbox_messages_due_index',
      expression: 'create index "outbox_messages_due_index" on "outbox_messages" ("priority", "next_attempt_at", "id") where "sent_at" is null and "failed_at" is null and "cancelled_at" is null',
    },
  ],
});

export class OutboxMessage extends OutboxMessageSchema.class {}
OutboxMessageSchema.setClass(OutboxMessage);
