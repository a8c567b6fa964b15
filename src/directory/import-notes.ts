import type { OrgRole } from '../db/entities/index.ts';
import type { RowProblem } from './imports.ts';

/**
 * A preview row's notes: what the file asks that the import does not do,
 * said on the row (preview, console, report) and never blocking it.
 */

/**
 * An Organization Role cell that is not the person's role (a new person's: member). The import does not
 * change it: the org role is an access change only an org admin makes (setUserAccess, with the last-admin
 * guard), through the admin API or the CLI; an import needs only users.edit. The row
 * says so rather than read as if the file were applied.
 */
export function orgRoleNote(cell: string, current: OrgRole | null, column: string): RowProblem | null {
  if (cell === (current ?? 'member')) return null;
  const now = current ? `the person is ${current}` : 'a new person joins as member';
  return {
    column,
    reason: 'org_role_not_imported',
    message: `the file says ${cell}, ${now}: the organization role is not changed by a CSV import — an org admin changes it with the admin API (PUT /users/:id/access) or the command line (gatehouse user access)`,
  };
}
