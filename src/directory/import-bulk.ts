import type { Em } from '../db/orm.ts';
import { executeBound } from '../db/bound-query.ts';
import type { UserSource } from '../db/entities/index.ts';
import { uuidv7 } from '../lib/ids.ts';
import { auditInsertSql, recordAuditSql } from './audit.ts';
import type { Scope } from './scope.ts';
import { primaryEmail, primaryPhone, userFieldColumns, type UserFields } from './user-record.ts';
import { validateUserFields } from './users.ts';

/**
 * Batched writes for imports: the same rows and audit events as createUser and
 * a group membership change, as a few multi-row statements per batch instead
 * of one round trip per user. Callers run them inside the batch's transaction.
 */

export interface MembershipWanted {
  groupId: string;
  role: string;
}

/**
 * Adds memberships (with their roles) and records one `group.updated` event
 * per group touched, as saveGroup does for an added member; existing
 * memberships are left as they are (ON CONFLICT DO NOTHING).
 */
export async function addMemberships(em: Em, scope: Scope, wanted: Array<MembershipWanted & { userId: string }>, source: UserSource): Promise<number> {
  if (!wanted.length) return 0;
  const added: Array<Record<string, unknown>> = [];
  for (let start = 0; start < wanted.length; start += 5000) {
    const chunk = wanted.slice(start, start + 5000).map((m) => ({ id: uuidv7(), group_id: m.groupId, user_id: m.userId, role: m.role }));
    added.push(...(await executeBound(em, 
      `insert into memberships (id, org_id, group_id, user_id, role, source, added_at)
       select id, ?, group_id, user_id, role, ?, now() from jsonb_to_recordset(?::jsonb) as x(id uuid, group_id uuid, user_id uuid, role text)
       on conflict (group_id, user_id) do nothing returning group_id, user_id`,
      [scope.orgId, source, JSON.stringify(chunk)],
    )));
  }
  const byGroup = new Map<string, string[]>();
  for (const row of added) byGroup.set(String(row.group_id), [...(byGroup.get(String(row.group_id)) ?? []), String(row.user_id)]);
  if (!byGroup.size) return 0;
  const ids = [...byGroup.keys()];
  const groups = await em.execute(
    `update groups set version = version + 1, updated_at = now() where org_id = ? and id in (${ids.map(() => '?').join(', ')}) returning id, display_name`,
    [scope.orgId, ...ids],
  );
  for (const g of groups) {
    await recordAuditSql(em, scope, {
      action: 'group.updated',
      target: { type: 'group', id: String(g.id), label: String(g.display_name) },
      details: { changes: {}, membersAdded: byGroup.get(String(g.id)), membersRemoved: [] },
    });
  }
  return added.length;
}

export interface BulkNewUser {
  /** Caller's key, returned with the outcome (the import's row number). */
  key: number;
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

/**
 * createUser for many users of an org WITHOUT a seat limit (callers check):
 * per 1000 users ONE statement — the rows travel as one JSON parameter
 * (jsonb_to_recordset), the insert skips userNames already taken (ON
 * CONFLICT DO NOTHING: reported as conflicts) and a data-modifying CTE writes
 * each inserted user's `user.created` event (same details as createUser) —
 * then the memberships in one more.
 */
export async function createUsersBulk(em: Em, scope: Scope, users: BulkNewUser[], source: UserSource): Promise<BulkCreateResult> {
  const result: BulkCreateResult = { created: new Map(), conflicts: [] };
  const audit = auditInsertSql(scope, {
    action: 'user.created',
    target: { type: 'user', idColumn: 'id', labelColumn: 'user_name' },
    detailsSql: `jsonb_build_object('source', u.source, 'active', u.state = 'active')`,
  }, 'u');
  const names = bulkColumns.map(([c]) => c);
  const memberships: Array<MembershipWanted & { userId: string }> = [];
  for (let start = 0; start < users.length; start += 1000) {
    const chunk = users.slice(start, start + 1000).map((u) => ({ ...u, fields: validateUserFields(u.fields), id: uuidv7() }));
    const records = chunk.map((u) => {
      for (const [field] of userFieldColumns) {
        const value = u.fields[field];
        const empty = value === null || (Array.isArray(value) && !value.length) || (field === 'scimAttributes' && !Object.keys(value as object).length);
        if (!setByBulk.has(field) && !empty) throw new Error(`createUsersBulk does not write ${field}`);
      }
      const record: Record<string, unknown> = { id: u.id, active: u.active, email: primaryEmail(u.fields.emails), phone: primaryPhone(u.fields.phoneNumbers) };
      for (const [column, field] of Object.entries(bulkFields)) record[column] = u.fields[field];
      return record;
    });
    const rows = await executeBound(
      em,
      `with src as (select * from jsonb_to_recordset(?::jsonb) as x(id uuid, active boolean, ${bulkColumns.map(([c, t]) => `${c} ${t}`).join(', ')})),
       u as (insert into users (id, org_id, ${names.join(', ')}, state, source, disabled_at, version, created_at, updated_at)
             select id, ?, ${names.join(', ')}, case when active then 'active' else 'disabled' end, ?, case when active then null else now() end, 1, now(), now() from src
             on conflict do nothing returning *),
       a as (${audit.sql})
       select id from u`,
      [JSON.stringify(records), scope.orgId, source, ...audit.params],
    );
    const inserted = new Set(rows.map((r) => String(r.id)));
    for (const u of chunk) {
      if (!inserted.has(u.id)) {
        result.conflicts.push(u.key);
        continue;
      }
      result.created.set(u.key, u.id);
      for (const g of u.groups) memberships.push({ ...g, userId: u.id });
    }
  }
  await addMemberships(em, scope, memberships, source);
  return result;
}
