import type { Em } from '../db/orm.ts';
import type { UserSource } from '../db/entities/index.ts';
import { uuidv7 } from '../lib/ids.ts';
import { recordAuditsSql, type AuditEntry } from './audit.ts';
import { ValidationError } from './errors.ts';
import { getOrgSettings } from './org-settings.ts';
import type { Scope } from './scope.ts';

/**
 * The one write path for membership rows outside SCIM's own group writes:
 * admins (PUT /users/:id/memberships, POST/DELETE /groups/:id/members) and IdP
 * group mappings both describe what should change, and this applies it in a
 * few statements with one audit event per membership changed.
 */

export interface MembershipChange {
  action: 'add' | 'remove' | 'change';
  user: { id: string; label: string };
  group: { id: string; label: string };
  /** The new role (add, change) or the role removed. */
  role: string;
  /** The new source (add, change) or the source removed. */
  source: UserSource;
  /** Whether the row is (or, for remove, was) made by an IdP group mapping. */
  viaMapping: boolean;
  /** change: what the row held before. */
  from?: { role: string; source: UserSource; viaMapping: boolean };
}

const CHUNK = 500;

const key = (groupId: string, userId: string) => `${groupId}:${userId}`;

/**
 * `details.groupId`/`groupName` name the group (the event feed's trigger reads
 * them), `role` is the role the person now holds (or lost), and a change adds
 * `changes` ({field: {from, to}}) as every update event does.
 */
function auditOf(change: MembershipChange, details: Record<string, unknown>): AuditEntry {
  const target = { type: 'user', id: change.user.id, label: change.user.label };
  const base = { groupId: change.group.id, groupName: change.group.label, role: change.role, source: change.source };
  if (change.action === 'change') {
    const changes: Record<string, { from: unknown; to: unknown }> = {};
    if (change.from!.role !== change.role) changes.role = { from: change.from!.role, to: change.role };
    if (change.from!.source !== change.source) changes.source = { from: change.from!.source, to: change.source };
    return { action: changes.role ? 'membership.role_changed' : 'membership.source_changed', target, details: { ...base, changes, ...details } };
  }
  return { action: change.action === 'add' ? 'membership.added' : 'membership.removed', target, details: { ...base, ...details } };
}

/**
 * Applies the changes inside the caller's transaction. Each statement returns
 * the rows it touched and only those are audited, so a row a concurrent request
 * already added or removed is neither written twice nor reported twice.
 */
export async function writeMembershipChanges(tx: Em, scope: Scope, changes: MembershipChange[], details: Record<string, unknown> = {}): Promise<MembershipChange[]> {
  const done = new Set<string>();
  const of = (action: MembershipChange['action']) => changes.filter((c) => c.action === action);
  for (let i = 0, adds = of('add'); i < adds.length; i += CHUNK) {
    const chunk = adds.slice(i, i + CHUNK);
    const rows = await tx.execute(
      `insert into memberships (id, org_id, group_id, user_id, role, source, via_mapping, added_at)
       values ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, now())').join(', ')}
       on conflict (group_id, user_id) do nothing returning group_id, user_id`,
      chunk.flatMap((c) => [uuidv7(), scope.orgId, c.group.id, c.user.id, c.role, c.source, c.viaMapping]),
    );
    for (const row of rows) done.add(`add:${key(String(row.group_id), String(row.user_id))}`);
  }
  for (let i = 0, updates = of('change'); i < updates.length; i += CHUNK) {
    const chunk = updates.slice(i, i + CHUNK);
    const rows = await tx.execute(
      `update memberships m set role = v.role, source = v.source, via_mapping = v.via_mapping
       from (values ${chunk.map(() => '(?::uuid, ?::uuid, ?, ?, ?::boolean)').join(', ')}) as v(group_id, user_id, role, source, via_mapping)
       where m.org_id = ? and m.group_id = v.group_id and m.user_id = v.user_id returning m.group_id, m.user_id`,
      [...chunk.flatMap((c) => [c.group.id, c.user.id, c.role, c.source, c.viaMapping]), scope.orgId],
    );
    for (const row of rows) done.add(`change:${key(String(row.group_id), String(row.user_id))}`);
  }
  for (let i = 0, removals = of('remove'); i < removals.length; i += CHUNK) {
    const chunk = removals.slice(i, i + CHUNK);
    const rows = await tx.execute(
      `delete from memberships m using (values ${chunk.map(() => '(?::uuid, ?::uuid)').join(', ')}) as v(group_id, user_id)
       where m.org_id = ? and m.group_id = v.group_id and m.user_id = v.user_id returning m.group_id, m.user_id`,
      [...chunk.flatMap((c) => [c.group.id, c.user.id]), scope.orgId],
    );
    for (const row of rows) done.add(`remove:${key(String(row.group_id), String(row.user_id))}`);
  }
  const written = changes.filter((c) => done.has(`${c.action}:${key(c.group.id, c.user.id)}`));
  await recordAuditsSql(tx, scope, written.map((c) => auditOf(c, details)));
  return written;
}

/** The org's membership roles (org settings), least access first. */
export async function membershipRoles(em: Em, scope: Pick<Scope, 'orgId'>): Promise<string[]> {
  return (await getOrgSettings(em, scope)).roles;
}

/** Refuses a role that is not in the org's list, naming the field and the allowed roles. */
export function checkRole(role: string, roles: readonly string[], field: string): void {
  if (!roles.includes(role)) throw ValidationError.field(field, `must be one of the organization's roles: ${roles.join(', ')}`);
}

export interface MemberUser {
  id: string;
  userName: string;
  state: string;
}

/**
 * The named users of this org, locked against concurrent membership writes for
 * them (ids in order, so two requests never wait on each other crosswise).
 * FOR NO KEY UPDATE does not block the key-share locks of foreign keys.
 */
export async function lockUsers(tx: Em, scope: Pick<Scope, 'orgId'>, ids: string[]): Promise<Map<string, MemberUser>> {
  const found = new Map<string, MemberUser>();
  const sorted = [...new Set(ids)].sort();
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const chunk = sorted.slice(i, i + CHUNK);
    const rows = await tx.execute(
      `select id, user_name, state from users where org_id = ? and id in (${chunk.map(() => '?').join(', ')}) order by id for no key update`,
      [scope.orgId, ...chunk],
    );
    for (const row of rows) found.set(String(row.id), { id: String(row.id), userName: String(row.user_name), state: String(row.state) });
  }
  return found;
}
