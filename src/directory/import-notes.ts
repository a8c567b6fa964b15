import type { OrgRole } from '../db/entities/index.ts';
import type { PlanContext } from './import-plan-context.ts';
import { wholeName } from './import-groups.ts';
import type { ImportValues, RowProblem } from './imports.ts';

/**
 * A preview row's notes: what the file asks that the import does not do,
 * said on the row (preview, console, report) and never blocking it.
 */

/** An `upsert` or `sync` row's notes; `current` is the matched person's org role (null for a new person). */
export function rowNotes(ctx: PlanContext, v: ImportValues, current: OrgRole | null): RowProblem[] {
  const notes: RowProblem[] = [];
  const orgRole = v.orgRole === undefined ? null : orgRoleNote(v.orgRole, current, ctx.col('orgRole', 'Organization Role'));
  if (orgRole) notes.push(orgRole);
  const role = roleWithoutGroupsNote(ctx, v) ?? roleNamedInGroupsNote(ctx, v);
  if (role) notes.push(role);
  return notes;
}

/**
 * An Organization Role cell that is not the person's role (a new person's: member). The import does not
 * change it: the org role is an access change only an org admin makes (setUserAccess, with the last-admin
 * guard), through the admin API or the CLI; an import needs only users.edit. The row
 * says so rather than read as if the file were applied.
 */
function orgRoleNote(cell: string, current: OrgRole | null, column: string): RowProblem | null {
  if (cell === (current ?? 'member')) return null;
  const now = current ? `the person is ${current}` : 'a new person joins as member';
  return {
    column,
    reason: 'org_role_not_imported',
    message: `the file says ${cell}, ${now}: the organization role is not changed by a CSV import — an org admin changes it with the admin API (PUT /users/:id/access) or the command line (gatehouse user access)`,
  };
}

/**
 * A Role cell on a row that names no group: the Role is the role in the row's groups that name none
 * (README, import columns), so it sets nothing here, and the admin who wrote it should know. One that
 * is not one of the org's roles is refused instead (import-groups.ts).
 */
function roleWithoutGroupsNote(ctx: PlanContext, v: ImportValues): RowProblem | null {
  if (v.role === undefined || v.groups?.length || !ctx.roles.includes(v.role)) return null;
  const groups = ctx.col('groups', 'Groups');
  return {
    column: ctx.col('role', 'Role'),
    reason: 'role_without_groups',
    message: `"${v.role}" is the role in the row's groups, and the row names no group in ${groups}: no role is set — name the groups in ${groups} (e.g. Sales, or Sales:${v.role})`,
  };
}

/**
 * A Role cell on a row whose every group names its own role (`Sales:admin;Ops:member`): the Role
 * applies to none of them, so it sets nothing, as on a row without groups. Said only when it would
 * have differed from a group's own role; a group name with a colon that is no role ("Team: Platform")
 * names no role, and takes the Role (wholeName).
 */
function roleNamedInGroupsNote(ctx: PlanContext, v: ImportValues): RowProblem | null {
  if (v.role === undefined || !v.groups?.length || !ctx.roles.includes(v.role)) return null;
  const cells = v.groups.map((cell) => wholeName(ctx, cell));
  if (cells.some((g) => g.role === null) || cells.every((g) => g.role === v.role)) return null;
  const groups = ctx.col('groups', 'Groups');
  return {
    column: ctx.col('role', 'Role'),
    reason: 'role_named_in_groups',
    message: `"${v.role}" is the role in the row's groups that name none, and every group in ${groups} names its own role (${cells.map((g) => `${g.name}:${g.role}`).join(', ')}): the Role sets nothing on this row — leave it empty, or write a group without its role (e.g. ${cells[0]!.name})`,
  };
}
