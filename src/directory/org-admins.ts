import type { Em } from '../db/orm.ts';
import { jsonStringList } from '../db/jsonb.ts';
import { orgRoles, type OrgRole, type UserState } from '../db/entities/index.ts';
import { isUuid } from '../lib/ids.ts';
import { recordAuditSql } from './audit.ts';
import { LastOrgAdminError, NotFoundError, StaleVersionError, TransitionError, ValidationError } from './errors.ts';
import { isEnabled } from './lifecycle.ts';
import { isPermission, permissions as allPermissions, type Permission } from './permissions.ts';
import type { Scope } from './scope.ts';

/**
 * Org roles and granted permissions (issue 7), and the rule that keeps an org
 * manageable: the last enabled org admin of an org cannot be disabled, deleted
 * or demoted, whichever door (admin API, CSV, SCIM) asks. An org with no org
 * admin at all (managed by tokens only) is not affected.
 */

export type AdminLoss = 'disable' | 'delete' | 'demote';

/** True when the change removes an enabled org admin, so the guard must run. */
export function losesOrgAdmin(user: { orgRole: OrgRole; state: UserState }): boolean {
  return user.orgRole === 'org_admin' && isEnabled(user.state);
}

const lossWords: Record<AdminLoss, string> = { disable: 'disabled', delete: 'deleted', demote: 'demoted' };

/**
 * Refuses when `userId` is the org's only enabled org admin. Runs inside the
 * change's transaction and locks the org row first (the seat lock's row, so the
 * order of locks is the same everywhere): two admins disabling each other at
 * once queue here, and the second one counts the first one's committed change.
 */
export async function assertNotLastOrgAdmin(em: Em, scope: Pick<Scope, 'orgId'>, userId: string, loss: AdminLoss): Promise<void> {
  if (!em.isInTransaction()) throw new Error('assertNotLastOrgAdmin() must run inside a transaction, or its lock ends at once');
  await em.execute('select id from organizations where id = ? for update', [scope.orgId]);
  const rows = await em.execute(
    `select count(*)::int as n from users where org_id = ? and org_role = 'org_admin' and state in ('active', 'invited') and id <> ?`,
    [scope.orgId, userId],
  );
  if (Number(rows[0]?.n ?? 0) > 0) return;
  throw new LastOrgAdminError(
    `This is the organization's last org admin; they cannot be ${lossWords[loss]}. Make someone else an org admin first`,
    { userId, change: loss },
  );
}

export interface UserAccess {
  orgRole: OrgRole;
  permissions: Permission[];
}

export interface AccessChange {
  orgRole?: OrgRole | undefined;
  permissions?: readonly string[] | undefined;
}

function storedPermissions(value: unknown): Permission[] {
  return jsonStringList(value).filter(isPermission);
}

/** Sorted in the order of the permission list, without repeats: the same set always reads the same. */
function normalised(list: readonly Permission[]): Permission[] {
  return allPermissions.filter((p) => list.includes(p));
}

/** A user's org role and granted permissions. */
export async function getUserAccess(em: Em, scope: Pick<Scope, 'orgId'>, userId: string): Promise<UserAccess & { userName: string }> {
  const rows = isUuid(userId)
    ? await em.execute(`select user_name, org_role, permissions from users where org_id = ? and id = ? and state <> 'deleted'`, [scope.orgId, userId])
    : [];
  if (!rows[0]) throw new NotFoundError('User', userId);
  return { userName: String(rows[0].user_name), orgRole: rows[0].org_role as OrgRole, permissions: normalised(storedPermissions(rows[0].permissions)) };
}

/**
 * Sets a user's org role and/or permissions (only what the change names). One
 * `user.access_changed` event with before/after; nothing is written when nothing
 * changes. Demoting the last enabled org admin is refused.
 */
export async function setUserAccess(em: Em, scope: Scope, userId: string, change: AccessChange): Promise<{ access: UserAccess; changed: boolean }> {
  if (change.orgRole !== undefined && !orgRoles.includes(change.orgRole)) throw ValidationError.field('orgRole', `must be one of ${orgRoles.join(', ')}`);
  const unknown = change.permissions?.find((p) => !isPermission(p));
  if (unknown !== undefined) throw ValidationError.field('permissions', `"${unknown.slice(0, 100)}" is not a permission (known: ${allPermissions.join(', ')})`);
  return em.transactional(async (tx) => {
    const rows = isUuid(userId)
      ? await tx.execute(`select user_name, org_role, permissions, state, version from users where org_id = ? and id = ? for update`, [scope.orgId, userId])
      : [];
    const row = rows[0];
    if (!row) throw new NotFoundError('User', userId);
    const state = row.state as UserState;
    if (state === 'deleted') throw new TransitionError('A deleted user cannot be given access; restore them first', { state });
    const before: UserAccess = { orgRole: row.org_role as OrgRole, permissions: normalised(storedPermissions(row.permissions)) };
    const after: UserAccess = {
      orgRole: change.orgRole ?? before.orgRole,
      permissions: change.permissions ? normalised(change.permissions.filter(isPermission)) : before.permissions,
    };
    const sameRole = after.orgRole === before.orgRole;
    const samePermissions = after.permissions.join(',') === before.permissions.join(',');
    if (sameRole && samePermissions) return { access: before, changed: false };
    if (before.orgRole === 'org_admin' && after.orgRole !== 'org_admin' && isEnabled(state)) {
      await assertNotLastOrgAdmin(tx, scope, userId, 'demote');
    }
    const updated = await tx.execute(
      `update users set org_role = ?, permissions = ?::jsonb, version = version + 1, updated_at = now() where id = ? and org_id = ? and version = ? returning id`,
      [after.orgRole, JSON.stringify(after.permissions), userId, scope.orgId, row.version],
    );
    if (!updated.length) throw new StaleVersionError('User', userId);
    await recordAuditSql(tx, scope, {
      action: 'user.access_changed',
      target: { type: 'user', id: userId, label: String(row.user_name) },
      details: {
        changes: {
          ...(sameRole ? {} : { orgRole: { from: before.orgRole, to: after.orgRole } }),
          ...(samePermissions ? {} : { permissions: { from: before.permissions, to: after.permissions } }),
        },
      },
    });
    return { access: after, changed: true };
  });
}

/** The user of an org with this email (case-insensitive), for the CLI's bootstrap command. */
export async function findUserIdByEmail(em: Em, scope: Pick<Scope, 'orgId'>, email: string): Promise<string> {
  const rows = await em.execute(
    `select id from users where org_id = ? and lower(email) = lower(?) and state <> 'deleted' order by created_at limit 2`,
    [scope.orgId, email.trim()],
  );
  if (!rows.length) throw new NotFoundError('User', email);
  if (rows.length > 1) throw new ValidationError([{ field: 'email', reason: 'matches more than one user of this organization; use the user id' }]);
  return String(rows[0]!.id);
}
