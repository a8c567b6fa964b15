import type { Em } from '../db/orm.ts';
import { listImportRows } from '../directory/import-list.ts';
import type { PreviewRow } from '../directory/imports.ts';
import type { Scope } from '../directory/scope.ts';
import { cellText, csvRecord, csvRecords } from './export-cells.ts';
import { UTF8_BOM } from './export.ts';

/**
 * An import's report as CSV: one record per row of the file, in file order —
 * its line, the person, the planned action, what became of it (the outcome of
 * a commit, empty before), its problems and its notes (what it does not do),
 * each naming the column. Streamed a page at a time, like the exports.
 */
export const importReportHeader = ['Line', 'Row', 'Person', 'Action', 'Outcome', 'Changes', 'Problems', 'Notes'] as const;

type Change = { from?: unknown; to?: unknown } | string | null;

/** `+ Sales (editor), Support (viewer)`: the groups a row adds, each with its role. */
function groupsText(c: { add?: string[]; roles?: Record<string, string> }): string {
  return `+ ${(c.add ?? []).map((name) => (c.roles?.[name] ? `${name} (${c.roles[name]})` : name)).join(', ')}`;
}

/** `title: Nurse → Head nurse` for an update, `title: Nurse` for a created person's values. */
function changesText(row: PreviewRow): string {
  const text = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  return Object.entries(row.changes as Record<string, Change>)
    .flatMap(([field, c]) => (field === 'groupRoles' && c && typeof c === 'object' ? Object.entries(c).map(([group, r]) => [`role in ${group}`, r as Change] as const) : [[field, c] as const]))
    .map(([field, c]) => {
      if (field === 'groups' && c && typeof c === 'object' && 'add' in c) return `groups: ${groupsText(c as { add: string[] })}`;
      if (field === 'createGroups' && Array.isArray(c)) return `new groups: ${c.join(', ')}`;
      if (!c || typeof c !== 'object' || !('to' in c)) return `${field}: ${text(c)}`;
      return c.from === null || c.from === undefined ? `${field}: ${text(c.to)}` : `${field}: ${text(c.from)} → ${text(c.to)}`;
    })
    .join('; ');
}

/** `Email: invalid_email (is not a valid email address)`: the column, the code, the words (a note's too). */
function problemsText(problems: PreviewRow['errors']): string {
  return problems.map((e) => `${e.column ? `${e.column}: ` : ''}${e.reason}${e.message ? ` (${e.message})` : ''}`).join('; ');
}

function record(row: PreviewRow): string[] {
  return [
    String(row.line ?? ''), String(row.rowNumber), cellText(row.label), row.action, cellText(row.outcome), cellText(changesText(row)),
    cellText(problemsText(row.errors)), cellText(problemsText(row.notes)),
  ];
}

export async function* importReportChunks(em: Em, scope: Pick<Scope, 'orgId'>, id: string, pageSize = 1000): AsyncGenerator<string> {
  let afterRow: number | undefined;
  let first = true;
  for (;;) {
    const page = await listImportRows(em, scope, id, { afterRow, limit: pageSize });
    if (first) yield UTF8_BOM + csvRecord([...importReportHeader]);
    first = false;
    if (page.rows.length) yield csvRecords(page.rows.map(record));
    if (page.nextCursor === null) return;
    afterRow = page.nextCursor;
  }
}
