import { defineEntity, p } from '@mikro-orm/core';
import { Organization } from './organization.ts';

export const actorTypes = ['admin_token', 'scim_token', 'user', 'system', 'cli'] as const;
export type ActorType = (typeof actorTypes)[number];

/**
 * One row per change, append-only. A bigint identity gives the change feed a
 * strict order for the change feed and for cursor pagination.
 */
export const AuditEventSchema = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    org: () => p.manyToOne(Organization).deleteRule('cascade'),
    at: p.datetime().onCreate(() => new Date()),
    actorType: p.enum(actorTypes),
    actorId: p.string().length(100).nullable(),
    actorLabel: p.string().length(320),
    action: p.string().length(100),
    targetType: p.string().length(50).nullable(),
    targetId: p.string().length(100).nullable(),
    targetLabel: p.string().length(320).nullable(),
    details: p.json<Record<string, unknown>>().default('{}'),
    /**
     * The door the change came through when the actor alone does not tell
     * (Scope.source: `csv` for a committed import, which runs as its admin).
     * The events trigger reads it for the event's `source`: `details.source`
     * may name the changed row's own source instead (a membership's).
     */
    door: p.string().length(20).nullable(),
    requestId: p.string().length(100).nullable(),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(500).nullable(),
  },
  // The audit queries (directory/audit-queries.ts) read newest first by id
  // within one org; each filter has an index that ends in id, so a page is one
  // index range read backwards.
  indexes: [
    { name: 'audit_events_org_id_index', properties: ['org', 'id'] },
    { name: 'audit_events_org_target_id_index', properties: ['org', 'targetId', 'id'] },
    { name: 'audit_events_org_actor_id_index', properties: ['org', 'actorId', 'id'] },
    {
      name: 'audit_events_org_actor_label_index',
      expression: 'create index "audit_events_org_actor_label_index" on "audit_events" ("org_id", lower("actor_label"), "id")',
    },
    {
      name: 'audit_events_org_target_label_index',
      expression: 'create index "audit_events_org_target_label_index" on "audit_events" ("org_id", lower("target_label"), "id")',
    },
    {
      // varchar_pattern_ops: serves both `action = ?` and the prefix `action like 'user.%'` in any collation.
      name: 'audit_events_org_action_index',
      expression: 'create index "audit_events_org_action_index" on "audit_events" ("org_id", "action" varchar_pattern_ops, "id")',
    },
    { name: 'audit_events_org_at_index', properties: ['org', 'at'] },
  ],
});

export class AuditEvent extends AuditEventSchema.class {}
AuditEventSchema.setClass(AuditEvent);
