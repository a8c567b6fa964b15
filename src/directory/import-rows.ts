import type { Em } from '../db/orm.ts';
import { executeBound } from '../db/bound-query.ts';
import type { ImportProfileField, Planned, PlannedGroup } from './imports.ts';
import type { ManagerData } from './import-managers.ts';
import { splitName } from './invitation-addresses.ts';
import { emptyUserFields, type UserFields } from './user-record.ts';

/**
 * How preview rows are stored and read back (issue 6: a 100,000-row preview
 * in ≤ 5 s, a commit that marks its batches without rewriting rows).
 */

/** A `create` row's data: the new person's values, and the id allocated at preview for the commit's bulk path. */
export interface CreateData {
  email: string;
  newUserId: string;
  profile: Partial<Record<ImportProfileField, string>>;
  status: 'active' | 'disabled' | null;
  groups: PlannedGroup[];
  /** The Manager cell's: a manager who existed at preview is set as the row creates the person, one the file creates by the commit's last pass (import-commit-managers.ts). */
  manager?: ManagerData;
}

/**
 * A create row's field-level changes: every value it sets (from nothing), the
 * groups it joins and those the commit will create. A pure function of the
 * row's data, so stored once (data) and derived when read.
 */
export function createChanges(data: Partial<CreateData>): Record<string, unknown> {
  const groups = data.groups ?? [];
  const changes: Record<string, unknown> = Object.fromEntries(Object.entries(data.profile ?? {}).map(([k, to]) => [k, { from: null, to }]));
  // A Status of disabled makes the new person disabled at once (invited, then switched off): the preview says so.
  if (data.status === 'disabled') changes.status = { from: null, to: 'disabled' };
  if (groups.length) changes.groups = groupsAdded(groups);
  if (data.manager) changes.manager = { from: null, to: data.manager.label };
  const toCreate = groups.filter((g) => !g.groupId).map((g) => g.name);
  if (toCreate.length) changes.createGroups = toCreate;
  return changes;
}

/** `changes.groups` of a row: the groups it adds, by name, and the role in each (what the person may do there). */
export function groupsAdded(groups: PlannedGroup[]): { add: string[]; roles: Record<string, string> } {
  return { add: groups.map((g) => g.name), roles: Object.fromEntries(groups.map((g) => [g.name, g.role])) };
}

/**
 * A new person's fields from a create row (the commit writes these; the
 * preview checks them against the same rules). Without First/Last Name, the
 * name is split from the display name, as an invitation does.
 */
export function newUserFields(email: string, profile: Partial<Record<ImportProfileField, string>>): UserFields {
  const fields = emptyUserFields(email);
  const named: { givenName?: string | null; familyName?: string | null } = profile.givenName !== undefined || profile.familyName !== undefined ? {} : splitName(profile.displayName ?? null);
  Object.assign(fields, named, {
    givenName: profile.givenName ?? named.givenName ?? null,
    familyName: profile.familyName ?? named.familyName ?? null,
    displayName: profile.displayName ?? null,
    title: profile.title ?? null,
    department: profile.department ?? null,
    officeLocation: profile.officeLocation ?? null,
    employeeNumber: profile.employeeNumber ?? null,
    emails: [{ value: email, type: 'work', primary: true }],
    phoneNumbers: profile.phone ? [{ value: profile.phone, type: 'mobile', primary: true }] : [],
  });
  return fields;
}

const ROWS_PER_INSERT = 5000;

/**
 * A 100,000-row preview is twenty statements, each with its rows as ONE bound
 * JSON parameter (jsonb_to_recordset). The next chunk's JSON is built while
 * PostgreSQL inserts the current one (one connection, one statement at a time:
 * only the Node side overlaps).
 */
export async function insertPreviewRows(tx: Em, importId: string, rows: Planned[]): Promise<void> {
  const chunkJson = (start: number) => JSON.stringify(rows.slice(start, start + ROWS_PER_INSERT).map((r, i) => ({
    n: start + i + 1, line: r.line, action: r.action, user_id: r.userId, label: r.label?.slice(0, 320) ?? null, data: r.data, changes: r.changes, errors: r.errors,
    notes: r.notes ?? [],
  })));
  let pending: Promise<unknown> = Promise.resolve();
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const json = chunkJson(start);
    await pending;
    pending = executeBound(
      tx,
      `insert into csv_import_rows (import_id, row_number, line, action, user_id, label, data, changes, errors, notes, selected)
       select ?, n, line, action, user_id, label, data, changes, errors, notes, false
       from jsonb_to_recordset(?::jsonb) as x(n int, line int, action text, user_id uuid, label text, data jsonb, changes jsonb, errors jsonb, notes jsonb)`,
      [importId, json],
    );
  }
  await pending;
}

/**
 * A preview row's outcome (`r`: the row, `i`: its import): the explicit one
 * the commit wrote (a failure, a per-row apply), else `applied` for a row the
 * commit selected that lies at or below the import's high-water mark — a
 * batch applies and passes all of its rows in one transaction (import-commit.ts).
 */
export const rowOutcomeSql = `coalesce(r.outcome, case when r.row_number <= i.applied_through
  and r.action in ('create', 'update', 'disable') and jsonb_array_length(r.errors) = 0 and (i.selection is null or r.selected) then 'applied' end)`;

/** The row's user: the one matched at preview or written by a per-row apply, else the id allocated for a new person once applied. */
export const rowUserIdSql = `coalesce(r.user_id, case when r.action = 'create' and ${rowOutcomeSql} = 'applied' then (r.data ->> 'newUserId')::uuid end)`;
