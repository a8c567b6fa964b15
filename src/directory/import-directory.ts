import type { Em } from '../db/orm.ts';
import type { OrgRole, UserSource, UserState } from '../db/entities/index.ts';
import { isUuid } from '../lib/ids.ts';
import { sameCell, type CellReading } from './import-checks.ts';
import { openInvitationsSql } from './import-invitees.ts';
import type { ImportProfileField, ImportValues } from './imports.ts';
import { stateOnReturnSql } from './lifecycle.ts';
import { statusSql, type UserStatus } from './status.ts';

/**
 * The organization as a preview reads it (import-preview.ts): its people,
 * groups and memberships, loaded once, and who a row names.
 */

export interface Existing {
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
  /** Their manager's id (possibly someone deleted since: the pointer is kept). */
  managerId: string | null;
}

export interface DirectoryGroup {
  id: string;
  name: string;
  scim: boolean;
}

export interface Directory {
  byId: Map<string, Existing>;
  byEmail: Map<string, Existing>;
  byUserName: Map<string, Existing>;
  /** Lower-cased name → the group. */
  groups: Map<string, DirectoryGroup>;
  /** `user:group` → the role held, and whether the IdP made the membership (SCIM: read-only here). */
  memberships: Map<string, { role: string; scim: boolean }>;
}

const profileColumns: Record<ImportProfileField, string> = {
  givenName: 'given_name', familyName: 'family_name', displayName: 'display_name', title: 'title',
  department: 'department', officeLocation: 'office_location', phone: 'phone', employeeNumber: 'employee_number',
};

function toExisting(row: Record<string, unknown>): Existing {
  const profile = {} as Record<ImportProfileField, string | null>;
  for (const [field, column] of Object.entries(profileColumns)) profile[field as ImportProfileField] = (row[column] as string | null) ?? null;
  return {
    id: String(row.id), userName: String(row.user_name), email: (row.email as string | null) ?? null, state: row.state as UserState, status: row.status as UserStatus,
    orgRole: row.org_role as OrgRole, source: row.source as UserSource, returnsTo: row.returns_to === 'invited' ? 'invited' : 'active', profile,
    managerId: (row.manager_id as string | null) ?? null,
  };
}

async function loadPeople(em: Em, orgId: string, now: Date): Promise<Pick<Directory, 'byId' | 'byEmail' | 'byUserName'>> {
  const status = statusSql(now, 'users');
  const users = await em.execute(
    `select id, user_name, email, state, ${status.sql} as status, org_role, source, manager_id, ${stateOnReturnSql('users')} as returns_to,
       ${Object.values(profileColumns).join(', ')} from users where org_id = ? and purged_at is null`,
    [...status.params, orgId],
  );
  const byId = new Map<string, Existing>();
  const byEmail = new Map<string, Existing>();
  const byUserName = new Map<string, Existing>();
  for (const row of users) {
    const user = toExisting(row);
    byId.set(user.id, user);
    // A live profile wins over a deleted one with the same address.
    const live = (other: Existing | undefined) => !other || other.state === 'deleted';
    if (user.email && live(byEmail.get(user.email))) byEmail.set(user.email, user);
    if (live(byUserName.get(user.userName.toLowerCase()))) byUserName.set(user.userName.toLowerCase(), user);
  }
  return { byId, byEmail, byUserName };
}

export async function loadDirectory(em: Em, orgId: string, now: Date): Promise<Directory> {
  const people = await loadPeople(em, orgId, now);
  const groups = new Map<string, DirectoryGroup>();
  for (const row of await em.execute('select id, display_name, source from groups where org_id = ?', [orgId])) {
    groups.set(String(row.display_name).toLowerCase(), { id: String(row.id), name: String(row.display_name), scim: row.source === 'scim' });
  }
  const memberships = new Map<string, { role: string; scim: boolean }>();
  for (const row of await em.execute('select user_id, group_id, role, source from memberships where org_id = ?', [orgId])) {
    memberships.set(`${row.user_id}:${row.group_id}`, { role: String(row.role), scim: row.source === 'scim' });
  }
  // A pending (or expired) invitee's groups are their open invitation's plan, applied when they register.
  for (const row of await em.execute(`${openInvitationsSql} select o.user_id, im.group_id, im.role from o join invitation_memberships im on im.invitation_id = o.id`, [orgId])) {
    memberships.set(`${row.user_id}:${row.group_id}`, { role: String(row.role), scim: false });
  }
  return { ...people, groups, memberships };
}

/** The person a row names: by User ID, then Email (also as a user name), then User Name. */
export function matchPerson(dir: Directory, values: ImportValues): Existing | undefined {
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

/**
 * A group by a (lower-cased) name as the file spells it. A Windows-1252 file spells "Łódź" as
 * "?ód?": that is the group, never a new one; looked up once per name (a 100,000-row file names few groups).
 */
export function groupFinder(dir: Directory, reading: CellReading): (name: string) => DirectoryGroup | undefined {
  const lossyGroups = new Map<string, DirectoryGroup | undefined>();
  const lossyGroup = (name: string) => {
    if (!lossyGroups.has(name)) lossyGroups.set(name, [...dir.groups.values()].find((d) => sameCell(d.name.toLowerCase(), name, reading)));
    return lossyGroups.get(name);
  };
  return (name) => (reading.windows1252 && !dir.groups.has(name) ? lossyGroup(name) : dir.groups.get(name));
}
