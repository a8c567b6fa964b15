import type { DisableSource, MultiValue, OrgRole, UserSource, UserState } from '../db/entities/index.ts';
import { jsonbValue } from '../db/jsonb.ts';

/**
 * A user as the domain hands it to adapters: plain data read straight from a
 * row (the hot SCIM paths never hydrate ORM entities), camelCase, dates as Dates.
 */
export interface UserFields {
  userName: string;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  middleName: string | null;
  honorificPrefix: string | null;
  honorificSuffix: string | null;
  displayName: string | null;
  nickName: string | null;
  title: string | null;
  userType: string | null;
  preferredLanguage: string | null;
  locale: string | null;
  timezone: string | null;
  emails: MultiValue[];
  phoneNumbers: MultiValue[];
  department: string | null;
  employeeNumber: string | null;
  costCenter: string | null;
  organization: string | null;
  division: string | null;
  /** The id the IdP gave as the manager (RFC 7643 §4.3 `manager.value`), as stored; see UserRecord.manager. */
  managerId: string | null;
  officeLocation: string | null;
  /** Raw SCIM attributes the columns do not hold (addresses, photos, roles, unknown extensions…). */
  scimAttributes: Record<string, unknown>;
}

export interface UserRecord extends UserFields {
  id: string;
  orgId: string;
  email: string | null;
  phone: string | null;
  state: UserState;
  source: UserSource;
  orgRole: OrgRole;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  lastActiveAt: Date | null;
  disabledAt: Date | null;
  /** While disabled: who disabled them (db/entities/user.ts disableSources); null when not known. */
  disabledBy: DisableSource | null;
  deletedAt: Date | null;
  inviteExpiresAt: Date | null;
  /** The manager `managerId` names, as every read shows them: null when none, or deleted (see managerSql). */
  manager: UserManager | null;
  /** Present when the query asked for it: the groups the user belongs to. */
  groups?: Array<{ id: string; displayName: string; role?: string }>;
}

export interface UserManager {
  id: string;
  displayName: string | null;
}

type Kind = 'text' | 'json';

/** Field → column, in one table, so inserts, updates and reads agree. */
export const userFieldColumns: ReadonlyArray<readonly [keyof UserFields, string, Kind]> = [
  ['userName', 'user_name', 'text'],
  ['externalId', 'external_id', 'text'],
  ['givenName', 'given_name', 'text'],
  ['familyName', 'family_name', 'text'],
  ['middleName', 'middle_name', 'text'],
  ['honorificPrefix', 'honorific_prefix', 'text'],
  ['honorificSuffix', 'honorific_suffix', 'text'],
  ['displayName', 'display_name', 'text'],
  ['nickName', 'nick_name', 'text'],
  ['title', 'title', 'text'],
  ['userType', 'user_type', 'text'],
  ['preferredLanguage', 'preferred_language', 'text'],
  ['locale', 'locale', 'text'],
  ['timezone', 'timezone', 'text'],
  ['emails', 'emails', 'json'],
  ['phoneNumbers', 'phone_numbers', 'json'],
  ['department', 'department', 'text'],
  ['employeeNumber', 'employee_number', 'text'],
  ['costCenter', 'cost_center', 'text'],
  ['organization', 'organization', 'text'],
  ['division', 'division', 'text'],
  ['managerId', 'manager_id', 'text'],
  ['officeLocation', 'office_location', 'text'],
  ['scimAttributes', 'scim_attributes', 'json'],
];

/**
 * `select` over the user `alias`'s manager, or no row: the user manager_id names in the same
 * org, unless deleted (purged ones are deleted too). One key lookup inside the statement that
 * reads the user, so a page of reports costs no statement more. Reads, filters and sorting
 * (scim/filter/leaf.ts) all take the manager from here, so they agree on who it is.
 * A deleted manager stays the pointer (restorable for 30 days) but shows as none; the purge
 * clears it (people.ts purgeDeletedUsers).
 */
export function managerSql(alias: string, select: string): string {
  return `(select ${select} from users mgr where mgr.id = gatehouse_uuid(${alias}.manager_id) and mgr.org_id = ${alias}.org_id and mgr.state <> 'deleted')`;
}

/** The select list every user read uses (alias `u`). */
export const userColumnsSql = [
  'u.id',
  'u.org_id',
  ...userFieldColumns.map(([, column]) => `u.${column}`),
  'u.email',
  'u.phone',
  'u.state',
  'u.source',
  'u.org_role',
  'u.version',
  'u.created_at',
  'u.updated_at',
  'u.last_active_at',
  'u.disabled_at',
  'u.disabled_by',
  'u.deleted_at',
  'u.invite_expires_at',
  // Most users have no manager: no lookup for them.
  `case when u.manager_id is not null then ${managerSql('u', `json_build_object('id', mgr.id, 'displayName', mgr.display_name)`)} end as manager_json`,
].join(', ');

/** A correlated sub-select giving the user's groups as JSON, for reads that return `groups`. */
export const userGroupsSql = `(select coalesce(json_agg(json_build_object('id', g.id, 'displayName', g.display_name) order by g.display_name), '[]'::json)
  from memberships m join groups g on g.id = m.group_id where m.org_id = u.org_id and m.user_id = u.id) as groups_json`;

type Row = Record<string, unknown>;

export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(String(value));
}

function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}


export function rowToUser(row: Row): UserRecord {
  const fields = {} as Record<string, unknown>;
  for (const [field, column, kind] of userFieldColumns) {
    const raw = row[column];
    fields[field] = kind === 'json' ? jsonbValue(raw, field === 'scimAttributes' ? {} : []) : ((raw as string | null) ?? null);
  }
  const record: UserRecord = {
    ...(fields as unknown as UserFields),
    id: String(row.id),
    orgId: String(row.org_id),
    email: (row.email as string | null) ?? null,
    phone: (row.phone as string | null) ?? null,
    state: row.state as UserState,
    source: row.source as UserSource,
    orgRole: row.org_role as OrgRole,
    version: Number(row.version),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    lastActiveAt: toDateOrNull(row.last_active_at),
    disabledAt: toDateOrNull(row.disabled_at),
    disabledBy: (row.disabled_by as DisableSource | null | undefined) ?? null,
    deletedAt: toDateOrNull(row.deleted_at),
    inviteExpiresAt: toDateOrNull(row.invite_expires_at),
    manager: jsonbValue<UserManager | null>(row.manager_json, null),
  };
  if (row.groups_json !== undefined) record.groups = jsonbValue(row.groups_json, []);
  return record;
}

/** The address people are reached and found by: the primary email, else the first, lower-cased. */
export function primaryEmail(emails: MultiValue[]): string | null {
  const chosen = emails.find((e) => e.primary === true && e.value) ?? emails.find((e) => e.value);
  return chosen?.value ? String(chosen.value).trim().toLowerCase() : null;
}

/** The number on the profile: the mobile, else the primary, else the first. */
export function primaryPhone(phones: MultiValue[]): string | null {
  const chosen =
    phones.find((p) => p.type === 'mobile' && p.value) ?? phones.find((p) => p.primary === true && p.value) ?? phones.find((p) => p.value);
  return chosen?.value ? String(chosen.value) : null;
}

export function emptyUserFields(userName: string): UserFields {
  const fields = {} as Record<string, unknown>;
  for (const [field, , kind] of userFieldColumns) fields[field] = kind === 'json' ? (field === 'scimAttributes' ? {} : []) : null;
  return { ...(fields as unknown as UserFields), userName };
}
