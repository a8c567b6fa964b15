import { z } from 'zod';
import type { Em } from '../db/orm.ts';
import { isUuid } from '../lib/ids.ts';
import type { OpaqueIds } from '../lib/opaque-ids.ts';
import { ValidationError } from './errors.ts';
import { getPerson } from './people.ts';
import type { Scope } from './scope.ts';
import { toDate } from './user-record.ts';

/**
 * Reading the audit trail (issue 7): the admin API's filtered list and one
 * person's activity, newest first, cursor-paginated by the bigint id (commit
 * order, so a page boundary never skips or repeats an event). The id is one
 * sequence for every org, so what leaves here is its opaque form for the org
 * (audit-ids.ts): the event's `id`, and the cursor, which is the opaque id of
 * the last event of the page. The CSV export (export-queries.ts) filters with
 * the same `auditFilterSql`.
 */
/**
 * `since` / `until` as every surface takes them (the audit list, the audit.csv
 * export, the CLI): an ISO 8601 date-time with a time zone — a bare date or a
 * local time would mean a different instant on every machine.
 */
export const auditInstant = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone (2026-01-31T00:00:00Z)' })
  .transform((s) => new Date(s));

export interface AuditFilter {
  /** An actor id (user id, token id) or label (email, token name; case-insensitive). */
  actor?: string | undefined;
  /** A target id, or a target label (userName, email, group name; case-insensitive). */
  target?: string | undefined;
  /** Exact (`user.updated`) or a prefix ending in `.` or `.*` (`user.`, `user.*`). */
  action?: string | undefined;
  /** Inclusive. */
  since?: Date | undefined;
  /** Exclusive. */
  until?: Date | undefined;
}

export interface AuditChange {
  before: unknown;
  after: unknown;
}

export interface AuditEventView {
  /** Opaque (audit-ids.ts): stable, unique in the org, in no order; never the stored number. */
  id: string;
  at: string;
  action: string;
  actor: { type: string; id: string | null; label: string };
  target: { type: string; id: string | null; label: string | null } | null;
  /** The changed fields of an update, before and after; {} when the event changes no fields. */
  changes: Record<string, AuditChange>;
  /** What else the writer recorded (without `changes`). */
  details: Record<string, unknown>;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
}

