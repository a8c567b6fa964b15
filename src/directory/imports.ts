import type { Em } from '../db/orm.ts';
import type { ImportAction, ImportMode, ImportStatus, OrgRole, UserSource, UserState } from '../db/entities/index.ts';
import { isUuid, uuidv7 } from '../lib/ids.ts';
import { NotFoundError, ValidationError } from './errors.ts';
import { isEmailAddress, MAX_EMAIL_LENGTH, splitName } from './invitation-addresses.ts';
import { getLicense } from './license.ts';
import { isEnabled, stateOnReturnSql } from './lifecycle.ts';
import { losesOrgAdmin } from './org-admins.ts';
import { exceedsMassDisable } from './mass-disable.ts';
import { defaultMembershipRole, getOrgSettings } from './org-settings.ts';
import { createChanges, groupsAdded, insertPreviewRows, newUserFields, rowOutcomeSql, rowUserIdSql, type CreateData } from './import-rows.ts';
import { openInvitationsSql } from './import-invitees.ts';
import type { Scope } from './scope.ts';
import { statusSql, type UserStatus } from './status.ts';
import { toDate } from './user-record.ts';
import { groupNameMaxLength } from './groups.ts';
import { joinedName, sameCell, tooLong, updatedFields, type CellReading } from './import-checks.ts';

/**
 * CSV imports, the domain half (issue 6): typed rows from the csv adapter →
 * a preview stored with the import (per row: action, field changes, errors
 * naming the column). Nothing but the preview is written here; the commit
 * (import-commit.ts) applies selected rows through the same domain functions
 * as the admin API and SCIM.
 */

export type ImportField =
  | 'fullName' | 'givenName' | 'familyName' | 'email' | 'userName' | 'userId' | 'groups' | 'department'
  | 'officeLocation' | 'title' | 'phone' | 'employeeNumber' | 'role' | 'status' | 'orgRole';

/** Profile fields an import writes (the admin API's profile fields; email and userName are identity, only matched). */
export const importProfileFields = ['givenName', 'familyName', 'displayName', 'title', 'department', 'officeLocation', 'phone', 'employeeNumber'] as const;
export type ImportProfileField = (typeof importProfileFields)[number];

export interface ImportValues extends Partial<Record<ImportProfileField, string>> {
  email?: string;
  userName?: string;
  userId?: string;
  role?: string;
  /** The Organization Role cell (normalised: `org_admin`): read, never written (orgRoleNote). */
  orgRole?: string;
  status?: 'active' | 'disabled';
  groups?: GroupCell[];
}

export interface RowProblem {
  /** The file's header the problem is about; null for the row as a whole. */
  column: string | null;
  reason: string;
  /** What an admin reads: every problem has one. */
  message: string;
}

export interface ImportRowInput {
  line: number;
  values: ImportValues;
  problems: RowProblem[];
}

export interface ImportFile {
  fileName: string | null;
  encoding: string;
  delimiter: string;
  /** Field → the header naming it in this file, for messages. */
  headers: Partial<Record<ImportField, string>>;
  columns: { readOnly: string[]; unknown: string[]; duplicates: string[] };
  rows: ImportRowInput[];
}

export interface ImportOptions {
  mode: ImportMode;
  noInvite?: boolean;
  createGroups?: boolean;
  exceptScim?: boolean;
}

/** A group named in a Groups cell. */
export interface GroupCell {
  name: string;
  role: string | null;
  /** The part as written, when a colon split it: a group may be named `Team: Platform` (decided at preview). */
  whole?: string;
}

export interface PlannedGroup {
  groupId: string | null;
  name: string;
  role: string;
  /** A group the person is in (or planned in) whose role the row changes; else the group is added. */
  roleChange?: boolean;
}

export interface ImportSummary {
  id: string;
  mode: ImportMode;
  status: ImportStatus;
  fileName: string | null;
  encoding: string;
  delimiter: string;
  options: Omit<ImportOptions, 'mode'>;
  columns: Record<string, unknown>;
  counts: Record<string, number>;
  massDisable: { disable: number; enabled: number; threshold: number; needsForce: boolean };
  progress: { processed: number; total: number; applied: number; failed: number } & Record<string, number>;
  createdAt: Date;
  /** Who uploaded it (a person's email, a token's name, cli:<user>); the commit's actor is in its import.committed event. */
  createdBy: string | null;
  committedAt: Date | null;
}

