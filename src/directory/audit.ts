import type { Em } from '../db/orm.ts';
import { AuditEvent, Organization } from '../db/entities/index.ts';
import type { Scope } from './scope.ts';

export interface AuditEntry {
  action: string;
  target?: { type: string; id: string; label?: string | null | undefined } | undefined;
  details?: Record<string, unknown> | undefined;
}

/**
 * CONVENTIONS 9: every mutation records exactly one audit event, in the same
 * unit of work as the change, so one is never committed without the other.
 */
export function recordAudit(em: Em, scope: Scope, entry: AuditEntry): AuditEvent {
  const event = em.create(AuditEvent, {
    org: em.getReference(Organization, scope.orgId),
    actorType: scope.actor.type,
    actorId: scope.actor.id ?? null,
    actorLabel: scope.actor.label,
    action: entry.action,
    targetType: entry.target?.type ?? null,
    targetId: entry.target?.id ?? null,
    targetLabel: entry.target?.label ?? null,
    details: entry.details ?? {},
    requestId: scope.requestId ?? null,
    ip: scope.ip ?? null,
    userAgent: scope.userAgent?.slice(0, 500) ?? null,
  });
  em.persist(event);
  return event;
}
