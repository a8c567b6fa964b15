import type { Em } from '../db/orm.ts';
import type { UserSource } from '../db/entities/index.ts';
import { isUuid } from '../lib/ids.ts';
import { IdpManagedError, NotFoundError, TransitionError, ValidationError } from './errors.ts';
import { assertAdminManaged, findEntryPoints, getEntryPoint } from './entry-points.ts';
import { checkRole, lockUsers, membershipRoles, writeMembershipChanges, type MemberUser, type MembershipChange } from './membership-changes.ts';
import type { Scope } from './scope.ts';
import { toDate } from './user-record.ts';
import { defaultMembershipRole } from './org-settings.ts';

/**
 * Who has access to what, with which role, as admins change it: a person's
 * whole set at once (PUT /users/:id/memberships) or many people in one group
 * (POST/DELETE /groups/:id/members). Memberships SCIM made, directly or through
 * an IdP group mapping, belong to the IdP: kept, never changed or removed here.
 */

export interface UserMembership {
  groupId: string;
  groupDisplayName: string;
  groupSource: UserSource;
  role: string;
  source: UserSource;
  viaMapping: boolean;
  addedAt: Date;
}

interface HeldRow extends UserMembership {
  userId: string;
}

/** The IdP owns it: SCIM made the row, or the group itself is a SCIM group. */
export const idpOwned = (m: { source: UserSource; groupSource: UserSource }) => m.source === 'scim' || m.groupSource === 'scim';

/** A person's or a group's memberships, with the group's name and source. */
export async function heldMemberships(em: Em, scope: Pick<Scope, 'orgId'>, where: { userId?: string; groupId?: string; userIds?: string[] }): Promise<HeldRow[]> {
  const conditions = ['m.org_id = ?'];
  const params: unknown[] = [scope.orgId];
  if (where.userId) {
    conditions.push('m.user_id = ?');
    params.push(where.userId);
  }
  if (where.groupId) {
    conditions.push('m.group_id = ?');
    params.push(where.groupId);
  }
  if (where.userIds) {
    if (!where.userIds.length) return [];
    conditions.push(`m.user_id in (${where.userIds.map(() => '?').join(', ')})`);
    params.push(...where.userIds);
  }
  const rows = await em.execute(
    `select m.user_id, m.group_id, g.display_name, g.source as group_source, m.role, m.source, m.via_mapping, m.added_at
     from memberships m join groups g on g.id = m.group_id where ${conditions.join(' and ')} order by lower(g.display_name), g.id`,
    params,
  );
  return rows.map((row) => ({
    userId: String(row.user_id),
    groupId: String(row.group_id),
    groupDisplayName: String(row.display_name),
    groupSource: row.group_source as UserSource,
    role: String(row.role),
    source: row.source as UserSource,
    viaMapping: row.via_mapping === true,
    addedAt: toDate(row.added_at),
  }));
}

const strip = ({ userId: _userId, ...membership }: HeldRow): UserMembership => membership;

/** Users named by id, all of this org and none deleted: 404 names an unknown id, 409 a deleted user. */
async function liveUsers(tx: Em, scope: Scope, ids: string[]): Promise<Map<string, MemberUser>> {
  const bad = ids.find((id) => !isUuid(id));
  if (bad !== undefined) throw new NotFoundError('User', bad);
  const users = await lockUsers(tx, scope, ids);
  const unknown = ids.find((id) => !users.has(id));
  if (unknown !== undefined) throw new NotFoundError('User', unknown);
  const deleted = [...users.values()].filter((u) => u.state === 'deleted');
  if (deleted.length) {
    throw new TransitionError(`Deleted users cannot be given or lose memberships; restore them first: ${deleted.map((u) => u.userName).join(', ')}`, {
      reason: 'user_deleted',
      userIds: deleted.map((u) => u.id),
    });
  }
  return users;
}

/** 409 scim_managed naming the IdP's memberships among these, if any. */
export function refuseIdpOwned(owned: Array<{ groupDisplayName: string; groupId: string; userId?: string }>, what: string): void {
  if (!owned.length) return;
  const names = [...new Set(owned.map((m) => `"${m.groupDisplayName}"`))].join(', ');
  throw new IdpManagedError(`${what} managed by your identity provider and cannot be changed here: ${names}`, {
    memberships: owned.map((m) => ({ groupId: m.groupId, displayName: m.groupDisplayName, ...(m.userId ? { userId: m.userId } : {}) })),
  });
}

export async function listUserMemberships(em: Em, scope: Pick<Scope, 'orgId'>, userId: string): Promise<UserMembership[]> {
  const found = isUuid(userId) ? await em.execute('select id from users where org_id = ? and id = ?', [scope.orgId, userId]) : [];
  if (!found.length) throw new NotFoundError('User', userId);
  return (await heldMemberships(em, scope, { userId })).map(strip);
}

export interface WantedMembership {
  groupId: string;
  role: string;
}

/**
 * Makes the person's memberships exactly the given set: adds, role changes and
 * removals in one transaction. IdP-owned memberships left out of the set are
 * kept (they are the IdP's to remove); naming one with another role, or adding
 * someone to a SCIM group, is refused with 409 scim_managed.
 */