export interface PreviewRow {
  rowNumber: number;
  line: number | null;
  action: ImportAction;
  userId: string | null;
  label: string | null;
  changes: Record<string, unknown>;
  errors: RowProblem[];
  /** What the file asks that the import does not do (an Organization Role): said, never blocking the row. */
  notes: RowProblem[];
  outcome: string | null;
}

/** A deleted person's row, in every mode: restoring is the admin's call, not a file's. */
const deletedProblem: RowProblem = { column: null, reason: 'user_deleted', message: 'this person was deleted; restore them first' };

/** Sync disables only people the org manages itself; SCIM and SAML-JIT users belong to the IdP. */
export const syncManagedSources: readonly UserSource[] = ['csv', 'invitation', 'admin'];

interface Existing {
  id: string;
  userName: string;
  email: string | null;
  state: UserState;
  /** The documented status word (pending/expired, never the stored `invited`): what previews and reports show. */
  status: UserStatus;
  orgRole: OrgRole;
  source: UserSource;
  /** Where reactivating them leads (lifecycle.ts stateOnReturn): invited for an invitee who never registered. */
  returnsTo: 'invited' | 'active';
  profile: Record<ImportProfileField, string | null>;
}

export interface Planned {
  line: number | null;
  action: ImportAction;
  userId: string | null;
  label: string | null;
  data: Record<string, unknown>;
  changes: Record<string, unknown>;
  errors: RowProblem[];
  notes?: RowProblem[];
}

const profileColumns: Record<ImportProfileField, string> = {
  givenName: 'given_name', familyName: 'family_name', displayName: 'display_name', title: 'title',
  department: 'department', officeLocation: 'office_location', phone: 'phone', employeeNumber: 'employee_number',
};

async function loadDirectory(em: Em, orgId: string, now: Date) {
  const status = statusSql(now, 'users');
  const users = await em.execute(
    `select id, user_name, email, state, ${status.sql} as status, org_role, source, ${stateOnReturnSql('users')} as returns_to,
       ${Object.values(profileColumns).join(', ')} from users where org_id = ? and purged_at is null`,
    [...status.params, orgId],
  );
  const byId = new Map<string, Existing>();
  const byEmail = new Map<string, Existing>();
  const byUserName = new Map<string, Existing>();
  for (const row of users) {
    const profile = {} as Record<ImportProfileField, string | null>;
    for (const [field, column] of Object.entries(profileColumns)) profile[field as ImportProfileField] = (row[column] as string | null) ?? null;
    const user: Existing = {
      id: String(row.id), userName: String(row.user_name), email: (row.email as string | null) ?? null, state: row.state as UserState, status: row.status as UserStatus,
      orgRole: row.org_role as OrgRole, source: row.source as UserSource, returnsTo: row.returns_to === 'invited' ? 'invited' : 'active', profile,
    };
    byId.set(user.id, user);
    // A live profile wins over a deleted one with the same address.
    const live = (other: Existing | undefined) => !other || other.state === 'deleted';
    if (user.email && live(byEmail.get(user.email))) byEmail.set(user.email, user);
    if (live(byUserName.get(user.userName.toLowerCase()))) byUserName.set(user.userName.toLowerCase(), user);
  }
  const groups = new Map<string, { id: string; name: string; scim: boolean }>();
  for (const row of await em.execute('select id, display_name, source from groups where org_id = ?', [orgId])) {
    groups.set(String(row.display_name).toLowerCase(), { id: String(row.id), name: String(row.display_name), scim: row.source === 'scim' });
  }
  // `user:group` → the role held, and whether the IdP made the membership (SCIM: read-only here).
  const memberships = new Map<string, { role: string; scim: boolean }>();
  for (const row of await em.execute('select user_id, group_id, role, source from memberships where org_id = ?', [orgId])) {
    memberships.set(`${row.user_id}:${row.group_id}`, { role: String(row.role), scim: row.source === 'scim' });
  }
  // A pending (or expired) invitee's groups are their open invitation's plan, applied when they register.
  for (const row of await em.execute(`${openInvitationsSql} select o.user_id, im.group_id, im.role from o join invitation_memberships im on im.invitation_id = o.id`, [orgId])) {
    memberships.set(`${row.user_id}:${row.group_id}`, { role: String(row.role), scim: false });
  }
  return { byId, byEmail, byUserName, groups, memberships };
}

