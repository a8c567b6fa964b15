import { groupNameMaxLength } from './groups.ts';
import type { PlanContext } from './import-plan-context.ts';
import type { GroupCell, ImportValues, PlannedGroup, RowProblem } from './imports.ts';

/**
 * A row's Groups cell (and Role column) resolved against the directory: the
 * groups it names, with the role in each, and the problems the commit would
 * meet (an unknown group or role, a name too long to create, two roles for one group).
 */

export interface RowGroups {
  groups: PlannedGroup[];
  /** Groups whose role the row names (Group:role or the Role column): only those change an existing membership's role. */
  explicit: Set<PlannedGroup>;
  /** Groups the IdP pushed over SCIM (their names as the directory spells them): nobody joins one here, and its memberships' roles are the IdP's. */
  scimGroups: Map<PlannedGroup, string>;
  /** A row adding someone to one of scimGroups, or changing a role there. */
  scimProblem: (g: PlannedGroup) => RowProblem;
}

/** "Team: Platform" names that group when the text after the colon is no role and the group exists. */
export function wholeName(ctx: PlanContext, cell: GroupCell): Pick<GroupCell, 'name' | 'role'> {
  return cell.whole && cell.role && !ctx.roles.includes(cell.role) && ctx.dir.groups.has(cell.whole.toLowerCase()) ? { name: cell.whole, role: null } : cell;
}

/** Resolves the row's groups, adding their problems to `errors`. */
export function planGroups(ctx: PlanContext, v: ImportValues, errors: RowProblem[]): RowGroups {
  const { col } = ctx;
  const planned: RowGroups = { groups: [], explicit: new Set(), scimGroups: new Map(), scimProblem: (g) => scimGroupProblem(planned.scimGroups.get(g) ?? g.name, col('groups', 'Groups')) };
  // Group names ignore case (as the directory's unique index does): one membership per group, one role for it.
  const byName = new Map<string, PlannedGroup & { roles: Set<string> }>();
  // The Role cell is held to the org's roles once, whether or not the row names a group it applies to.
  if (v.role !== undefined && !ctx.roles.includes(v.role)) errors.push(invalidRole(ctx, v.role, col('role', 'Role')));
  for (const cell of v.groups ?? []) {
    const g = wholeName(ctx, cell);
    const role = g.role ?? v.role ?? ctx.defaultRole;
    if (!ctx.roles.includes(role)) {
      if (g.role) errors.push(invalidRole(ctx, role, col('groups', 'Groups')));
      continue;
    }
    const known = byName.get(g.name.toLowerCase());
    if (known) {
      known.roles.add(role);
      continue;
    }
    const found = ctx.findGroup(g.name.toLowerCase());
    const groupId = found?.id ?? null;
    if (!groupId && !ctx.options.createGroups) errors.push({ column: col('groups', 'Groups'), reason: 'unknown_group', message: `no group named "${g.name}"` });
    else if (!groupId && g.name.length > groupNameMaxLength) {
      errors.push({ column: col('groups', 'Groups'), reason: 'too_long', message: `group names must be at most ${groupNameMaxLength} characters` });
    }
    // An existing group is named as the organization spells it ("sales" in the file is "Sales"), a new one as the file does.
    const group: PlannedGroup = { groupId, name: found?.name ?? g.name, role };
    byName.set(g.name.toLowerCase(), { ...group, roles: new Set([role]) });
    planned.groups.push(group);
    if (g.role ?? v.role) planned.explicit.add(group);
    if (found?.scim) planned.scimGroups.set(group, found.name);
  }
  for (const g of byName.values()) {
    if (g.roles.size > 1) errors.push({ column: col('groups', 'Groups'), reason: 'conflicting_roles', message: `names "${g.name}" twice with different roles: ${[...g.roles].join(', ')}` });
  }
  return planned;
}

function invalidRole(ctx: PlanContext, role: string, column: string): RowProblem {
  return { column, reason: 'invalid_role', message: `"${role}" is not one of the organization's roles: ${ctx.roles.join(', ')}` };
}

/** A row that would add someone to a group the IdP pushed over SCIM, or change a role it gave. */
function scimGroupProblem(name: string, column: string | null): RowProblem {
  return { column, reason: 'scim_managed', message: `"${name}" is managed by your identity provider (SCIM): change its members there` };
}