export async function setUserMemberships(tx: Em, scope: Scope, userId: string, wanted: WantedMembership[]): Promise<{ memberships: UserMembership[]; changes: MembershipChange[] }> {
  const user = (await liveUsers(tx, scope, [userId])).get(userId)!;
  const roles = await membershipRoles(tx, scope);
  const seen = new Set<string>();
  wanted.forEach((w, i) => {
    if (seen.has(w.groupId)) throw ValidationError.field(`memberships.${i}.groupId`, 'names a group already in the list');
    seen.add(w.groupId);
    checkRole(w.role, roles, `memberships.${i}.role`);
  });
  const groups = await findEntryPoints(tx, scope, wanted.map((w) => w.groupId));
  const unknown = wanted.find((w) => !groups.has(w.groupId));
  if (unknown) throw new NotFoundError('Group', unknown.groupId);

  const held = new Map((await heldMemberships(tx, scope, { userId })).map((m) => [m.groupId, m]));
  const label = { id: user.id, label: user.userName };
  const changes: MembershipChange[] = [];
  const owned: HeldRow[] = [];
  for (const w of wanted) {
    const group = groups.get(w.groupId)!;
    const current = held.get(w.groupId);
    if (!current) {
      if (group.source === 'scim') {
        owned.push({ userId, groupId: group.id, groupDisplayName: group.displayName, groupSource: group.source, role: w.role, source: 'admin', viaMapping: false, addedAt: new Date() });
        continue;
      }
      changes.push({ action: 'add', user: label, group: { id: group.id, label: group.displayName }, role: w.role, source: 'admin', viaMapping: false });
    } else if (current.role !== w.role) {
      if (idpOwned(current)) owned.push(current);
      else changes.push({ action: 'change', user: label, group: { id: group.id, label: group.displayName }, role: w.role, source: current.source, viaMapping: current.viaMapping, from: current });
    }
  }
  refuseIdpOwned(owned, 'These memberships are');
  for (const current of held.values()) {
    if (seen.has(current.groupId) || idpOwned(current)) continue;
    changes.push({ action: 'remove', user: label, group: { id: current.groupId, label: current.groupDisplayName }, role: current.role, source: current.source, viaMapping: current.viaMapping });
  }
  const written = await writeMembershipChanges(tx, scope, changes);
  return { memberships: (await heldMemberships(tx, scope, { userId })).map(strip), changes: written };
}

export interface MemberInput {
  userId: string;
  role?: string | undefined;
}

function uniqueIds(ids: string[], field: (i: number) => string): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) throw ValidationError.field(field(i), 'names a user already in the list');
    seen.add(id);
  });
}

/**
 * Adds many people to a group the org manages. Without a role a new member
 * gets the org's first role (the least access); an existing member keeps
 * theirs unless a role is given.
 */
export async function addGroupMembers(tx: Em, scope: Scope, groupId: string, members: MemberInput[]) {
  const group = await getEntryPoint(tx, scope, groupId);
  assertAdminManaged(group);
  uniqueIds(members.map((m) => m.userId), (i) => `members.${i}.userId`);
  const roles = await membershipRoles(tx, scope);
  members.forEach((m, i) => m.role !== undefined && checkRole(m.role, roles, `members.${i}.role`));
  const users = await liveUsers(tx, scope, members.map((m) => m.userId));
  const held = new Map((await heldMemberships(tx, scope, { groupId, userIds: members.map((m) => m.userId) })).map((m) => [m.userId, m]));
  const changes: MembershipChange[] = [];
  const owned: HeldRow[] = [];
  const unchanged: string[] = [];
  const target = { id: group.id, label: group.displayName };
  for (const m of members) {
    const user = { id: m.userId, label: users.get(m.userId)!.userName };
    const current = held.get(m.userId);
    if (!current) changes.push({ action: 'add', user, group: target, role: m.role ?? defaultMembershipRole({ roles }), source: 'admin', viaMapping: false });
    else if (m.role === undefined || m.role === current.role) unchanged.push(m.userId);
    else if (idpOwned(current)) owned.push(current);
    else changes.push({ action: 'change', user, group: target, role: m.role, source: current.source, viaMapping: current.viaMapping, from: current });
  }
  refuseIdpOwned(owned, 'Memberships in this group for these people are');
  const written = await writeMembershipChanges(tx, scope, changes);
  return {
    added: written.filter((c) => c.action === 'add').map((c) => c.user.id),
    roleChanged: written.filter((c) => c.action === 'change').map((c) => c.user.id),
    unchanged,
  };
}

/** Removes many people from a group the org manages; people who were not members are listed, not refused. */
export async function removeGroupMembers(tx: Em, scope: Scope, groupId: string, userIds: string[]) {
  const group = await getEntryPoint(tx, scope, groupId);
  assertAdminManaged(group);
  uniqueIds(userIds, (i) => `userIds.${i}`);
  const users = await liveUsers(tx, scope, userIds);
  const held = new Map((await heldMemberships(tx, scope, { groupId, userIds })).map((m) => [m.userId, m]));
  const owned = userIds.map((id) => held.get(id)).filter((m): m is HeldRow => m !== undefined && idpOwned(m));
  refuseIdpOwned(owned, 'Memberships in this group for these people are');
  const changes: MembershipChange[] = userIds.flatMap((id) => {
    const current = held.get(id);
    if (!current) return [];
    return [{ action: 'remove' as const, user: { id, label: users.get(id)!.userName }, group: { id: group.id, label: group.displayName }, role: current.role, source: current.source, viaMapping: current.viaMapping }];
  });
  const written = await writeMembershipChanges(tx, scope, changes);
  return { removed: written.map((c) => c.user.id), notMembers: userIds.filter((id) => !held.has(id)) };
}
