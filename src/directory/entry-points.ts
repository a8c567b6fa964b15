import type { Em } from '../db/orm.ts';
import type { UserSource } from '../db/entities/index.ts';
import { uniqueViolationField } from '../db/unique-violation.ts';
import { isUuid } from '../lib/ids.ts';
import { recordAuditSql } from './audit.ts';
import { writeMembershipChanges } from './membership-changes.ts';
import { ConflictError, IdpManagedError, NotEmptyError, NotFoundError, ValidationError } from './errors.ts';
import { createGroup, validateGroupFields } from './groups.ts';
import { assertIfMatch, type IfMatch } from './if-match.ts';
import { likePattern } from './people.ts';
import type { Scope } from './scope.ts';
import { toDate } from './user-record.ts';

/**
 * Groups as org admins see them ("entry points"): list with member counts,
 * create, rename, describe, delete. SCIM groups are shown but read-only here:
 * the IdP would undo any change at its next push (IDP-NOTES §2, SCIM is
 * authoritative). SCIM itself writes through groups.ts.
 */

export interface EntryPoint {
  id: string;
  displayName: string;
  description: string | null;
  externalId: string | null;
  source: UserSource;
  /** Live members (deleted users' memberships wait for a restore and are not counted). */
  memberCount: number;
  createdAt: Date;
  updatedAt: Date;
  /** The row version: the admin API's ETag, for If-Match on PATCH and DELETE. */
  version: number;
}

export interface GroupMemberRow {
  userId: string;
  userName: string;
  displayName: string | null;
  email: string | null;
  role: string;
  source: UserSource;
  viaMapping: boolean;
  addedAt: Date;
}

const liveMembersSql = `(select count(*)::int from memberships m join users u on u.id = m.user_id
  where m.group_id = g.id and m.org_id = g.org_id and u.state <> 'deleted') as member_count`;

const columnsSql = `g.id, g.display_name, g.description, g.external_id, g.source, g.created_at, g.updated_at, g.version, ${liveMembersSql}`;

function rowToEntryPoint(row: Record<string, unknown>): EntryPoint {
  return {
    id: String(row.id),
    displayName: String(row.display_name),
    description: (row.description as string | null) ?? null,
    externalId: (row.external_id as string | null) ?? null,
    source: row.source as UserSource,
    memberCount: Number(row.member_count ?? 0),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    version: Number(row.version),
  };
}

export const idpManagedMessage = (name: string) =>
  `The group "${name}" is managed by your identity provider (SCIM); change it there`;

/** Refuses a change to a group the IdP owns. */
export function assertAdminManaged(group: { id: string; displayName: string; source: UserSource }): void {
  if (group.source === 'scim') throw new IdpManagedError(idpManagedMessage(group.displayName), { groupId: group.id, displayName: group.displayName });
}

// The list is sorted by name; names are unique per org case-insensitively, so
// the lower-cased name alone is a stable keyset cursor.
const encodeCursor = (name: string) => Buffer.from(name, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!name || encodeCursor(name) !== cursor) throw ValidationError.field('cursor', 'is not a cursor this list returned');
  return name;
}

export interface EntryPointQuery {
  q?: string | undefined;
  source?: UserSource | undefined;
  cursor?: string | undefined;
  limit: number;
}

export async function listEntryPoints(em: Em, scope: Pick<Scope, 'orgId'>, query: EntryPointQuery): Promise<{ groups: EntryPoint[]; nextCursor: string | null }> {
  const where = ['g.org_id = ?'];
  const params: unknown[] = [scope.orgId];
  const q = query.q?.trim();
  if (q) {
    where.push(`(g.display_name ilike ? escape '!' or g.description ilike ? escape '!')`);
    params.push(likePattern(q), likePattern(q));
  }
  if (query.source) {
    where.push('g.source = ?');
    params.push(query.source);
  }
  if (query.cursor !== undefined) {
    where.push('lower(g.display_name) > ?');
    params.push(decodeCursor(query.cursor));
  }
  const rows = await em.execute(
    `select ${columnsSql} from groups g where ${where.join(' and ')} order by lower(g.display_name) limit ?`,
    [...params, query.limit + 1],
  );
  const groups = rows.slice(0, query.limit).map(rowToEntryPoint);
  const more = rows.length > query.limit;
  return { groups, nextCursor: more ? encodeCursor(groups[groups.length - 1]!.displayName.toLowerCase()) : null };
}

