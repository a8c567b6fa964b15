import type { Em } from '../db/orm.ts';
import type { UserSource } from '../db/entities/index.ts';
import { uniqueViolationField } from '../db/unique-violation.ts';
import { uuidv7, isUuid } from '../lib/ids.ts';
import { jsonEqual } from '../lib/equal.ts';
import { recordAuditSql } from './audit.ts';
import { mappedMembersOf, syncMappedMemberships } from './mapped-memberships.ts';
import { changedKeys } from './audit-changes.ts';
import { ConflictError, NotFoundError, StaleVersionError, ValidationError } from './errors.ts';
import type { Scope } from './scope.ts';
import { toDate } from './user-record.ts';
import { jsonbValue } from '../db/jsonb.ts';
import { applyMembers, deletedDetails, removedDetails, type MembersChange, type RemovedMember } from './group-members.ts';

export type { MembersChange } from './group-members.ts';

export interface GroupFields {
  displayName: string;
  externalId: string | null;
  description: string | null;
  scimAttributes: Record<string, unknown>;
}

export interface GroupMember {
  id: string;
  userName: string;
  displayName: string | null;
}

export interface GroupRecord extends GroupFields {
  id: string;
  orgId: string;
  source: UserSource;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  /** Present when the read asked for members. */
  members?: GroupMember[];
}

const groupColumnsSql = 'g.id, g.org_id, g.display_name, g.external_id, g.description, g.source, g.scim_attributes, g.version, g.created_at, g.updated_at';

/** The fields a save compares and writes. */
const GROUP_FIELDS = ['displayName', 'externalId', 'description', 'scimAttributes'] as const;