export interface AuditPage {
  events: AuditEventView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface AuditPageRequest {
  /** The opaque id of the last event seen (the previous page's nextCursor). */
  cursor?: string | undefined;
  limit: number;
  /** The org's opaque ids (container.auditIds). */
  ids: OpaqueIds;
}

/** `user.` and `user.*` are prefixes; anything else matches exactly. */
function actionPattern(action: string): { prefix: string } | { exact: string } {
  if (action.endsWith('.*')) return { prefix: action.slice(0, -1) };
  if (action.endsWith('.')) return { prefix: action };
  // Every action has a dot (user.updated): a bare word means its family.
  if (!action.includes('.')) return { prefix: `${action}.` };
  return { exact: action };
}

/** The WHERE clause of a filtered audit read (table alias `a`), always scoped to the org. */
export function auditFilterSql(scope: Pick<Scope, 'orgId'>, filter: AuditFilter): { where: string[]; params: unknown[] } {
  if (filter.since && filter.until && filter.since.getTime() > filter.until.getTime()) throw ValidationError.field('until', 'must not be before since');
  const where = ['a.org_id = ?'];
  const params: unknown[] = [scope.orgId];
  if (filter.actor) {
    where.push('(a.actor_id = ? or lower(a.actor_label) = lower(?))');
    params.push(filter.actor, filter.actor);
  }
  if (filter.target) {
    where.push('(a.target_id = ? or lower(a.target_label) = lower(?))');
    params.push(filter.target, filter.target);
  }
  if (filter.action) {
    const pattern = actionPattern(filter.action);
    if ('prefix' in pattern) {
      where.push(`a.action like ? escape '!'`);
      params.push(`${pattern.prefix.replace(/[!%_]/g, '!$&')}%`);
    } else {
      where.push('a.action = ?');
      params.push(pattern.exact);
    }
  }
  if (filter.since) {
    where.push('a.at >= ?');
    params.push(filter.since);
  }
  if (filter.until) {
    where.push('a.at < ?');
    params.push(filter.until);
  }
  return { where, params };
}

/**
 * The stored id behind a cursor. Another org's id, a stored number, a forged or
 * altered value all decode to nothing: the same 400, so probing tells nothing.
 */
function cursorId(scope: Pick<Scope, 'orgId'>, page: AuditPageRequest): string | undefined {
  // Given empty (`?cursor=`) it is refused, never read as absent (the first page): a paging client would start over.
  if (page.cursor === undefined) return undefined;
  const id = page.ids.decode(page.cursor, scope.orgId);
  if (id === null) throw ValidationError.field('cursor', 'is not a cursor this API returned');
  return id;
}

const columns = `a.id, a.at, a.action, a.actor_type, a.actor_id, a.actor_label, a.target_type, a.target_id, a.target_label, a.details, a.request_id, a.ip, a.user_agent`;

async function readPage(em: Em, scope: Pick<Scope, 'orgId'>, where: string[], params: unknown[], page: AuditPageRequest): Promise<AuditPage> {
  const before = cursorId(scope, page);
  const rows = await em.execute(
    `select ${columns} from audit_events a where ${where.join(' and ')}${before ? ' and a.id < ?' : ''} order by a.id desc limit ?`,
    [...params, ...(before ? [before] : []), page.limit + 1],
  );
  const events = rows.slice(0, page.limit).map((row) => toAuditEventView(row, page.ids.encode(String(row.id), scope.orgId)));
  return { events, nextCursor: rows.length > page.limit ? events[events.length - 1]!.id : null };
}

export async function listAuditEvents(em: Em, scope: Pick<Scope, 'orgId'>, filter: AuditFilter, page: AuditPageRequest): Promise<AuditPage> {
  const { where, params } = auditFilterSql(scope, filter);
  return readPage(em, scope, where, params, page);
}

/**
 * One person's activity: what they did (actor) and what was done to them
 * (target). The user must exist in the org (deleted and purged ones too: their
 * history stays readable, anonymised).
 */
export async function userActivity(em: Em, scope: Pick<Scope, 'orgId'>, userId: string, page: AuditPageRequest): Promise<AuditPage> {
  await getPerson(em, scope, userId);
  const id = isUuid(userId) ? userId : '';
  return readPage(
    em,
    scope,
    [`a.org_id = ?`, `((a.actor_type = 'user' and a.actor_id = ?) or (a.target_type = 'user' and a.target_id = ?))`],
    [scope.orgId, id, id],
    page,
  );
}

function json(value: unknown): Record<string, unknown> {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

/**
 * Writers record a change as `{from, to}` (users, groups, settings). The API
 * answers `{before, after}` for every one; a change recorded without values
 * (older events) answers nulls.
 */
export function normalizeChanges(raw: unknown): Record<string, AuditChange> {
  const out: Record<string, AuditChange> = {};
  for (const [field, change] of Object.entries(json(raw))) {
    const c = change && typeof change === 'object' && !Array.isArray(change) ? (change as Record<string, unknown>) : {};
    if ('before' in c || 'after' in c) out[field] = { before: c.before ?? null, after: c.after ?? null };
    else out[field] = { before: c.from ?? null, after: c.to ?? null };
  }
  return out;
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** `id`: the row's opaque id, never `row.id`. */
function toAuditEventView(row: Record<string, unknown>, id: string): AuditEventView {
  const { changes, ...details } = json(row.details);
  return {
    id,
    at: toDate(row.at).toISOString(),
    action: String(row.action),
    actor: { type: String(row.actor_type), id: text(row.actor_id), label: String(row.actor_label) },
    target: row.target_type === null || row.target_type === undefined ? null : { type: String(row.target_type), id: text(row.target_id), label: text(row.target_label) },
    changes: normalizeChanges(changes),
    details,
    requestId: text(row.request_id),
    ip: text(row.ip),
    userAgent: text(row.user_agent),
  };
}