export async function getEntryPoint(em: Em, scope: Pick<Scope, 'orgId'>, id: string, options: { lock?: boolean } = {}): Promise<EntryPoint> {
  if (isUuid(id)) {
    if (options.lock) await em.execute('select id from groups where org_id = ? and id = ? for update', [scope.orgId, id]);
    const rows = await em.execute(`select ${columnsSql} from groups g where g.org_id = ? and g.id = ?`, [scope.orgId, id]);
    if (rows[0]) return rowToEntryPoint(rows[0]);
  }
  throw new NotFoundError('Group', id);
}

/** Several groups of this org by id, in one read; ids of other orgs or unknown ids are simply absent. */
export async function findEntryPoints(em: Em, scope: Pick<Scope, 'orgId'>, ids: string[]): Promise<Map<string, EntryPoint>> {
  const valid = [...new Set(ids.filter(isUuid))];
  if (!valid.length) return new Map();
  const rows = await em.execute(`select ${columnsSql} from groups g where g.org_id = ? and g.id in (${valid.map(() => '?').join(', ')})`, [scope.orgId, ...valid]);
  return new Map(rows.map((row) => [String(row.id), rowToEntryPoint(row)]));
}

/**
 * One page of a group's live members, oldest membership first. The cursor is
 * the last membership's id; its exact addedAt is read back in SQL, so rows
 * added in the same millisecond are neither skipped nor repeated.
 */
export async function listGroupMembers(
  em: Em,
  scope: Pick<Scope, 'orgId'>,
  groupId: string,
  /** `cursorField`: the query parameter that carried the cursor, as a refusal names it (default `cursor`). */
  page: { cursor?: string | undefined; limit: number; cursorField?: string },
): Promise<{ members: GroupMemberRow[]; nextCursor: string | null }> {
  await getEntryPoint(em, scope, groupId);
  if (page.cursor !== undefined && !isUuid(page.cursor)) throw ValidationError.field(page.cursorField ?? 'cursor', 'is not a cursor this list returned');
  const rows = await em.execute(
    `select m.id as membership_id, m.role, m.source, m.via_mapping, m.added_at, u.id, u.user_name, u.display_name, u.email
     from memberships m join users u on u.id = m.user_id
     where m.org_id = ? and m.group_id = ? and u.state <> 'deleted'${page.cursor ? ' and (m.added_at, m.id) > (select c.added_at, c.id from memberships c where c.id = ? and c.group_id = m.group_id)' : ''}
     order by m.added_at, m.id limit ?`,
    [scope.orgId, groupId, ...(page.cursor ? [page.cursor] : []), page.limit + 1],
  );
  const members = rows.slice(0, page.limit).map((row) => ({
    userId: String(row.id),
    userName: String(row.user_name),
    displayName: (row.display_name as string | null) ?? null,
    email: (row.email as string | null) ?? null,
    role: String(row.role),
    source: row.source as UserSource,
    viaMapping: row.via_mapping === true,
    addedAt: toDate(row.added_at),
  }));
  return { members, nextCursor: rows.length > page.limit ? String(rows[page.limit - 1]!.membership_id) : null };
}

export interface EntryPointInput {
  displayName?: string | undefined;
  description?: string | null | undefined;
}

