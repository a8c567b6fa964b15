import type { Em } from '../db/orm.ts';
import { isUuid } from '../lib/ids.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import type { Scope } from './scope.ts';
import { toDate } from './user-record.ts';

/**
 * Invitations as they are read (admin API, exports, the feed's status): the
 * record, its one-word status and why a revoked one cannot be used, the list
 * with its filters. Inviting, resending and revoking are directory/invitations.ts.
 */

export const invitationStatuses = ['pending', 'expired', 'accepted', 'revoked', 'undeliverable'] as const;
export type InvitationStatus = Exclude<(typeof invitationStatuses)[number], 'undeliverable'>;
export type InvitationFilter = (typeof invitationStatuses)[number];

export interface InvitationRecord {
  id: string;
  orgId: string;
  userId: string;
  email: string;
  name: string | null;
  message: string | null;
  invitedBy: { id: string | null; label: string };
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
  undeliverableAt: Date | null;
  /** The newer invitation to the same person that replaced this one. */
  supersededBy: string | null;
  status: InvitationStatus;
  /** Why a `revoked` invitation cannot be used (null otherwise). */
  revokedReason: RevokedReason | null;
  memberships: Array<{ groupId: string; groupName: string; role: string }>;
}

type Row = Record<string, unknown>;
export const dateOrNull = (value: unknown): Date | null => (value === null || value === undefined ? null : toDate(value));

/**
 * Why a `revoked` invitation cannot be used: an admin revoked it, a newer invitation (or the
 * acceptance of another one) replaced it, or its person is no longer invited — disabled or
 * deleted (their link answers 410 while they are; reactivated or restored, it is theirs again).
 */
export type RevokedReason = 'admin' | 'superseded' | 'user_disabled' | 'user_deleted' | 'user_active';

export interface StatusInput {
  acceptedAt: Date | null;
  revokedAt: Date | null;
  expiresAt: Date;
  supersededBy: string | null;
  /** The invited person's stored state (users.state). */
  userState: string;
}

/**
 * The one word for an invitation, as the registration link behaves: `pending` only while
 * its link works. The person's state comes before the date: an invitation of a disabled or
 * deleted person is `revoked` (with its reason), not `pending` or `expired`.
 */
export function invitationStatus(i: StatusInput, now: Date): InvitationStatus {
  if (i.acceptedAt) return 'accepted';
  if (i.revokedAt || i.userState !== 'invited') return 'revoked';
  return i.expiresAt.getTime() > now.getTime() ? 'pending' : 'expired';
}

export function revokedReason(i: StatusInput): RevokedReason | null {
  if (i.acceptedAt) return null;
  if (i.revokedAt) return i.supersededBy ? 'superseded' : 'admin';
  return i.userState === 'invited' ? null : (`user_${i.userState}` as RevokedReason);
}

/** Invitations `i` with their person `u` (whose state the status reads): the FROM of every invitation read. */
export const invitationsFromSql = 'invitations i join users u on u.id = i.user_id and u.org_id = i.org_id';

const membershipsSql = `(select coalesce(json_agg(json_build_object('groupId', g.id, 'groupName', g.display_name, 'role', im.role) order by g.display_name, g.id), '[]'::json)
  from invitation_memberships im join groups g on g.id = im.group_id where im.invitation_id = i.id) as memberships_json`;
const invitationColumns = `i.id, i.org_id, i.user_id, i.email, i.name, i.message, i.invited_by_id, i.invited_by_label, i.created_at, i.expires_at,
  i.accepted_at, i.revoked_at, i.undeliverable_at, i.superseded_by, u.state as user_state, ${membershipsSql}`;

function toRecord(row: Row, now: Date): InvitationRecord {
  const raw = row.memberships_json;
  const record = {
    id: String(row.id),
    orgId: String(row.org_id),
    userId: String(row.user_id),
    email: String(row.email),
    name: (row.name as string | null) ?? null,
    message: (row.message as string | null) ?? null,
    invitedBy: { id: (row.invited_by_id as string | null) ?? null, label: String(row.invited_by_label) },
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    acceptedAt: dateOrNull(row.accepted_at),
    revokedAt: dateOrNull(row.revoked_at),
    undeliverableAt: dateOrNull(row.undeliverable_at),
    supersededBy: (row.superseded_by as string | null) ?? null,
    memberships: (typeof raw === 'string' ? JSON.parse(raw) : raw ?? []) as InvitationRecord['memberships'],
  };
  const input = { ...record, userState: String(row.user_state) };
  return { ...record, status: invitationStatus(input, now), revokedReason: revokedReason(input) };
}

