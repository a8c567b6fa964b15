import type { Em } from '../db/orm.ts';
import type { ImportAction } from '../db/entities/index.ts';
import { isUuid } from '../lib/ids.ts';
import { ValidationError } from './errors.ts';
import { getOrgSettings } from './org-settings.ts';
import { getImport, jsonColumn, rowToSummary, type ImportSummary, type PreviewRow } from './imports.ts';
import { createChanges, rowOutcomeSql, rowUserIdSql } from './import-rows.ts';
import type { Scope } from './scope.ts';

/** Imports as lists: an org's imports, and one import's preview rows, each a page at a time. */

/**
 * An org's imports, newest first (ids are uuidv7: their order is their age),
 * with a cursor: the id of the last one shown.
 */
export async function listImports(em: Em, scope: Pick<Scope, 'orgId'>, query: { beforeId?: string | undefined; limit: number }): Promise<{ imports: ImportSummary[]; nextCursor: string | null }> {
  // A cursor this API did not give is refused, as the other lists do: ignored, it would restart a paging client at page one.
  if (query.beforeId !== undefined && !isUuid(query.beforeId)) throw ValidationError.field('cursor', 'is not a cursor this API returned');
  const before = query.beforeId ?? null;
  const rows = await em.execute(
    `select * from csv_imports where org_id = ? ${before ? 'and id < ?' : ''} order by id desc limit ?`,
    before ? [scope.orgId, before, query.limit + 1] : [scope.orgId, query.limit + 1],
  );
  const settings = await getOrgSettings(em, scope);
  const imports = rows.slice(0, query.limit).map((r) => rowToSummary({ ...r, threshold: settings.massDisableThreshold }));
  return { imports, nextCursor: rows.length > query.limit ? imports[imports.length - 1]!.id : null };
}

/** A preview's rows in file order, filtered by action or to those with errors, with a cursor: the last row number shown. */
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
    changes: r.action === 'create' ? createChanges(jsonColumn(r.data, {})) : jsonColumn(r.changes, {}),
    errors: jsonColumn(r.errors, []),
    notes: jsonColumn(r.notes, []),
    outcome: (r.row_outcome as string | null) ?? null,
  }));
  return { rows: page, nextCursor: rows.length > query.limit ? page[page.length - 1]!.rowNumber : null };
}