export async function createEntryPoint(tx: Em, scope: Scope, input: { displayName: string; description?: string | null | undefined }): Promise<EntryPoint> {
  const group = await createGroup(
    tx,
    scope,
    { displayName: input.displayName, description: input.description?.trim() || null, externalId: null, scimAttributes: {} },
    [],
    'admin',
  );
  return getEntryPoint(tx, scope, group.id);
}

function conflictOnName(error: unknown, name: string): never {
  if (uniqueViolationField(error) === 'displayName') {
    throw new ConflictError('displayName', `A group named "${name}" already exists in this organization (names are compared case-insensitively)`);
  }
  throw error;
}

/**
 * Renames or re-describes a group the org manages; no difference → nothing written, no event.
 * `ifMatch` (If-Match): only while the group is at one of those versions (its row locked), else StaleVersionError.
 */
export async function updateEntryPoint(tx: Em, scope: Scope, id: string, input: EntryPointInput, ifMatch?: IfMatch): Promise<EntryPoint> {
  const current = await getEntryPoint(tx, scope, id, { lock: true });
  assertIfMatch(ifMatch, current.version, 'Group', id);
  assertAdminManaged(current);
  const next = validateGroupFields({
    displayName: input.displayName ?? current.displayName,
    description: input.description === undefined ? current.description : input.description?.trim() || null,
    externalId: current.externalId,
    scimAttributes: {},
  });
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (next.displayName !== current.displayName) changes.displayName = { from: current.displayName, to: next.displayName };
  if (next.description !== current.description) changes.description = { from: current.description, to: next.description };
  if (!Object.keys(changes).length) return current;
  try {
    await tx.execute(
      'update groups set display_name = ?, description = ?, version = version + 1, updated_at = now() where id = ? and org_id = ?',
      [next.displayName, next.description, id, scope.orgId],
    );
  } catch (error) {
    conflictOnName(error, next.displayName);
  }
  await recordAuditSql(tx, scope, { action: 'group.updated', target: { type: 'group', id, label: next.displayName }, details: { changes } });
  return getEntryPoint(tx, scope, id);
}

/**
 * Deletes a group the org manages. With members it needs `force`: a click
 * should not silently take access away from many people. The group row is
 * locked first, so a member added meanwhile is counted, not lost unseen.
 * `ifMatch` as for updateEntryPoint.
 */
export async function deleteEntryPoint(tx: Em, scope: Scope, id: string, force: boolean, ifMatch?: IfMatch): Promise<void> {
  const group = await getEntryPoint(tx, scope, id, { lock: true });
  assertIfMatch(ifMatch, group.version, 'Group', id);
  assertAdminManaged(group);
  if (group.memberCount > 0 && !force) {
    throw new NotEmptyError(
      `The group "${group.displayName}" has ${group.memberCount} member${group.memberCount === 1 ? '' : 's'}; delete it with ?force=true to remove their memberships too`,
      { groupId: id, memberCount: group.memberCount },
    );
  }
  // Each member loses a membership as if removed one by one: a membership.removed each (their trail, the feed), then the group goes.
  const members = await tx.execute(
    `select m.user_id, u.user_name, m.role, m.source, m.via_mapping from memberships m join users u on u.id = m.user_id and u.org_id = m.org_id
     where m.group_id = ? and m.org_id = ? order by m.user_id`,
    [id, scope.orgId],
  );
  const removed = await writeMembershipChanges(tx, scope, members.map((m) => ({
    action: 'remove' as const, user: { id: String(m.user_id), label: String(m.user_name) }, group: { id, label: group.displayName },
    role: String(m.role), source: m.source as UserSource, viaMapping: Boolean(m.via_mapping),
  })), { reason: 'group_deleted' });
  await tx.execute('delete from groups where id = ? and org_id = ?', [id, scope.orgId]);
  await recordAuditSql(tx, scope, {
    action: 'group.deleted',
    target: { type: 'group', id, label: group.displayName },
    details: { force, membershipsRemoved: removed.length },
  });
}
