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
 *
 * Issue 8: the product's events (the feed, webhooks) are derived from these
 * rows by an AFTER INSERT trigger on audit_events
 * (migrations/Migration20261130062000_event_triggers.ts), so every write path
 * here — unit of work, CTE fragment, raw SQL — emits its events atomically
 * without knowing about them. An action's name and details are therefore a
 * contract with that trigger: `target` names the user/group, and
 * `details.changes` ({field: {from, to}}), `membersAdded`/`membersRemoved`,
 * `invitationId`, `sessionId`, `groupId` are read by it.
 */
/**
 * The row's details, with the scope's door (`source`) unless the entry names its own. An entry
 * that does names the changed row's source (a membership's), so the door also goes in the row's
 * own `door` column, which the events trigger reads.
 */
function detailsOf(scope: Scope, entry: Pick<AuditEntry, 'details'>): Record<string, unknown> {
  return scope.source ? { source: scope.source, ...entry.details } : (entry.details ?? {});
}

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
    details: detailsOf(scope, entry),
    door: scope.source ?? null,
    requestId: scope.requestId ?? null,
    ip: scope.ip ?? null,
    userAgent: scope.userAgent?.slice(0, 500) ?? null,
  });
  em.persist(event);
  return event;
}

/**
 * The same audit row as a SQL fragment, for write paths that run as one
 * statement (a data-modifying CTE): `insert … select … from <source>` so the
 * event is written only if the change itself returned a row.
 * `target.id`/`target.label` may name columns of the source (`{ column: 'id' }`).
 */
export function auditInsertSql(
  scope: Scope,
  entry: Omit<AuditEntry, 'target'> & {
    target: { type: string; idColumn: string; labelColumn: string };
    detailsSql?: string;
  },
  source: string,
): { sql: string; params: unknown[] } {
  // jsonb `||`: the right side wins, so details that name their own source keep it.
  const stamp = scope.source === 'csv' ? `'{"source": "csv"}'::jsonb || ` : '';
  const details = entry.detailsSql ? `(${stamp}(${entry.detailsSql}))` : `?::jsonb`;
  const sql = `insert into audit_events (org_id, at, actor_type, actor_id, actor_label, action, target_type, target_id, target_label, details, request_id, ip, user_agent, door)
    select ?, now(), ?, ?, ?, ?, ?, ${source}.${entry.target.idColumn}::text, ${source}.${entry.target.labelColumn}, ${details}, ?, ?, ?, ?
    from ${source}`;
  const params: unknown[] = [scope.orgId, scope.actor.type, scope.actor.id ?? null, scope.actor.label, entry.action, entry.target.type];
  if (!entry.detailsSql) params.push(JSON.stringify(detailsOf(scope, entry)));
  params.push(scope.requestId ?? null, scope.ip ?? null, scope.userAgent?.slice(0, 500) ?? null, scope.source ?? null);
  return { sql, params };
}

/**
 * Audit rows by the system (a job: purge, expiry, prune) for each row of `source`, across orgs: the
 * org, target and details are SQL expressions over the source's columns. A fragment for a statement
 * of its own or a data-modifying CTE; `action` and `targetType` are the code's own constants.
 */
export function systemAuditSql(entry: { action: string; targetType: string; orgId: string; targetId: string; targetLabel: string; details: string; at?: string }, source: string): string {
  if (!/^[a-z_.]+$/.test(entry.action) || !/^[a-z_]+$/.test(entry.targetType)) throw new Error(`systemAuditSql: ${entry.action} / ${entry.targetType} is not a constant`);
  return `insert into audit_events (org_id, at, actor_type, actor_id, actor_label, action, target_type, target_id, target_label, details)
    select ${entry.orgId}, ${entry.at ?? 'now()'}, 'system', null, 'system', '${entry.action}', '${entry.targetType}', ${entry.targetId}, ${entry.targetLabel}, ${entry.details}
    from ${source}`;
}

/** recordAudit for raw-SQL write paths inside a transaction (no unit of work to flush). */
export async function recordAuditSql(em: Em, scope: Scope, entry: AuditEntry): Promise<void> {
  await em.execute(
    `insert into audit_events (org_id, at, actor_type, actor_id, actor_label, action, target_type, target_id, target_label, details, request_id, ip, user_agent, door)
     values (?, now(), ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)`,
    auditParams(scope, entry),
  );
}

/** The bound values of one audit row, in the column order of the inserts above and below. */
function auditParams(scope: Scope, entry: AuditEntry): unknown[] {
  return [
    scope.orgId, scope.actor.type, scope.actor.id ?? null, scope.actor.label, entry.action,
    entry.target?.type ?? null, entry.target?.id ?? null, entry.target?.label ?? null, JSON.stringify(detailsOf(scope, entry)),
    scope.requestId ?? null, scope.ip ?? null, scope.userAgent?.slice(0, 500) ?? null, scope.source ?? null,
  ];
}

/**
 * Many events of one request as few statements (a bulk membership change: one
 * event per membership changed, so each person's history names it).
 */
export async function recordAuditsSql(em: Em, scope: Scope, entries: AuditEntry[]): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < entries.length; i += CHUNK) {
    const chunk = entries.slice(i, i + CHUNK);
    await em.execute(
      `insert into audit_events (org_id, at, actor_type, actor_id, actor_label, action, target_type, target_id, target_label, details, request_id, ip, user_agent, door)
       values ${chunk.map(() => '(?, now(), ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((entry) => auditParams(scope, entry)),
    );
  }
}
