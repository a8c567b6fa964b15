import type { Em } from '../db/orm.ts';
import type { ImportMode } from '../db/entities/index.ts';
import { commitImport, type CommitDeps } from '../directory/import-commit.ts';
import { MassDisableError, massDisableText } from '../directory/mass-disable.ts';
import type { ImportSummary } from '../directory/imports.ts';
import { previewImport } from '../directory/import-preview.ts';
import type { Scope } from '../directory/scope.ts';
import { parseImportFile } from './import-parse.ts';

/**
 * `gatehouse import`: preview a file, print the counts, and with `commit`
 * apply it in batches with a progress bar on stderr. The CLI and the admin
 * API share the parse → preview → commit path.
 */
export interface ImportCliInput {
  fork: () => Em;
  scope: Scope;
  deps: CommitDeps;
  bytes: Uint8Array;
  fileName: string;
  /** imports.maxRowChars, as the admin API reads uploads. */
  maxRecordChars?: number;
  mode: ImportMode;
  noInvite: boolean;
  createGroups: boolean;
  exceptScim: boolean;
  commit: boolean;
  force: boolean;
  json: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
}

export function progressBar(processed: number, total: number, width = 30): string {
  const share = total ? Math.min(1, processed / total) : 1;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${processed}/${total} (${Math.round(share * 100)}%)`;
}

/**
 * The commit's progress line: the rows' bar, then the manager pass's own (`setting managers`), on a
 * line of its own once the rows are done, since the rows' count stays at its total meanwhile.
 */
export function progressLine(progress: ImportSummary['progress']): string {
  const total = progress.managerPassTotal;
  return total === undefined ? progressBar(progress.processed, progress.total) : `setting managers ${progressBar(progress.managerPassDone ?? 0, total)}`;
}

function progressPrinter(err: (text: string) => void): (summary: ImportSummary) => void {
  let managers = false;
  return (summary) => {
    const pass = summary.progress.managerPassTotal !== undefined;
    if (pass && !managers) err('\n');
    managers = pass;
    err(`\r${progressLine(summary.progress)}`);
  };
}

function describe(summary: ImportSummary, force = false): string {
  const c = summary.counts;
  const lines = [
    `Import ${summary.id} (${summary.mode}, ${summary.encoding}, delimiter "${summary.delimiter}"): ${c.create ?? 0} to create, ${c.update ?? 0} to update, ${c.unchanged ?? 0} unchanged, ${c.disable ?? 0} to disable, ${c.skip ?? 0} skipped (${c.errors ?? 0} with errors)${c.notes ? `; ${c.notes} with notes (what the import does not change, e.g. Organization Role, or a Role on a row without groups: see the report)` : ''}`,
  ];
  if (summary.encoding === 'windows-1252') lines.push('Note: the file is not UTF-8; it was read as Windows-1252.');
  const unknown = (summary.columns.unknown as string[] | undefined) ?? [];
  if (unknown.length) lines.push(`Ignored columns: ${unknown.join(', ')}`);
  const m = summary.massDisable;
  if (m.needsForce && force) lines.push(`Disables ${massDisableText(m.disable, m.enabled, m.threshold)}: committing with --force.`);
  else if (m.needsForce) lines.push(`Would disable ${massDisableText(m.disable, m.enabled, m.threshold)}: add --force to commit.`);
  return lines.join('\n');
}

export async function runImportCli(input: ImportCliInput): Promise<ImportSummary> {
  const file = parseImportFile(input.bytes, { fileName: input.fileName, ...(input.maxRecordChars ? { maxRecordChars: input.maxRecordChars } : {}) });
  const preview = await previewImport(input.fork(), input.scope, file, { mode: input.mode, noInvite: input.noInvite, createGroups: input.createGroups, exceptScim: input.exceptScim }, input.deps.now());
  if (!input.commit) {
    input.out(input.json ? JSON.stringify(preview) : `${describe(preview)}\nPreview only: run again with --commit to apply, or commit import ${preview.id} through the admin API.`);
    return preview;
  }
  if (!input.json) input.out(describe(preview, input.force));
  if (preview.massDisable.needsForce && !input.force) {
    const m = preview.massDisable;
    throw new MassDisableError(`This import would disable ${massDisableText(m.disable, m.enabled, m.threshold)}; nothing was committed: run again with --force to commit it`);
  }
  const done = await commitImport(input.fork, input.scope, input.deps, preview.id, { rows: 'all', force: input.force }, {
    onProgress: progressPrinter(input.err),
  });
  input.err('\n');
  const p = done.progress;
  input.out(input.json ? JSON.stringify(done) : `Committed: ${p.applied} applied, ${p.failed} failed of ${p.total}.`);
  return done;
}
