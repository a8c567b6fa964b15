import type { Em } from '../db/orm.ts';
import { executeBound, pgArray } from '../db/bound-query.ts';
import type { UserSource } from '../db/entities/index.ts';
import { uuidv7 } from '../lib/ids.ts';
import { auditInsertSql } from './audit.ts';
import { disableSourceOf } from './lifecycle.ts';
import type { Scope } from './scope.ts';
import { primaryEmail, primaryPhone, userFieldColumns, type UserFields } from './user-record.ts';
import { validateUserFields } from './user-validation.ts';

/**
 * Batched writes for imports: the same rows and audit events as createUser and
 * the admin API's membership adds (membership-changes.ts), as one statement per
 * batch instead of one round trip per user. Callers run them inside the
 * batch's transaction.
 */

export interface MembershipWanted {
  groupId: string;
  role: string;
}

export interface BulkNewUser {
  /** Caller's key, returned with the outcome (the import's row number). */
  key: number;
  /** The new user's id (an import allocates it at preview, so a row's user is known before and after commit). */
  id: string;
  fields: UserFields;
  active: boolean;
  groups: MembershipWanted[];
}

export interface BulkCreateResult {
  created: Map<number, string>;
  /** Keys whose userName already exists (the unique index refused them). */
  conflicts: number[];
}

/** The columns a bulk create sets; the others keep their defaults (null, '{}', 'member'), as for a createUser with empty fields. */
const bulkColumns = [
  ['user_name', 'text'], ['email', 'text'], ['given_name', 'text'], ['family_name', 'text'], ['display_name', 'text'], ['title', 'text'],
  ['department', 'text'], ['office_location', 'text'], ['employee_number', 'text'], ['phone', 'text'], ['emails', 'jsonb'], ['phone_numbers', 'jsonb'],
] as const;
const bulkFields: Record<string, keyof UserFields> = {
  user_name: 'userName', given_name: 'givenName', family_name: 'familyName', display_name: 'displayName', title: 'title',
  department: 'department', office_location: 'officeLocation', employee_number: 'employeeNumber', emails: 'emails', phone_numbers: 'phoneNumbers',
};
const setByBulk = new Set(Object.values(bulkFields));
/** With managers (an import's Manager column naming people who exist): the same, plus manager_id. */
const managerColumns = [...bulkColumns, ['manager_id', 'text']] as const;
const managerFields: Record<string, keyof UserFields> = { ...bulkFields, manager_id: 'managerId' };
const setWithManager = new Set(Object.values(managerFields));

/** Users per statement: one batch of the import's default size is one statement. */
const USERS_PER_STATEMENT = 5000;

/**
 * createUser + membership adds for many users of an org WITHOUT a seat
 * limit (callers check), as ONE statement per 5,000 users. The rows travel as
 * bound array parameters (unnest, no per-row SQL, no JSON to parse); the
 * data-modifying CTE
 * - inserts the users, skipping userNames already taken (ON CONFLICT DO
 *   NOTHING: reported as conflicts),
 * - writes each inserted user's `user.created` event (createUser's details),
 * - adds the inserted users' memberships (existing ones left as they are),
 * - writes one `membership.added` event per membership added, as the admin
 *   API's writeMembershipChanges does (target the person; details groupId,
 *   groupName, role, source), so a person's activity lists them.
 * Audit rows go through auditInsertSql, so whatever hangs off audit_events
 * sees them as from any other write path (the statement-level event trigger
 * turns both kinds into feed events: Migration20261130180000).
 */