function rowToGroup(row: Record<string, unknown>): GroupRecord {
  const attrs = row.scim_attributes;
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    displayName: String(row.display_name),
    externalId: (row.external_id as string | null) ?? null,
    description: (row.description as string | null) ?? null,
    source: row.source as UserSource,
    scimAttributes: jsonbValue<Record<string, unknown>>(attrs, {}),
    version: Number(row.version),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** A group's display name holds at most this many characters (the column; checked by every door, the CSV preview too). */
export const groupNameMaxLength = 300;

export function validateGroupFields(fields: GroupFields): GroupFields {
  const displayName = typeof fields.displayName === 'string' ? fields.displayName.trim() : '';
  if (!displayName) throw ValidationError.field('displayName', 'is required');
  if (displayName.length > groupNameMaxLength) throw ValidationError.field('displayName', `must be at most ${groupNameMaxLength} characters`);
  if (fields.externalId !== null && (typeof fields.externalId !== 'string' || fields.externalId.length > 320)) {
    throw ValidationError.field('externalId', 'must be a string of at most 320 characters');
  }
  return { ...fields, displayName };
}

async function loadMembers(em: Em, groupIds: string[]): Promise<Map<string, GroupMember[]>> {
  const byGroup = new Map<string, GroupMember[]>(groupIds.map((id) => [id, []]));
  if (!groupIds.length) return byGroup;
  const rows = await em.execute(
    `select m.group_id, u.id, u.user_name, u.display_name from memberships m join users u on u.id = m.user_id
     where m.group_id in (${groupIds.map(() => '?').join(', ')}) and u.state <> 'deleted' order by m.added_at, u.id`,
    groupIds,
  );
  for (const row of rows) {
    byGroup.get(String(row.group_id))?.push({ id: String(row.id), userName: String(row.user_name), displayName: (row.display_name as string | null) ?? null });
  }
  return byGroup;
}

export async function findGroup(em: Em, scope: Pick<Scope, 'orgId'>, id: string, options: { withMembers?: boolean } = {}): Promise<GroupRecord | null> {
  if (!isUuid(id)) return null;
  const rows = await em.execute(`select ${groupColumnsSql} from groups g where g.org_id = ? and g.id = ?`, [scope.orgId, id]);
  if (!rows[0]) return null;
  const group = rowToGroup(rows[0]);
  if (options.withMembers) group.members = (await loadMembers(em, [group.id])).get(group.id) ?? [];
  return group;
}

export async function getGroup(em: Em, scope: Pick<Scope, 'orgId'>, id: string, options: { withMembers?: boolean } = {}): Promise<GroupRecord> {
  const group = await findGroup(em, scope, id, options);
  if (!group) throw new NotFoundError('Group', id);
  return group;
}

export interface GroupQuery {
  where?: { sql: string; params: unknown[] };
  orderBy?: string;
  limit: number;
  offset?: number;
  afterId?: string;
  withMembers?: boolean;
  count?: boolean;
}

export async function queryGroups(em: Em, scope: Pick<Scope, 'orgId'>, query: GroupQuery): Promise<{ groups: GroupRecord[]; total: number }> {
  const where = ['g.org_id = ?'];
  const params: unknown[] = [scope.orgId];
  if (query.where) {
    where.push(`(${query.where.sql})`);
    params.push(...query.where.params);
  }
  const countSql = `select count(*)::int as n from groups g where ${where.join(' and ')}`;
  const countParams = [...params];
  if (query.afterId) {
    where.push('g.id > ?');
    params.push(query.afterId);
  }
  let groups: GroupRecord[] = [];
  if (query.limit > 0) {
    const rows = await em.execute(
      `select ${groupColumnsSql} from groups g where ${where.join(' and ')} order by ${query.orderBy ? `${query.orderBy}, g.id` : 'g.id'} limit ? offset ?`,
      [...params, query.limit, query.offset ?? 0],
    );
    groups = rows.map(rowToGroup);
    if (query.withMembers) {
      const members = await loadMembers(em, groups.map((g) => g.id));
      for (const group of groups) group.members = members.get(group.id) ?? [];
    }
  }
  const total = query.count ? Number((await em.execute(countSql, countParams))[0]?.n ?? 0) : groups.length;
  return { groups, total };
}

function conflictOnName(error: unknown, name: string): never {
  if (uniqueViolationField(error) === 'displayName') {
    throw new ConflictError('displayName', `A group named "${name}" already exists in this organization (names are compared case-insensitively)`);
  }
  throw error;
}

export async function createGroup(em: Em, scope: Scope, input: GroupFields, members: string[], source: UserSource): Promise<GroupRecord> {
  const fields = validateGroupFields(input);
  const id = uuidv7();
  try {
    await em.transactional(async (tx) => {
      await tx.execute(
        `insert into groups (id, org_id, display_name, external_id, description, source, scim_attributes, version, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?::jsonb, 1, now(), now())`,
        [id, scope.orgId, fields.displayName, fields.externalId, fields.description, source, JSON.stringify(fields.scimAttributes)],
      );
      const { added, deletedAdded } = await applyMembers(tx, scope, id, { add: members }, source);
      // IdP group mappings: SCIM members of this group may get mapped memberships.
      // A deleted user's mapped memberships are not recomputed (their memberships wait for a restore).
      if (source === 'scim') await syncMappedMemberships(tx, scope, added.filter((id) => !deletedAdded.includes(id)));
      await recordAuditSql(tx, scope, { action: 'group.created', target: { type: 'group', id, label: fields.displayName }, details: { source, membersAdded: added, ...deletedDetails(deletedAdded) } });
    });
  } catch (error) {
    conflictOnName(error, fields.displayName);
  }
  return getGroup(em, scope, id, { withMembers: true });
}

export interface SaveGroupOptions {
  /** Given (If-Match): the write fails with StaleVersionError unless the group is still at this version. */
  expectedVersion?: number;
  source: UserSource;
}

/**
 * Applies new attributes and a membership change in one transaction. Membership
 * changes are row inserts/deletes, not a rewrite of a list, so concurrent
 * member changes from two requests both land. No change → nothing written.
 */
export async function saveGroup(
  em: Em,
  scope: Scope,
  current: GroupRecord,
  input: GroupFields,
  members: MembersChange,
  options: SaveGroupOptions,
): Promise<{ group: GroupRecord; changed: boolean }> {
  const next = validateGroupFields(input);
  const changes: Record<string, unknown> = {};
  for (const key of GROUP_FIELDS) {
    if (!jsonEqual(current[key], next[key])) changes[key] = key === 'scimAttributes' ? changedKeys(current.scimAttributes, next.scimAttributes) : { from: current[key], to: next[key] };
  }
  let membership = { added: [] as string[], deletedAdded: [] as string[], removed: [] as RemovedMember[] };
  try {
    await em.transactional(async (tx) => {
      const locked = await tx.execute(`select ${groupColumnsSql} from groups g where g.id = ? and g.org_id = ? for update`, [current.id, scope.orgId]);
      const stored = locked[0] ? rowToGroup(locked[0]) : undefined;
      // With If-Match the client pinned a version: any change since is stale. Without it,
      // attribute changes were computed from `current`, so they need its attributes to be the
      // ones still stored (or they would undo someone else's change); member changes are row
      // inserts/deletes and commute, so a concurrent member add never makes a rename stale.
      const stale =
        !stored ||
        (options.expectedVersion !== undefined && stored.version !== options.expectedVersion) ||
        (Object.keys(changes).length > 0 && GROUP_FIELDS.some((key) => !jsonEqual(current[key], stored[key])));
      if (stale) throw new StaleVersionError('Group', current.id);
      membership = await applyMembers(tx, scope, current.id, members, options.source);
      if (!Object.keys(changes).length && !membership.added.length && !membership.removed.length) return;
      const sets: string[] = [];
      const params: unknown[] = [];
      const columns = { displayName: 'display_name', externalId: 'external_id', description: 'description', scimAttributes: 'scim_attributes' } as const;
      for (const key of Object.keys(changes) as Array<keyof typeof columns>) {
        sets.push(key === 'scimAttributes' ? `${columns[key]} = ?::jsonb` : `${columns[key]} = ?`);
        params.push(key === 'scimAttributes' ? JSON.stringify(next[key]) : next[key]);
      }
      await tx.execute(`update groups set ${[...sets, 'version = version + 1', 'updated_at = now()'].join(', ')} where id = ?`, [...params, current.id]);
      await recordAuditSql(tx, scope, {
        action: 'group.updated',
        target: { type: 'group', id: current.id, label: next.displayName },
        details: { changes, membersAdded: membership.added, ...deletedDetails(membership.deletedAdded), membersRemoved: [], ...removedDetails(membership.removed) },
      });
      if (options.source === 'scim') {
        const renamed = 'displayName' in changes ? await mappedMembersOf(tx, scope, current.id) : [];
        const liveAdded = membership.added.filter((id) => !membership.deletedAdded.includes(id));
        await syncMappedMemberships(tx, scope, [...renamed, ...liveAdded, ...membership.removed.map((m) => m.id)]);
      }
    });
  } catch (error) {
    conflictOnName(error, next.displayName);
  }
  const changed = Object.keys(changes).length > 0 || membership.added.length > 0 || membership.removed.length > 0;
  return { group: await getGroup(em, scope, current.id, { withMembers: true }), changed };
}

export async function deleteGroup(em: Em, scope: Scope, id: string, expectedVersion?: number): Promise<void> {
  const group = await getGroup(em, scope, id);
  await em.transactional(async (tx) => {
    const members = await mappedMembersOf(tx, scope, id);
    // The memberships go with the group (cascade): the one audit event lists whose, and the feed gets a
    // membership.removed for each before group.deleted (Migration20261130190000).
    const rows = await tx.execute(
      `with gone as (delete from groups where id = ? and org_id = ?${expectedVersion === undefined ? '' : ' and version = ?'} returning id)
       select gone.id, coalesce((select jsonb_agg(jsonb_build_array(m.user_id, m.role) order by m.user_id) from memberships m where m.group_id = gone.id and m.org_id = ?), '[]'::jsonb) as members
       from gone`,
      [id, scope.orgId, ...(expectedVersion === undefined ? [] : [expectedVersion]), scope.orgId],
    );
    if (!rows.length) throw new StaleVersionError('Group', id);
    const removed = jsonbValue<Array<[string, string]>>(rows[0]!.members, []).map(([userId, role]) => ({ id: String(userId), role: String(role) }));
    await recordAuditSql(tx, scope, { action: 'group.deleted', target: { type: 'group', id, label: group.displayName }, details: removedDetails(removed) });
    await syncMappedMemberships(tx, scope, members);
  });
}
