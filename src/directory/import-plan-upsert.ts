import { uuidv7 } from '../lib/ids.ts';
import { joinedName, sameCell, tooLong, updatedFields, withinShortestLimit } from './import-checks.ts';
import type { Existing } from './import-directory.ts';
import { planGroups, type RowGroups } from './import-groups.ts';
import { takeSeat, type PlanContext } from './import-plan-context.ts';
import { groupsAdded, newUserFields, type CreateData } from './import-rows.ts';
import { importProfileFields, type ImportProfileField, type ImportValues, type Planned, type PlannedGroup, type RowProblem } from './imports.ts';
import { splitName } from './invitation-addresses.ts';
import { isEnabled } from './lifecycle.ts';
import { activeUsers } from './license.ts';
import { planManager, type PlannedManager } from './import-managers.ts';

/**
 * An `upsert` (or `sync`) row planned: a new person is created (invited), a
 * matched one updated with what the row changes — fields, status, groups and
 * roles there — and every problem the commit would meet is said now.
 */

type Profile = Partial<Record<ImportProfileField, string>>;

/** A deleted person's row, in every mode: restoring is the admin's call, not a file's. */
export const deletedProblem: RowProblem = { column: null, reason: 'user_deleted', message: 'this person was deleted; restore them first' };

/** except-scim keeps SCIM users untouched in every mode: not their fields, status or groups. */
export const exceptScimProblem: RowProblem = { column: null, reason: 'scim_managed', message: 'provisioned over SCIM; kept (except-scim)' };

const noSeats = (ctx: PlanContext, column: string | null): RowProblem => ({ column, reason: 'no_seats', message: `no seat left: the licence allows ${activeUsers(ctx.seats.limit ?? 0)}` });

export function planUpsert(ctx: PlanContext, plan: Planned, v: ImportValues, user: Existing | undefined): void {
  const rowGroups = planGroups(ctx, v, plan.errors);
  const manager = planManager(ctx, v, user);
  if (manager.problem) plan.errors.push(manager.problem);
  if (plan.errors.length) return;
  const profile: Profile = {};
  for (const field of importProfileFields) if (v[field] !== undefined) profile[field] = v[field];
  const displayName = joinedName(profile, user?.profile, ctx.reading);
  if (displayName !== undefined) profile.displayName = displayName;
  if (user) planUpdate(ctx, plan, v, user, profile, rowGroups, manager);
  else planCreate(ctx, plan, v, profile, rowGroups, manager);
}

/** A row naming someone by User ID or User Name who is not here: that is what went wrong, not a missing address. */
function unmatchedProblem(ctx: PlanContext, v: ImportValues): RowProblem {
  const by = v.userId !== undefined ? (['userId', 'User ID', 'user ID'] as const) : v.userName !== undefined ? (['userName', 'User Name', 'user name'] as const) : null;
  if (by) return { column: ctx.col(by[0], by[1]), reason: 'not_found', message: `nobody in this organization has this ${by[2]} (a new person needs an email address)` };
  return { column: ctx.col('email', 'Email'), reason: 'missing_required', message: 'a new person needs an email address' };
}

function planCreate(ctx: PlanContext, plan: Planned, v: ImportValues, profile: Profile, rowGroups: RowGroups, manager: PlannedManager): void {
  const { col, options, seats } = ctx;
  const errors = plan.errors;
  if (!v.email) {
    errors.push(unmatchedProblem(ctx, v));
    return;
  }
  if (!withinShortestLimit(v.email, profile)) {
    const fields = newUserFields(v.email, profile);
    errors.push(...tooLong(fields, profile, col));
    // An invitation names its profile from the display name first (invitations.ts), whatever the file's first and last names.
    if (!options.noInvite && (profile.givenName !== undefined || profile.familyName !== undefined)) {
      errors.push(...tooLong({ ...fields, ...splitName(profile.displayName ?? null) }, {}, col).filter((p) => !errors.some((e) => e.column === p.column)));
    }
  }
  errors.push(...rowGroups.groups.filter((g) => rowGroups.scimGroups.has(g)).map(rowGroups.scimProblem));
  if (errors.length) return;
  const active = v.status !== 'disabled';
  // Invitees hold no seat, but none can be invited once the seats are used up (see invitations.ts).
  if (options.noInvite ? active && !takeSeat(seats, plan.line) : seats.left <= 0) {
    errors.push(noSeats(ctx, null));
    return;
  }
  plan.action = 'create';
  plan.label = v.email.toLowerCase();
  // The id is allocated now so the commit's bulk path writes the user without reading anything back;
  // a create's changes are its data, derived when read (import-rows.ts createChanges), not stored twice.
  plan.data = { email: v.email.toLowerCase(), newUserId: uuidv7(), profile, status: v.status ?? null, groups: rowGroups.groups, ...(manager.data ? { manager: manager.data } : {}) } satisfies CreateData;
}

