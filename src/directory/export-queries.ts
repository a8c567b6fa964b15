import type { OrgRole, UserSource } from '../db/entities/index.ts';
import type { Em } from '../db/orm.ts';
import { recordAuditSql } from './audit.ts';
import { auditFilterSql, normalizeChanges, type AuditFilter } from './audit-queries.ts';
import { invitationFilterSql, invitationsFromSql, invitationStatus, type InvitationFilter, type InvitationStatus } from './invitation-records.ts';
import { peopleFilterSql, type PeopleFilter } from './people.ts';
import type { Scope } from './scope.ts';
import { statusSql, type UserStatus } from './status.ts';
import { toDate } from './user-record.ts';
import { jsonbValue } from '../db/jsonb.ts';

/**
 * The rows behind the CSV exports (issue 6), read org-scoped in keyset batches
 * so an export of any size holds two batches in memory (one being written, one
 * read ahead). Each function checks its filter at once and returns an async
 * generator: further batches are read only as the consumer asks for them, so a
 * slow client (a full socket) pauses the database reads instead of buffering.
 * Batches are separate statements, not one transaction: an export of a large
 * org does not pin a connection (or PGlite's only one) for minutes; a row
 * changed mid-export shows its state at the time its batch was read.
 */

/** Rows per batch for one-row-per-record exports; membership exports batch by owner (users, invitations). */
export const EXPORT_BATCH_ROWS = 5_000;
const OWNERS_PER_BATCH = 1_000;

export interface BatchOptions {
  batchSize?: number | undefined;
}

type Row = Record<string, unknown>;

/**
 * An instant as ISO 8601 text in UTC (`2026-11-20T10:00:00.000Z`), formatted by
 * PostgreSQL: for a million rows, parsing timestamps into Dates and printing
 * them again cost more than the query.
 */
