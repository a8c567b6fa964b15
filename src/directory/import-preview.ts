import type { Em } from '../db/orm.ts';
import { uuidv7 } from '../lib/ids.ts';
import { ValidationError } from './errors.ts';
import { loadDirectory, type Directory } from './import-directory.ts';
import { planRow, planSyncDisables, type RowsSeen } from './import-plan.ts';
import { planContext, type PlanContext, type PlanSettings } from './import-plan-context.ts';
import { linkFileManagers } from './import-managers.ts';
import { refuseManagerLoops } from './import-manager-loops.ts';
import { insertPreviewRows } from './import-rows.ts';
import { getImport, type ImportFile, type ImportOptions, type ImportSummary, type Planned } from './imports.ts';
import { getLicense } from './license.ts';
import { isEnabled } from './lifecycle.ts';
import { exceedsMassDisable } from './mass-disable.ts';
import { defaultMembershipRole, getOrgSettings } from './org-settings.ts';
import type { Scope } from './scope.ts';

/**
 * A CSV import's preview (issue 6): typed rows from the csv adapter → the plan
 * of each row (import-plan.ts), counted, weighed against the mass-disable guard
 * and stored with the import. Nothing but the preview is written here; the
 * commit (import-commit.ts) applies selected rows through the same domain
 * functions as the admin API and SCIM.
 */

/** A file whose rows cannot name anyone is refused whole. */
function assertMatchable(file: ImportFile, options: ImportOptions): void {
  if (file.headers.email !== undefined || file.headers.userId !== undefined || file.headers.userName !== undefined) return;
  if (options.mode === 'disable') throw ValidationError.field('file', 'has no Email, User Name or User ID column: nobody can be matched');
  throw ValidationError.field('file', 'has no Email column (or User Name / User ID): rows cannot be matched to people');
}

function countRows(planned: Planned[]): Record<string, number> {
  const counts: Record<string, number> = { create: 0, update: 0, unchanged: 0, disable: 0, skip: 0, errors: 0, notes: 0 };
  for (const p of planned) {
    counts[p.action]!++;
    if (p.errors.length) counts.errors!++;
    if (p.notes?.length) counts.notes!++;
  }
  return counts;
}

/**
 * Every enabled person the import would disable counts: those a sync finds missing, and those a Status
 * column disables (in any mode): an HR file whose Status column says "Inactive" on every row is a mass disable too.
 */
function massDisable(dir: Directory, planned: Planned[], threshold: number): { disable: number; enabled: number; needsForce: boolean } {
  let enabled = 0;
  for (const user of dir.byId.values()) if (isEnabled(user.state)) enabled++;
  const disable = planned.filter((p) => p.action === 'disable' || (p.action === 'update' && (p.changes.status as { to?: string } | undefined)?.to === 'disabled')).length;
  return { disable, enabled, needsForce: exceedsMassDisable({ disable, enabled, threshold }) };
}

/** How many times the rows are planned again for the seats of rows refused for a loop of managers. */
const MAX_REPLANS = 3;

/** Every row of the file planned in file order (the seats and org admins counted as the commit would meet them), loops of managers refused. */
function planRows(dir: Directory, file: ImportFile, options: ImportOptions, settings: PlanSettings): { ctx: PlanContext; rows: RowsSeen; planned: Planned[] } {
  const ctx = planContext(dir, file, options, settings);
  const rows: RowsSeen = { seen: new Set(), matched: new Set() };
  const planned = file.rows.map((row) => planRow(ctx, row, rows));
  if (file.headers.manager !== undefined) refuseManagerLoops(dir, file, planned);
  return { ctx, rows, planned };
}

/** The lines of rows refused for a loop of managers that took a seat (or were planned without one). */
function refusedSeats(planned: Planned[], ctx: PlanContext): Set<number> {
  const lines = new Set<number>();
  for (const p of planned) if (p.line !== null && ctx.seats.taken.has(p.line) && p.errors.some((e) => e.reason === 'manager_cycle')) lines.add(p.line);
  return lines;
}

const sameLines = (a: ReadonlySet<number>, b: ReadonlySet<number>): boolean => a.size === b.size && [...a].every((line) => b.has(line));

/** Builds and stores the preview. Writes only the import and its rows. */
export async function previewImport(em: Em, scope: Scope, file: ImportFile, options: ImportOptions, now: Date = new Date()): Promise<ImportSummary> {
  const settings = await getOrgSettings(em, scope);
  const license = await getLicense(em, scope);
  const dir = await loadDirectory(em, scope.orgId, now);
  assertMatchable(file, options);
  const planSettings: PlanSettings = { roles: settings.roles, defaultRole: defaultMembershipRole(settings), seatsLeft: license.remaining, seatLimit: license.seatLimit };
  let { ctx, rows, planned } = planRows(dir, file, options, planSettings);
  // Only a Manager column names managers: a file without one walks no loops and links no rows (a 100,000-row file pays nothing).
  if (file.headers.manager !== undefined) {
    // A row refused for a loop holds no seat: when such rows took one and a later row found none, the rows are planned again
    // with those seats free, until the rows refused are those planned without a seat (rarely more than once).
    for (let again = 0; again < MAX_REPLANS; again++) {
      const held = refusedSeats(planned, ctx);
      if (sameLines(held, ctx.seats.free) || !planned.some((p) => p.errors.some((e) => e.reason === 'no_seats'))) break;
      ({ ctx, rows, planned } = planRows(dir, file, options, { ...planSettings, freeSeats: held }));
    }
    linkFileManagers(file, planned);
  }
  if (options.mode === 'sync') planned.push(...planSyncDisables(ctx, rows));
  const id = uuidv7();
  await em.transactional(async (tx) => {
    await storePreview(tx, scope, id, file, options, planned, massDisable(dir, planned, settings.massDisableThreshold));
    await insertPreviewRows(tx, id, planned);
  });
  return getImport(em, scope, id);
}

async function storePreview(
  tx: Em, scope: Scope, id: string, file: ImportFile, options: ImportOptions, planned: Planned[], guard: ReturnType<typeof massDisable>,
): Promise<void> {
  const stored = { noInvite: Boolean(options.noInvite), createGroups: Boolean(options.createGroups), exceptScim: Boolean(options.exceptScim) };
  await tx.execute(
    `insert into csv_imports (id, created_at, updated_at, org_id, mode, status, file_name, encoding, delimiter, options, columns, counts, disable_count, enabled_count, needs_force, total, processed, progress, created_by_label, version)
     values (?, now(), now(), ?, ?, 'previewed', ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ?, ?, ?, 0, 0, '{}'::jsonb, ?, 1)`,
    [id, scope.orgId, options.mode, file.fileName?.slice(0, 300) ?? null, file.encoding, file.delimiter, JSON.stringify(stored),
      JSON.stringify({ recognised: file.headers, ...file.columns }), JSON.stringify(countRows(planned)), guard.disable, guard.enabled, guard.needsForce, scope.actor.label.slice(0, 320)],
  );
}