interface MembershipChanges {
  added: PlannedGroup[];
  roleChanged: PlannedGroup[];
  groupRoles: Record<string, { from: string; to: string }>;
}

/** The row's groups the person is not in (added), and those whose role the row names anew (roleChanged). */
function membershipChanges(ctx: PlanContext, user: Existing, rowGroups: RowGroups, errors: RowProblem[]): MembershipChanges {
  const result: MembershipChanges = { added: [], roleChanged: [], groupRoles: {} };
  for (const g of rowGroups.groups) {
    const held = g.groupId ? ctx.dir.memberships.get(`${user.id}:${g.groupId}`) : undefined;
    const scim = rowGroups.scimGroups.has(g);
    if (!held) {
      if (scim) errors.push(rowGroups.scimProblem(g));
      else result.added.push(g);
    } else if (rowGroups.explicit.has(g) && held.role !== g.role) {
      if (scim || held.scim) errors.push(rowGroups.scimProblem(g));
      else {
        result.roleChanged.push({ ...g, roleChange: true });
        result.groupRoles[g.name] = { from: held.role, to: g.role };
      }
    }
  }
  return result;
}

/**
 * Only the fields that change are written at commit: a cell that reads as the stored value (trimmed,
 * or but for the letters Windows-1252 lacks) leaves it exactly as stored, as the preview shows.
 */
function profileChanges(ctx: PlanContext, user: Existing, profile: Profile): { changes: Record<string, unknown>; changedProfile: Profile } {
  const changes: Record<string, unknown> = {};
  const changedProfile: Profile = {};
  for (const [field, to] of Object.entries(profile) as Array<[ImportProfileField, string]>) {
    if (sameCell(user.profile[field], to, ctx.reading)) continue;
    changes[field] = { from: user.profile[field], to };
    changedProfile[field] = to;
  }
  return { changes, changedProfile };
}

/** What the Status cell changes, taking a seat for a reactivation; or the problem when no seat is left. */
function statusChange(ctx: PlanContext, line: number | null, v: ImportValues, user: Existing): { change?: { from: string; to: string }; problem?: RowProblem } {
  if (v.status === 'disabled') return isEnabled(user.state) ? { change: { from: user.status, to: 'disabled' } } : {};
  if (v.status !== 'active' || user.state !== 'disabled') return {};
  // An invitee who never registered gets their invitation back, and holds no seat.
  if (user.returnsTo === 'invited') return { change: { from: 'disabled', to: 'pending' } };
  if (!takeSeat(ctx.seats, line)) return { problem: noSeats(ctx, ctx.col('status', 'Status')) };
  return { change: { from: 'disabled', to: 'active' } };
}

/** Why a matched person's changes cannot be made: SCIM manages their fields and status, or they are the last org admin. */
function refusal(ctx: PlanContext, v: ImportValues, user: Existing, changes: Record<string, unknown>): RowProblem | null {
  const fields = Object.keys(changes);
  if (user.source === 'scim' && fields.length) {
    return { column: null, reason: 'scim_managed', message: `${fields.join(', ')} ${fields.length === 1 ? 'is' : 'are'} managed by the identity provider (SCIM)` };
  }
  return changes.status && v.status === 'disabled' ? ctx.lastAdmin(user, ctx.col('status', 'Status')) : null;
}

function planUpdate(ctx: PlanContext, plan: Planned, v: ImportValues, user: Existing, profile: Profile, rowGroups: RowGroups, manager: PlannedManager): void {
  const errors = plan.errors;
  const kept = user.state === 'deleted' ? deletedProblem : user.source === 'scim' && ctx.options.exceptScim ? exceptScimProblem : null;
  if (kept) {
    errors.push(kept);
    return;
  }
  if (!withinShortestLimit(user.userName, profile)) errors.push(...tooLong(updatedFields(user.userName, profile), profile, ctx.col));
  const { added, roleChanged, groupRoles } = membershipChanges(ctx, user, rowGroups, errors);
  if (errors.length) return;
  const { changes, changedProfile } = profileChanges(ctx, user, profile);
  if (manager.change) changes.manager = manager.change;
  const status = statusChange(ctx, plan.line, v, user);
  if (status.change) changes.status = status.change;
  const refused = status.problem ?? refusal(ctx, v, user, changes);
  if (refused) {
    errors.push(refused);
    return;
  }
  if (added.length) changes.groups = groupsAdded(added);
  // As a create row says it: the groups the commit makes (createGroups) are named, whoever joins them.
  if (added.some((g) => !g.groupId)) changes.createGroups = added.filter((g) => !g.groupId).map((g) => g.name);
  if (roleChanged.length) changes.groupRoles = groupRoles;
  plan.action = Object.keys(changes).length ? 'update' : 'unchanged';
  plan.data = { profile: changedProfile, status: v.status ?? null, groups: [...added, ...roleChanged], ...(manager.change ? { manager: manager.data } : {}) };
  plan.changes = changes;
}