type Directory = Awaited<ReturnType<typeof loadDirectory>>;

function match(dir: Directory, values: ImportValues): Existing | undefined {
  if (values.userId && isUuid(values.userId)) {
    const byId = dir.byId.get(values.userId.toLowerCase());
    if (byId) return byId;
  }
  if (values.email) {
    const byEmail = dir.byEmail.get(values.email.toLowerCase()) ?? dir.byUserName.get(values.email.toLowerCase());
    if (byEmail) return byEmail;
  }
  return values.userName ? dir.byUserName.get(values.userName.toLowerCase()) : undefined;
}

/** Builds and stores the preview. Writes only the import and its rows. */
export async function previewImport(em: Em, scope: Scope, file: ImportFile, options: ImportOptions, now: Date = new Date()): Promise<ImportSummary> {
  const settings = await getOrgSettings(em, scope);
  const license = await getLicense(em, scope);
  const dir = await loadDirectory(em, scope.orgId, now);
  const col = (field: ImportField, fallback: string) => file.headers[field] ?? fallback;
  const reading: CellReading = { windows1252: file.encoding === 'windows-1252' };
  // Group names a Windows-1252 file could not spell, looked up once per name (a 100,000-row file names few groups).
  const lossyGroups = new Map<string, { id: string; name: string; scim: boolean } | undefined>();
  const lossyGroup = (name: string) => {
    if (!lossyGroups.has(name)) lossyGroups.set(name, [...dir.groups.values()].find((d) => sameCell(d.name.toLowerCase(), name, reading)));
    return lossyGroups.get(name);
  };
  const defaultRole = defaultMembershipRole(settings);
  let seatsLeft = license.remaining ?? Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  const matched = new Set<string>();
  const planned: Planned[] = [];
  // The commit applies rows in this order and refuses to disable the last enabled org admin
  // (org-admins.ts assertNotLastOrgAdmin): the row that would be refused is flagged now.
  let adminsLeft = 0;
  for (const user of dir.byId.values()) if (losesOrgAdmin(user)) adminsLeft++;
  const lastAdmin = (user: Existing, column: string | null): RowProblem | null => {
    if (!losesOrgAdmin(user)) return null;
    if (adminsLeft > 1) {
      adminsLeft--;
      return null;
    }
    return { column, reason: 'last_org_admin', message: 'this is the organization\'s last org admin (enabled); they cannot be disabled. Make someone else an org admin first' };
  };

  if (options.mode !== 'disable' && file.headers.email === undefined && file.headers.userId === undefined && file.headers.userName === undefined) {
    throw ValidationError.field('file', 'has no Email column (or User Name / User ID): rows cannot be matched to people');
  }
  if (options.mode === 'disable' && file.headers.email === undefined && file.headers.userId === undefined && file.headers.userName === undefined) {
    throw ValidationError.field('file', 'has no Email, User Name or User ID column: nobody can be matched');
  }

  for (const row of file.rows) {
    const v = row.values;
    const errors: RowProblem[] = [...row.problems];
    const label = v.email ?? v.userName ?? v.userId ?? null;
    const plan: Planned = { line: row.line, action: 'skip', userId: null, label, data: {}, changes: {}, errors };
    planned.push(plan);
    if (v.email !== undefined && v.email.length > MAX_EMAIL_LENGTH) {
      errors.push({ column: col('email', 'Email'), reason: 'too_long', message: `must be at most ${MAX_EMAIL_LENGTH} characters` });
    } else if (v.email !== undefined && !isEmailAddress(v.email)) errors.push({ column: col('email', 'Email'), reason: 'invalid_email', message: 'is not a valid email address' });
    const user = match(dir, v);
    if (user) {
      plan.userId = user.id;
      plan.label = user.email ?? user.userName;
      matched.add(user.id);
    }
    if (options.mode !== 'disable' && v.orgRole !== undefined) {
      const note = orgRoleNote(v.orgRole, user?.orgRole ?? null, col('orgRole', 'Organization Role'));
      if (note) plan.notes = [note];
    }
    const key = user?.id ?? v.email?.toLowerCase() ?? v.userName?.toLowerCase();
    if (key !== undefined) {
      if (seen.has(key)) errors.push({ column: col('email', 'Email'), reason: 'duplicate_in_file', message: 'this person is already on an earlier row' });
      seen.add(key);
    }
    if (errors.length) continue;

    if (options.mode === 'disable') {
      if (!user) errors.push({ column: col('email', col('userName', 'User ID')), reason: 'not_found', message: 'nobody in this organization has this email address, user name or user ID' });
      else if (user.state === 'deleted') errors.push(deletedProblem);
      else if (user.source === 'scim' && options.exceptScim) errors.push({ column: null, reason: 'scim_managed', message: 'provisioned over SCIM; kept (except-scim)' });
      else if (!isEnabled(user.state)) plan.action = 'unchanged';
      else {
        const refused = lastAdmin(user, null);
        if (refused) {
          errors.push(refused);
          continue;
        }
        plan.action = 'disable';
        plan.changes = { status: { from: user.status, to: 'disabled' } };
      }
      continue;
    }

    // upsert / sync
    const groups: PlannedGroup[] = [];
    // Groups whose role the row names (Group:role or the Role column): only those change an existing membership's role.
    const explicit = new Set<PlannedGroup>();
    // Groups the IdP pushed over SCIM (their names as the directory spells them): nobody joins one here,
    // and its memberships' roles are the IdP's.
    const scimGroups = new Map<PlannedGroup, string>();
    const scimProblem = (g: PlannedGroup) => scimGroupProblem(scimGroups.get(g) ?? g.name, col('groups', 'Groups'));
    // Group names ignore case (as the directory's unique index does): one membership per group, one role for it.
    const byName = new Map<string, PlannedGroup & { roles: Set<string> }>();
    for (const cell of v.groups ?? []) {
      // "Team: Platform" names that group when the text after the colon is no role and the group exists.
      const g = cell.whole && cell.role && !settings.roles.includes(cell.role) && dir.groups.has(cell.whole.toLowerCase()) ? { name: cell.whole, role: null } : cell;
      const role = g.role ?? v.role ?? defaultRole;
      if (!settings.roles.includes(role)) {
        errors.push({ column: col(g.role ? 'groups' : 'role', 'Groups'), reason: 'invalid_role', message: `"${role}" is not one of the organization's roles: ${settings.roles.join(', ')}` });
        continue;
      }
      const known = byName.get(g.name.toLowerCase());
      if (known) {
        known.roles.add(role);
        continue;
      }
      // A Windows-1252 file spells "Łódź" as "?ód?": that is the group, never a new one.
      const lossy = reading.windows1252 && !dir.groups.has(g.name.toLowerCase()) ? lossyGroup(g.name.toLowerCase()) : undefined;
      const found = lossy ?? dir.groups.get(g.name.toLowerCase());
      const groupId = found?.id ?? null;
      if (!groupId && !options.createGroups) errors.push({ column: col('groups', 'Groups'), reason: 'unknown_group', message: `no group named "${g.name}"` });
      else if (!groupId && g.name.length > groupNameMaxLength) {
        errors.push({ column: col('groups', 'Groups'), reason: 'too_long', message: `group names must be at most ${groupNameMaxLength} characters` });
      }
      const planned: PlannedGroup = { groupId, name: lossy?.name ?? g.name, role };
      byName.set(g.name.toLowerCase(), { ...planned, roles: new Set([role]) });
      groups.push(planned);
      if (g.role ?? v.role) explicit.add(planned);
      if (found?.scim) scimGroups.set(planned, found.name);
    }
    for (const g of byName.values()) {
      if (g.roles.size > 1) errors.push({ column: col('groups', 'Groups'), reason: 'conflicting_roles', message: `names "${g.name}" twice with different roles: ${[...g.roles].join(', ')}` });
    }
    if (errors.length) continue;
    const profile: Partial<Record<ImportProfileField, string>> = {};
    for (const field of importProfileFields) if (v[field] !== undefined) profile[field] = v[field];
    const displayName = joinedName(profile, user?.profile, reading);
    if (displayName !== undefined) profile.displayName = displayName;

    if (!user) {
      if (!v.email) {
        // A row naming someone by User ID or User Name who is not here: that is what went wrong, not a missing address.
        const by = v.userId !== undefined ? (['userId', 'User ID', 'user ID'] as const) : v.userName !== undefined ? (['userName', 'User Name', 'user name'] as const) : null;
        if (by) errors.push({ column: col(by[0], by[1]), reason: 'not_found', message: `nobody in this organization has this ${by[2]} (a new person needs an email address)` });
        else errors.push({ column: col('email', 'Email'), reason: 'missing_required', message: 'a new person needs an email address' });
        continue;
      }
      const fields = newUserFields(v.email, profile);
      errors.push(...tooLong(fields, profile, col));
      // An invitation names its profile from the display name first (invitations.ts), whatever the file's first and last names.
      if (!options.noInvite && (profile.givenName !== undefined || profile.familyName !== undefined)) {
        errors.push(...tooLong({ ...fields, ...splitName(profile.displayName ?? null) }, {}, col).filter((p) => !errors.some((e) => e.column === p.column)));
      }
      errors.push(...groups.filter((g) => scimGroups.has(g)).map(scimProblem));
      if (errors.length) continue;
      const active = v.status !== 'disabled';
      // Invitees hold no seat, but none can be invited once the seats are used up (see invitations.ts).
      const needsSeat = options.noInvite ? active : true;
      if (needsSeat && seatsLeft <= 0) {
        errors.push({ column: null, reason: 'no_seats', message: `the licence allows ${license.seatLimit} active users` });
        continue;
      }
      if (options.noInvite && active) seatsLeft--;
      plan.action = 'create';
      plan.label = v.email.toLowerCase();
      // The id is allocated now so the commit's bulk path writes the user without reading anything back;
      // a create's changes are its data, derived when read (import-rows.ts createChanges), not stored twice.
      plan.data = { email: v.email.toLowerCase(), newUserId: uuidv7(), profile, status: v.status ?? null, groups } satisfies CreateData;
      continue;
    }
    if (user.state === 'deleted') {
      errors.push(deletedProblem);
      continue;
    }
    // except-scim keeps SCIM users untouched in every mode: not their fields, status or groups.
    if (user.source === 'scim' && options.exceptScim) {
      errors.push({ column: null, reason: 'scim_managed', message: 'provisioned over SCIM; kept (except-scim)' });
      continue;
    }
    errors.push(...tooLong(updatedFields(user.userName, profile), profile, col));
    const added: PlannedGroup[] = [];
    const roleChanged: PlannedGroup[] = [];
    const groupRoles: Record<string, { from: string; to: string }> = {};
    for (const g of groups) {
      const held = g.groupId ? dir.memberships.get(`${user.id}:${g.groupId}`) : undefined;
      if (!held) {
        if (scimGroups.has(g)) errors.push(scimProblem(g));
        else added.push(g);
      } else if (explicit.has(g) && held.role !== g.role) {
        if (scimGroups.has(g) || held.scim) errors.push(scimProblem(g));
        else {
          roleChanged.push({ ...g, roleChange: true });
          groupRoles[g.name] = { from: held.role, to: g.role };
        }
      }
    }
    if (errors.length) continue;
    const changes: Record<string, unknown> = {};
    // Only the fields that change are written at commit: a cell that reads as the stored value (trimmed,
    // or but for the letters Windows-1252 lacks) leaves it exactly as stored, as the preview shows.
    const changedProfile: Partial<Record<ImportProfileField, string>> = {};
    for (const [field, to] of Object.entries(profile) as Array<[ImportProfileField, string]>) {
      if (sameCell(user.profile[field], to, reading)) continue;
      changes[field] = { from: user.profile[field], to };
      changedProfile[field] = to;
    }
    if (v.status === 'disabled' && isEnabled(user.state)) changes.status = { from: user.status, to: 'disabled' };
    if (v.status === 'active' && user.state === 'disabled' && user.returnsTo === 'invited') {
      // An invitee who never registered gets their invitation back, and holds no seat.
      changes.status = { from: 'disabled', to: 'pending' };
    } else if (v.status === 'active' && user.state === 'disabled') {
      if (seatsLeft <= 0) {
        errors.push({ column: col('status', 'Status'), reason: 'no_seats', message: `the licence allows ${license.seatLimit} active users` });
        continue;
      }
      seatsLeft--;
      changes.status = { from: 'disabled', to: 'active' };
    }
    if (user.source === 'scim' && Object.keys(changes).length) {
      errors.push({ column: null, reason: 'scim_managed', message: `${Object.keys(changes).join(', ')} ${Object.keys(changes).length === 1 ? 'is' : 'are'} managed by the identity provider (SCIM)` });
      continue;
    }
    if (changes.status && v.status === 'disabled') {
      const refused = lastAdmin(user, col('status', 'Status'));
      if (refused) {
        errors.push(refused);
        continue;
      }
    }
    if (added.length) changes.groups = groupsAdded(added);
    // As a create row says it: the groups the commit makes (createGroups) are named, whoever joins them.
    if (added.some((g) => !g.groupId)) changes.createGroups = added.filter((g) => !g.groupId).map((g) => g.name);
    if (roleChanged.length) changes.groupRoles = groupRoles;
    plan.action = Object.keys(changes).length ? 'update' : 'unchanged';
    plan.data = { profile: changedProfile, status: v.status ?? null, groups: [...added, ...roleChanged] };
    plan.changes = changes;
  }

  if (options.mode === 'sync') {
    for (const user of dir.byId.values()) {
      if (matched.has(user.id) || !isEnabled(user.state) || !syncManagedSources.includes(user.source)) continue;
      const refused = lastAdmin(user, null);
      const label = user.email ?? user.userName;
      if (refused) planned.push({ line: null, action: 'skip', userId: user.id, label, data: {}, changes: {}, errors: [refused] });
      else planned.push({ line: null, action: 'disable', userId: user.id, label, data: {}, changes: { status: { from: user.status, to: 'disabled' }, reason: 'not in the file' }, errors: [] });
    }
  }

  const counts: Record<string, number> = { create: 0, update: 0, unchanged: 0, disable: 0, skip: 0, errors: 0, notes: 0 };
  for (const p of planned) {
    counts[p.action]!++;
    if (p.errors.length) counts.errors!++;
    if (p.notes?.length) counts.notes!++;
  }
  let enabled = 0;
  for (const user of dir.byId.values()) if (isEnabled(user.state)) enabled++;
  // Every enabled person the import would disable counts: those a sync finds missing, and those a Status
  // column disables (in any mode): an HR file whose Status column says "Inactive" on every row is a mass disable too.
  const disable = planned.filter((p) => p.action === 'disable' || (p.action === 'update' && (p.changes.status as { to?: string } | undefined)?.to === 'disabled')).length;
  const needsForce = exceedsMassDisable({ disable, enabled, threshold: settings.massDisableThreshold });

  const id = uuidv7();
  const stored = { noInvite: Boolean(options.noInvite), createGroups: Boolean(options.createGroups), exceptScim: Boolean(options.exceptScim) };
  await em.transactional(async (tx) => {
    await tx.execute(
      `insert into csv_imports (id, created_at, updated_at, org_id, mode, status, file_name, encoding, delimiter, options, columns, counts, disable_count, enabled_count, needs_force, total, processed, progress, created_by_label, version)
       values (?, now(), now(), ?, ?, 'previewed', ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, 0, 0, '{}'::jsonb, ?, 1)`,
      [id, scope.orgId, options.mode, file.fileName?.slice(0, 300) ?? null, file.encoding, file.delimiter, JSON.stringify(stored),
        JSON.stringify({ recognised: file.headers, ...file.columns }), JSON.stringify(counts), disable, enabled, needsForce, scope.actor.label.slice(0, 320)],
    );
    await insertPreviewRows(tx, id, planned);
  });
  return getImport(em, scope, id);
}