export async function createUsersBulk(em: Em, scope: Scope, users: BulkNewUser[], source: UserSource, withManagers = false): Promise<BulkCreateResult> {
  // Managers only when asked (the caller's managers checked): without, the statement is as it always was.
  const [columnTypes, fieldOf, settable] = withManagers ? [managerColumns, managerFields, setWithManager] : [bulkColumns, bulkFields, setByBulk];
  const result: BulkCreateResult = { created: new Map(), conflicts: [] };
  const userAudit = auditInsertSql(scope, {
    action: 'user.created',
    target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
    detailsSql: `jsonb_build_object('source', u.source, 'active', u.state = 'active')`,
  }, 'u');
  // membership-changes.ts auditOf: {groupId, groupName, role, source} (the membership's source wins over the scope's).
  const memberAudit = auditInsertSql(scope, {
    action: 'membership.added',
    target: { type: 'user', idColumn: 'user_id', labelColumn: 'user_name' },
    detailsSql: `jsonb_build_object('groupId', ma.group_id, 'groupName', ma.display_name, 'role', ma.role, 'source', ma.source)`,
  }, 'ma');
  const names = columnTypes.map(([c]) => c);
  for (let start = 0; start < users.length; start += USERS_PER_STATEMENT) {
    const chunk = users.slice(start, start + USERS_PER_STATEMENT).map((u) => ({ ...u, fields: validateUserFields(u.fields) }));
    const columns: Record<string, Array<string | null>> = Object.fromEntries(names.map((c) => [c, []]));
    const ids: string[] = [];
    const active: boolean[] = [];
    const member = { id: [] as string[], user: [] as string[], group: [] as string[], role: [] as string[] };
    for (const u of chunk) {
      for (const [field] of userFieldColumns) {
        const value = u.fields[field];
        const empty = value === null || (Array.isArray(value) && !value.length) || (field === 'scimAttributes' && !Object.keys(value as object).length);
        if (!settable.has(field) && !empty) throw new Error(`createUsersBulk does not write ${field}`);
      }
      ids.push(u.id);
      active.push(u.active);
      columns.email!.push(primaryEmail(u.fields.emails));
      columns.phone!.push(primaryPhone(u.fields.phoneNumbers));
      for (const [column, field] of Object.entries(fieldOf)) {
        const value = u.fields[field];
        columns[column]!.push(Array.isArray(value) ? JSON.stringify(value) : (value as string | null));
      }
      for (const g of u.groups) {
        member.id.push(uuidv7());
        member.user.push(u.id);
        member.group.push(g.groupId);
        member.role.push(g.role);
      }
    }
    const rows = await executeBound(
      em,
      `with src as (select * from unnest(?::uuid[], ?::boolean[], ${columnTypes.map(([, t]) => `?::${t}[]`).join(', ')}) as x(id, active, ${names.join(', ')})),
       u as (insert into users (id, org_id, ${names.join(', ')}, state, source, disabled_at, disabled_by, version, created_at, updated_at)
             select id, ?, ${names.join(', ')}, case when active then 'active' else 'disabled' end, ?, case when active then null else now() end,
               case when active then null else ? end, 1, now(), now() from src
             on conflict do nothing returning *),
       a as (${userAudit.sql} returning id),
       m as (insert into memberships (id, org_id, group_id, user_id, role, source, added_at)
             select y.id, ?, y.group_id, y.user_id, y.role, ?, now()
             from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::text[]) as y(id, user_id, group_id, role) join u on u.id = y.user_id
             on conflict (group_id, user_id) do nothing returning id, group_id, user_id, role, source),
       -- Joined to a count of \`a\`: the people's user.created rows are written (and numbered) before their memberships' events.
       ma as (select m.id, m.group_id, m.user_id, m.role, m.source, u.user_name, g.display_name
              from m join u on u.id = m.user_id join groups g on g.id = m.group_id cross join (select count(*) from a) as created),
       mae as (${memberAudit.sql} order by ma.id)
       select id from u`,
      [
        pgArray(ids), pgArray(active), ...names.map((c) => pgArray(columns[c]!)), scope.orgId, source, disableSourceOf(scope), ...userAudit.params,
        scope.orgId, source, pgArray(member.id), pgArray(member.user), pgArray(member.group), pgArray(member.role),
        ...memberAudit.params,
      ],
    );
    const inserted = new Set(rows.map((r) => String(r.id)));
    for (const u of chunk) {
      if (inserted.has(u.id)) result.created.set(u.key, u.id);
      else result.conflicts.push(u.key);
    }
  }
  return result;
}
