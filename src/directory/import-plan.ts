import type { ImportRowInput, Planned, RowProblem } from './imports.ts';
import { matchPerson, type Existing } from './import-directory.ts';
import { rowNotes } from './import-notes.ts';
import type { PlanContext } from './import-plan-context.ts';
import { deletedProblem, exceptScimProblem, planUpsert } from './import-plan-upsert.ts';
import { isEmailAddress, MAX_EMAIL_LENGTH } from './invitation-addresses.ts';
import { isEnabled } from './lifecycle.ts';
import type { UserSource } from '../db/entities/index.ts';

/**
 * Each row of a preview planned (import-preview.ts): who it names, then what
 * its mode does with them — `disable` here, `upsert` and `sync` in
 * import-plan-upsert.ts — and, for a sync, the people the file leaves out.
 */

/** Sync disables only people the org manages itself; SCIM and SAML-JIT users belong to the IdP. */
const syncManagedSources: readonly UserSource[] = ['csv', 'invitation', 'admin'];

/** Across the rows of one file: the people already named (by id, else email or user name) and those matched. */
export interface RowsSeen {
  seen: Set<string>;
  matched: Set<string>;
}

function emailProblem(email: string | undefined, column: string): RowProblem | null {
  if (email === undefined) return null;
  if (email.length > MAX_EMAIL_LENGTH) return { column, reason: 'too_long', message: `must be at most ${MAX_EMAIL_LENGTH} characters` };
  return isEmailAddress(email) ? null : { column, reason: 'invalid_email', message: 'is not a valid email address' };
}

export function planRow(ctx: PlanContext, row: ImportRowInput, rows: RowsSeen): Planned {
  const { col, options } = ctx;
  const v = row.values;
  const errors: RowProblem[] = [...row.problems];
  const plan: Planned = { line: row.line, action: 'skip', userId: null, label: v.email ?? v.userName ?? v.userId ?? null, data: {}, changes: {}, errors };
  const invalidEmail = emailProblem(v.email, col('email', 'Email'));
  if (invalidEmail) errors.push(invalidEmail);
  const user = matchPerson(ctx.dir, v);
  if (user) {
    plan.userId = user.id;
    plan.label = user.email ?? user.userName;
    rows.matched.add(user.id);
  }
  if (options.mode !== 'disable') {
    const notes = rowNotes(ctx, v, user?.orgRole ?? null);
    if (notes.length) plan.notes = notes;
  }
  const key = user?.id ?? v.email?.toLowerCase() ?? v.userName?.toLowerCase();
  if (key !== undefined) {
    if (rows.seen.has(key)) errors.push({ column: col('email', 'Email'), reason: 'duplicate_in_file', message: 'this person is already on an earlier row' });
    rows.seen.add(key);
  }
  if (errors.length) return plan;
  if (options.mode === 'disable') planDisable(ctx, plan, user);
  else planUpsert(ctx, plan, v, user);
  return plan;
}

/** A `disable` row: the person it names is disabled, unless already, deleted, kept (except-scim) or the last org admin. */
function planDisable(ctx: PlanContext, plan: Planned, user: Existing | undefined): void {
  const { col, options } = ctx;
  const errors = plan.errors;
  if (!user) errors.push({ column: col('email', col('userName', 'User ID')), reason: 'not_found', message: 'nobody in this organization has this email address, user name or user ID' });
  else if (user.state === 'deleted') errors.push(deletedProblem);
  else if (user.source === 'scim' && options.exceptScim) errors.push(exceptScimProblem);
  else if (!isEnabled(user.state)) plan.action = 'unchanged';
  else {
    const refused = ctx.lastAdmin(user, null);
    if (refused) {
      errors.push(refused);
      return;
    }
    plan.action = 'disable';
    plan.changes = { status: { from: user.status, to: 'disabled' } };
  }
}

/** A sync's extra rows: every enabled person the org manages itself whom no row matched is disabled. */
export function planSyncDisables(ctx: PlanContext, rows: RowsSeen): Planned[] {
  const planned: Planned[] = [];
  for (const user of ctx.dir.byId.values()) {
    if (rows.matched.has(user.id) || !isEnabled(user.state) || !syncManagedSources.includes(user.source)) continue;
    const refused = ctx.lastAdmin(user, null);
    const label = user.email ?? user.userName;
    if (refused) planned.push({ line: null, action: 'skip', userId: user.id, label, data: {}, changes: {}, errors: [refused] });
    else planned.push({ line: null, action: 'disable', userId: user.id, label, data: {}, changes: { status: { from: user.status, to: 'disabled' }, reason: 'not in the file' }, errors: [] });
  }
  return planned;
}
