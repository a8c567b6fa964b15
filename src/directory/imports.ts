import type { Em } from '../db/orm.ts';
import type { ImportAction, ImportMode, ImportStatus } from '../db/entities/index.ts';
import { isUuid } from '../lib/ids.ts';
import { NotFoundError } from './errors.ts';
import { getOrgSettings } from './org-settings.ts';
import type { Scope } from './scope.ts';
import { toDate } from './user-record.ts';

/**
 * CSV imports, the domain half (issue 6): the shapes the csv adapter hands in
 * (typed rows), a preview's rows (per row: action, field changes, errors
 * naming the column) and an import as stored, read back. The preview is built
 * in import-preview.ts; the commit (import-commit.ts) applies selected rows
 * through the same domain functions as the admin API and SCIM.
 */

export type ImportField =
  | 'fullName' | 'givenName' | 'familyName' | 'email' | 'userName' | 'userId' | 'groups' | 'department'
  | 'officeLocation' | 'title' | 'phone' | 'employeeNumber' | 'role' | 'status' | 'orgRole' | 'manager';

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
  /** The Manager cell, lower-cased: the manager's email or user name (import-managers.ts). */
  manager?: string;
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

type Row = Record<string, unknown>;
/** A jsonb column as read (a driver may hand it over as text), or the fallback for SQL null. */
export const jsonColumn = <T>(value: unknown, fallback: T): T => (value === null || value === undefined ? fallback : ((typeof value === 'string' ? JSON.parse(value) : value) as T));

export function rowToSummary(row: Row): ImportSummary {
  const progress = jsonColumn<Record<string, number>>(row.progress, {});
  return {
    id: String(row.id),
    mode: row.mode as ImportMode,
    status: row.status as ImportStatus,
    fileName: (row.file_name as string | null) ?? null,
    encoding: String(row.encoding),
    delimiter: String(row.delimiter),
    options: jsonColumn(row.options, {}),
    columns: jsonColumn(row.columns, {}),
    counts: jsonColumn(row.counts, {}),
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
