import type { Existing } from './import-directory.ts';
import type { PlanContext } from './import-plan-context.ts';
import type { ImportFile, ImportValues, Planned, RowProblem } from './imports.ts';

/**
 * The import's Manager column, planned (README "Columns"): the cell names the manager by email or
 * user name — a person of the org who is not deleted, or someone the same file creates. An empty
 * cell leaves the manager as is, as every empty cell does. The commit sets a manager who exists with
 * the row's other changes (a new person is created with them), and the others in a last pass once every row is applied
 * (import-commit-managers.ts), so a manager may come later in the file.
 */

/** A row's manager as stored with it: shown by `label`, written by `id`, or by the id of the person row `row` creates. */
export interface ManagerData {
  label: string;
  id?: string;
  row?: number;
  /** Planning only: someone the file creates, linked to their row once every row is planned. */
  file?: boolean;
  /** Commit only: decided already (the row pass, for a row naming an `id`: an update's change, a new person's create): the last pass leaves the row. */
  done?: boolean;
}

export interface PlannedManager {
  problem?: RowProblem;
  data?: ManagerData;
  /** The change, for a person who exists: null when the cell names their manager already. */
  change?: { from: string | null; to: string } | null;
}

export const labelOf = (user: Existing): string => user.email ?? user.userName;

/** The cell's manager for a row naming `user` (undefined: a new person); nothing when the cell is empty. */
export function planManager(ctx: PlanContext, v: ImportValues, user: Existing | undefined): PlannedManager {
  const cell = v.manager;
  if (cell === undefined) return {};
  const column = ctx.col('manager', 'Manager');
  const found = ctx.dir.byEmail.get(cell) ?? ctx.dir.byUserName.get(cell);
  const existing = found && found.state !== 'deleted' ? found : undefined;
  if ((existing && existing.id === user?.id) || (!existing && !user && cell === v.email)) {
    return { problem: { column, reason: 'manager_is_self', message: 'names this person: a person cannot be their own manager' } };
  }
  if (!existing && !ctx.fileEmails.has(cell)) {
    return {
      problem: { column, reason: 'unknown_manager', message: `nobody in this organization has the email or user name ${cell} (deleted people excepted), and no row of this file names them` },
    };
  }
  const data: ManagerData = existing ? { label: labelOf(existing), id: existing.id } : { label: cell, file: true };
  if (!user) return { data };
  if (existing && existing.id === user.managerId) return { change: null };
  const current = user.managerId ? ctx.dir.byId.get(user.managerId) : undefined;
  return { data, change: { from: current ? labelOf(current) : null, to: data.label } };
}

/** By the email of the file's rows: the (1-based) row creating that person, and the first row naming them. */
export function fileRows(file: ImportFile, planned: Planned[]): { creates: Map<string, number>; named: Map<string, number> } {
  const creates = new Map<string, number>();
  const named = new Map<string, number>();
  planned.forEach((p, index) => {
    const email = index < file.rows.length ? file.rows[index]!.values.email : undefined;
    if (email === undefined) return;
    if (!named.has(email)) named.set(email, index + 1);
    if (p.action === 'create' && !creates.has(email)) creates.set(email, index + 1);
  });
  return { creates, named };
}

/**
 * After every row is planned: a manager the file names is linked to the row creating them. When
 * that row creates nobody (it has problems, or names someone the import does not create), the row
 * applies without its manager and says so (`manager_not_set`).
 */
export function linkFileManagers(file: ImportFile, planned: Planned[]): void {
  const { creates, named } = fileRows(file, planned);
  for (const plan of planned) {
    const manager = plan.data.manager as ManagerData | undefined;
    if (!manager?.file) continue;
    const row = creates.get(manager.label);
    if (row !== undefined) {
      plan.data.manager = { label: manager.label, row } satisfies ManagerData;
      continue;
    }
    delete plan.data.manager;
    delete plan.changes.manager;
    if (plan.action === 'update' && !Object.keys(plan.changes).length) plan.action = 'unchanged';
    const column = file.headers.manager ?? 'Manager';
    (plan.notes ??= []).push({
      column,
      reason: 'manager_not_set',
      message: `${manager.label} is named by row ${named.get(manager.label)} of this file, which creates nobody (see its problems): the manager is not set`,
    });
  }
}