export type IsoInstant = string;
const iso = (column: string, as: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as ${as}`;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const dateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : toDate(v));

/**
 * A read started ahead of need. If the consumer stops first (the client went
 * away), nobody awaits it: its failure must not become an unhandled rejection.
 */
function ahead(read: Promise<Row[]>): Promise<Row[]> {
  read.catch(() => undefined);
  return read;
}

/**
 * One row per record, by id: `read(after, size)` returns the next rows (each
 * with an `id`). The exported functions build their WHERE eagerly and call this,
 * so a bad filter is refused before the caller starts a response.
 */
async function* recordBatches<R>(read: (after: string | null, size: number) => Promise<Row[]>, size: number, map: (row: Row) => R): AsyncGenerator<R[]> {
  let next: Promise<Row[]> | null = read(null, size);
  while (next) {
    const rows: Row[] = await next;
    // Read ahead one batch while this one is mapped and written: the database and
    // the CSV encoding overlap, and memory stays at two batches.
    next = rows.length === size ? ahead(read(String(rows[rows.length - 1]!.id), size)) : null;
    if (rows.length) yield rows.map(map);
  }
}

/**
 * Child rows batched by owner (users, invitations): `read(after, owners)` returns
 * the next `owners` owners left-joined to their children, ordered by owner id;
 * an owner without children comes back as one row with a null `group_id`, so the
 * batch's last owner is always the next cursor and an owner's rows never split.
 */
async function* ownerBatches<R>(read: (after: string | null, owners: number) => Promise<Row[]>, owners: number, map: (row: Row) => R): AsyncGenerator<R[]> {
  let next: Promise<Row[]> | null = read(null, owners);
  while (next) {
    const rows: Row[] = await next;
    let seen = 0;
    let last = '';
    for (const r of rows) {
      const id = String(r.id);
      if (id !== last) seen++;
      last = id;
    }
    next = seen === owners ? ahead(read(last, owners)) : null; // read ahead, as recordBatches does
    const batch: R[] = [];
    for (const r of rows) if (r.group_id !== null && r.group_id !== undefined) batch.push(map(r));
    if (batch.length) yield batch;
  }
}

// ---------------------------------------------------------------- users

export interface UserExportRow {
  id: string;
  userName: string;
  email: string | null;
  givenName: string | null;
  familyName: string | null;
  orgRole: OrgRole;
  status: UserStatus;
  createdAt: IsoInstant;
  lastActiveAt: IsoInstant | null;
  source: UserSource;
  department: string | null;
  officeLocation: string | null;
}

/** The users of the list's current view (status, search, group, ids), by id. */
export function userExportBatches(em: Em, scope: Pick<Scope, 'orgId'>, filter: PeopleFilter, now: Date, options: BatchOptions = {}): AsyncGenerator<UserExportRow[]> {
  const { base, baseParams, status } = peopleFilterSql(scope, filter, now);
  const statusExpr = statusSql(now);
  const read = (after: string | null, size: number): Promise<Row[]> =>
    em.execute(
      `select u.id, u.user_name, u.email, u.given_name, u.family_name, u.org_role, ${statusExpr.sql} as status,
              ${iso('u.created_at', 'created_at')}, ${iso('u.last_active_at', 'last_active_at')}, u.source, u.department, u.office_location
       from users u where ${[...base, status.sql].join(' and ')}${after ? ' and u.id > ?' : ''} order by u.id limit ?`,
      [...statusExpr.params, ...baseParams, ...status.params, ...(after ? [after] : []), size],
    );
  return recordBatches(read, options.batchSize ?? EXPORT_BATCH_ROWS, (r) => ({
    id: String(r.id),
    userName: String(r.user_name),
    email: str(r.email),
    givenName: str(r.given_name),
    familyName: str(r.family_name),
    orgRole: r.org_role as OrgRole,
    status: r.status as UserStatus,
    createdAt: String(r.created_at),
    lastActiveAt: str(r.last_active_at),
    source: r.source as UserSource,
    department: str(r.department),
    officeLocation: str(r.office_location),
  }));
}

export interface MembershipExportRow {
  userId: string;
  userName: string;
  email: string | null;
  groupId: string;
  groupName: string;
  role: string;
  addedAt: IsoInstant;
  lastActiveAt: IsoInstant | null;
}

/**
 * One row per user × group, for the users of the current view (a `group`
 * filter picks the people; each keeps all their groups). Batches of users by
 * id, then their memberships by group name: a user's rows are never split.
 * People without groups have no row.
 */
export function membershipExportBatches(em: Em, scope: Pick<Scope, 'orgId'>, filter: PeopleFilter, now: Date, options: BatchOptions = {}): AsyncGenerator<MembershipExportRow[]> {
  const { base, baseParams, status } = peopleFilterSql(scope, filter, now);
  const read = (after: string | null, owners: number): Promise<Row[]> =>
    em.execute(
      `with us as (select u.id, u.user_name, u.email, ${iso('u.last_active_at', 'last_active_at')} from users u
                   where ${[...base, status.sql].join(' and ')}${after ? ' and u.id > ?' : ''} order by u.id limit ?)
       select us.id, us.user_name, us.email, us.last_active_at, g.id as group_id, g.display_name, m.role, ${iso('m.added_at', 'added_at')}
       from us left join memberships m on m.user_id = us.id and m.org_id = ? left join groups g on g.id = m.group_id and g.org_id = m.org_id
       order by us.id, g.display_name, g.id`,
      [...baseParams, ...status.params, ...(after ? [after] : []), owners, scope.orgId],
    );
  return ownerBatches(read, options.batchSize ?? OWNERS_PER_BATCH, (r) => ({
    userId: String(r.id),
    userName: String(r.user_name),
    email: str(r.email),
    groupId: String(r.group_id),
    groupName: String(r.display_name),
    role: String(r.role),
    addedAt: String(r.added_at),
    lastActiveAt: str(r.last_active_at),
  }));
}

// ---------------------------------------------------------------- invitations

export interface InvitationExportFilter {
  status?: InvitationFilter | undefined;
}

export interface InvitationExportRow {
  id: string;
  createdAt: Date;
  name: string | null;
  email: string;
  invitedBy: string;
  status: InvitationStatus;
  expiresAt: Date;
}

export interface InvitationMembershipExportRow extends InvitationExportRow {
  groupId: string;
  groupName: string;
  role: string;
}

function invitationWhere(scope: Pick<Scope, 'orgId'>, filter: InvitationExportFilter, now: Date, after: string | null): { sql: string; params: unknown[] } {
  const where = ['i.org_id = ?'];
  const params: unknown[] = [scope.orgId];
  if (filter.status) {
    const status = invitationFilterSql(filter.status, now);
    where.push(status.sql);
    params.push(...status.params);
  }
  if (after) {
    where.push('i.id > ?');
    params.push(after);
  }
  return { sql: where.join(' and '), params };
}

const invitationColumns = 'i.id, i.created_at, i.name, i.email, i.invited_by_label, i.expires_at, i.accepted_at, i.revoked_at, i.superseded_by, u.state as user_state';

function toInvitationRow(r: Row, now: Date): InvitationExportRow {
  const expiresAt = toDate(r.expires_at);
  return {
    id: String(r.id),
    createdAt: toDate(r.created_at),
    name: str(r.name),
    email: String(r.email),
    invitedBy: String(r.invited_by_label),
    status: invitationStatus(
      { acceptedAt: dateOrNull(r.accepted_at), revokedAt: dateOrNull(r.revoked_at), expiresAt, supersededBy: str(r.superseded_by), userState: String(r.user_state) },
      now,
    ),
    expiresAt,
  };
}

/** Invitations oldest first (uuidv7 ids are creation order). */
export function invitationExportBatches(em: Em, scope: Pick<Scope, 'orgId'>, filter: InvitationExportFilter, now: Date, options: BatchOptions = {}): AsyncGenerator<InvitationExportRow[]> {
  const read = (after: string | null, size: number): Promise<Row[]> => {
    const where = invitationWhere(scope, filter, now, after);
    return em.execute(`select ${invitationColumns} from ${invitationsFromSql} where ${where.sql} order by i.id limit ?`, [...where.params, size]);
  };
  return recordBatches(read, options.batchSize ?? EXPORT_BATCH_ROWS, (r) => toInvitationRow(r, now));
}

/** One row per planned membership; an invitation without planned groups has none. */
export function invitationMembershipExportBatches(
  em: Em,
  scope: Pick<Scope, 'orgId'>,
  filter: InvitationExportFilter,
  now: Date,
  options: BatchOptions = {},
): AsyncGenerator<InvitationMembershipExportRow[]> {
  const read = (after: string | null, owners: number): Promise<Row[]> => {
    const where = invitationWhere(scope, filter, now, after);
    return em.execute(
      `with i as (select ${invitationColumns} from ${invitationsFromSql} where ${where.sql} order by i.id limit ?)
       select i.*, g.id as group_id, g.display_name, im.role
       from i left join invitation_memberships im on im.invitation_id = i.id left join groups g on g.id = im.group_id and g.org_id = ?
       order by i.id, g.display_name, g.id`,
      [...where.params, owners, scope.orgId],
    );
  };
  return ownerBatches(read, options.batchSize ?? OWNERS_PER_BATCH, (r) => ({
    ...toInvitationRow(r, now),
    groupId: String(r.group_id),
    groupName: String(r.display_name),
    role: String(r.role),
  }));
}

// ---------------------------------------------------------------- audit

/** The audit export filters as the admin API's audit list does (audit-queries.ts). */
export type AuditExportFilter = AuditFilter;

/** No id: the stored one counts every org's writes (audit-ids.ts); the batches page by it internally. */
export interface AuditExportRow {
  at: IsoInstant;
  actorType: string;
  actorId: string | null;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  details: Record<string, unknown>;
  requestId: string | null;
  ip: string | null;
}

/** The audit trail oldest first (the bigint id is commit order), `since` inclusive, `until` exclusive. */
export function auditExportBatches(em: Em, scope: Pick<Scope, 'orgId'>, filter: AuditExportFilter, options: BatchOptions = {}): AsyncGenerator<AuditExportRow[]> {
  const { where, params } = auditFilterSql(scope, filter);
  const read = (after: string | null, size: number): Promise<Row[]> =>
    em.execute(
      `select a.id, ${iso('a.at', 'at')}, a.actor_type, a.actor_id, a.actor_label, a.action, a.target_type, a.target_id, a.target_label, a.details, a.request_id, a.ip
       from audit_events a where ${where.join(' and ')}${after ? ' and a.id > ?' : ''} order by a.id limit ?`,
      [...params, ...(after ? [after] : []), size],
    );
  return recordBatches(read, options.batchSize ?? EXPORT_BATCH_ROWS, (r) => ({
    at: String(r.at),
    actorType: String(r.actor_type),
    actorId: str(r.actor_id),
    actorLabel: String(r.actor_label),
    action: String(r.action),
    targetType: str(r.target_type),
    targetId: str(r.target_id),
    targetLabel: str(r.target_label),
    details: exportedDetails(jsonbValue<Record<string, unknown>>(r.details, {})),
    requestId: str(r.request_id),
    ip: str(r.ip),
  }));
}

/** An event's details as the audit API shows them: its `changes` (stored `{from, to}`) as `{before, after}` per field. */
function exportedDetails(details: Record<string, unknown>): Record<string, unknown> {
  return 'changes' in details ? { ...details, changes: normalizeChanges(details.changes) } : details;
}

// ---------------------------------------------------------------- audit of the export itself

/** CONVENTIONS 9: one `export.downloaded` event per export, written before the first byte. */
export async function recordExport(em: Em, scope: Scope, name: string, filters: Record<string, unknown>): Promise<void> {
  const present = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
  await recordAuditSql(em, scope, { action: 'export.downloaded', target: { type: 'export', id: name, label: `${name}.csv` }, details: { name, filters: present } });
}