type Row = Record<string, unknown>;
const json = <T>(value: unknown, fallback: T): T => (value === null || value === undefined ? fallback : ((typeof value === 'string' ? JSON.parse(value) : value) as T));

export function rowToSummary(row: Row): ImportSummary {
  const progress = json<Record<string, number>>(row.progress, {});
  return {
    id: String(row.id),
    mode: row.mode as ImportMode,
    status: row.status as ImportStatus,
    fileName: (row.file_name as string | null) ?? null,
    encoding: String(row.encoding),
    delimiter: String(row.delimiter),
    options: json(row.options, {}),
    columns: json(row.columns, {}),
    counts: json(row.counts, {}),
    massDisable: { disable: Number(row.disable_count), enabled: Number(row.enabled_count), threshold: Number(row.threshold ?? 0.2), needsForce: Boolean(row.needs_force) },
    progress: { applied: 0, failed: 0, ...progress, processed: Number(row.processed), total: Number(row.total) },
    createdAt: toDate(row.created_at),
    createdBy: (row.created_by_label as string | null) ?? null,
    committedAt: row.committed_at ? toDate(row.committed_at) : null,
  };
}

export async function getImport(em: Em, scope: Pick<Scope, 'orgId'>, id: string): Promise<ImportSummary> {
  if (isUuid(id)) {
    const rows = await em.execute('select * from csv_imports where org_id = ? and id = ?', [scope.orgId, id]);
    if (rows[0]) {
      const settings = await getOrgSettings(em, scope);
      return rowToSummary({ ...rows[0], threshold: settings.massDisableThreshold });
    }
  }
  throw new NotFoundError('Import', id);
}