export async function getInvitation(em: Em, scope: Pick<Scope, 'orgId'>, id: string, now: Date, options: { lock?: boolean } = {}): Promise<InvitationRecord> {
  if (isUuid(id)) {
    if (options.lock) await em.execute('select id from invitations where org_id = ? and id = ? for update', [scope.orgId, id]);
    const rows = await em.execute(`select ${invitationColumns} from ${invitationsFromSql} where i.org_id = ? and i.id = ?`, [scope.orgId, id]);
    if (rows[0]) return toRecord(rows[0], now);
  }
  throw new NotFoundError('Invitation', id);
}

/**
 * The plan (group, role) of the person's latest invitation when it was never accepted: what an invitee
 * who is deleted (or disabled) still expects to join. A person whose latest invitation was accepted
 * has live memberships instead, and no plan. Groups deleted since are left out. An invitation that
 * another replaced (superseded_by) is never the latest, whatever the clock said.
 */
export async function unacceptedPlanOf(em: Em, scope: Pick<Scope, 'orgId'>, userId: string): Promise<Array<{ groupId: string; role: string }>> {
  const rows = await em.execute(
    `with latest as (select id, accepted_at from invitations where org_id = ? and user_id = ? order by (superseded_by is null) desc, created_at desc, id desc limit 1)
     select im.group_id, im.role from latest join invitation_memberships im on im.invitation_id = latest.id
       join groups g on g.id = im.group_id and g.org_id = ?
     where latest.accepted_at is null order by lower(g.display_name), g.id`,
    [scope.orgId, userId, scope.orgId],
  );
  return rows.map((r) => ({ groupId: String(r.group_id), role: String(r.role) }));
}

/** A WHERE condition over invitationsFromSql (`i`, `u`) for a status filter (the list and the CSV export): invitationStatus in SQL. */
export function invitationFilterSql(status: InvitationFilter, now: Date): { sql: string; params: unknown[] } {
  const usable = `i.accepted_at is null and i.revoked_at is null and u.state = 'invited'`;
  const byStatus: Record<InvitationFilter, string> = {
    pending: `${usable} and i.expires_at > ?`,
    expired: `${usable} and i.expires_at <= ?`,
    accepted: 'i.accepted_at is not null',
    revoked: `i.accepted_at is null and (i.revoked_at is not null or u.state <> 'invited')`,
    undeliverable: 'i.undeliverable_at is not null',
  };
  return { sql: byStatus[status], params: status === 'pending' || status === 'expired' ? [now] : [] };
}

export async function listInvitations(
  em: Em,
  scope: Pick<Scope, 'orgId'>,
  query: { status?: InvitationFilter | undefined; beforeId?: string | undefined; limit: number },
  now: Date,
): Promise<{ invitations: InvitationRecord[]; nextCursor: string | null }> {
  const where = ['i.org_id = ?'];
  const params: unknown[] = [scope.orgId];
  if (query.status) {
    const status = invitationFilterSql(query.status, now);
    where.push(status.sql);
    params.push(...status.params);
  }
  if (query.beforeId !== undefined) {
    if (!isUuid(query.beforeId)) throw ValidationError.field('cursor', 'is not a cursor this API returned');
    where.push('i.id < ?');
    params.push(query.beforeId);
  }
  // Newest first; uuidv7 ids are creation order, so the id is the keyset.
  const rows = await em.execute(`select ${invitationColumns} from ${invitationsFromSql} where ${where.join(' and ')} order by i.id desc limit ?`, [...params, query.limit + 1]);
  const invitations = rows.slice(0, query.limit).map((row) => toRecord(row, now));
  return { invitations, nextCursor: rows.length > query.limit ? invitations[invitations.length - 1]!.id : null };
}