export async function listImportRows(
  em: Em,
  scope: Pick<Scope, 'orgId'>,
  id: string,
  query: { action?: ImportAction | undefined; errorsOnly?: boolean | undefined; afterRow?: number | undefined; limit: number },
): Promise<{ rows: PreviewRow[]; nextCursor: number | null }> {
  await getImport(em, scope, id);
  const where = ['import_id = ?', 'row_number > ?'];
  const params: unknown[] = [id, query.afterRow ?? 0];
  if (query.action) {
    where.push('action = ?');
    params.push(query.action);
  }
  if (query.errorsOnly) where.push(`errors <> '[]'::jsonb`);
  const rows = await em.execute(
    `select r.*, ${rowOutcomeSql} as row_outcome, ${rowUserIdSql} as row_user_id
     from csv_import_rows r join csv_imports i on i.id = r.import_id and i.org_id = ?
     where ${where.map((w) => `r.${w}`).join(' and ')} order by r.row_number limit ?`,
    [scope.orgId, ...params, query.limit + 1],
  );
  const page = rows.slice(0, query.limit).map((r): PreviewRow => ({
    rowNumber: Number(r.row_number),
    line: r.line === null || r.line === undefined ? null : Number(r.line),
    action: r.action as ImportAction,
    userId: (r.row_user_id as string | null) ?? null,
    label: (r.label as string | null) ?? null,
    changes: r.action === 'create' ? createChanges(json(r.data, {})) : json(r.changes, {}),
    errors: json(r.errors, []),
    notes: json(r.notes, []),
    outcome: (r.row_outcome as string | null) ?? null,
  }));
  return { rows: page, nextCursor: rows.length > query.limit ? page[page.length - 1]!.rowNumber : null };
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

/** A row that would add someone to a group the IdP pushed over SCIM, or change a role it gave. */
function scimGroupProblem(name: string, column: string | null): RowProblem {
  return { column, reason: 'scim_managed', message: `"${name}" is managed by your identity provider (SCIM): change its members there` };
}
