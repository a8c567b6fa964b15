import { importProfileFields, type ImportField, type ImportProfileField, type RowProblem } from './imports.ts';
import { emptyUserFields, type UserFields } from './user-record.ts';
import { overLongFields, userFieldMaxLength } from './users.ts';

/**
 * What a preview row is held to beyond matching (imports.ts): the directory's
 * own field rules, so that the preview flags what the commit would refuse, and
 * the name a row gives a person.
 */

/** The row's values as the fields an update writes (only those the file gives; no name split). */
export function updatedFields(userName: string, profile: Partial<Record<ImportProfileField, string>>): UserFields {
  const fields = emptyUserFields(userName);
  for (const field of importProfileFields) if (field !== 'phone' && profile[field] !== undefined) fields[field] = profile[field];
  if (profile.phone !== undefined) fields.phoneNumbers = [{ value: profile.phone, type: 'mobile', primary: true }];
  return fields;
}

/**
 * Fields too long for the directory (users.ts overLongFields: the rule every
 * write path applies), each on the column it came from, one problem per
 * column: a first or last name split from the Full Name is that column's
 * problem when the Full Name itself is not too long.
 */
export function tooLong(fields: UserFields, profile: Partial<Record<ImportProfileField, string>>, col: (field: ImportField, fallback: string) => string): RowProblem[] {
  const split = { givenName: 'first name', familyName: 'last name' } as const;
  const problems = new Map<string, RowProblem>();
  for (const { field, limit } of overLongFields(fields)) {
    let problem: RowProblem;
    if ((field === 'givenName' || field === 'familyName') && profile[field] === undefined) {
      problem = { column: col('fullName', 'Full Name'), reason: 'too_long', message: `the ${split[field]} taken from it must be at most ${limit} characters` };
    } else {
      const column = field === 'displayName' ? col('fullName', 'Full Name') : field === 'userName' || field === 'emails' ? col('email', 'Email')
        : field === 'givenName' ? col('givenName', 'First Name') : field === 'familyName' ? col('familyName', 'Last Name') : col(field as ImportField, field);
      problem = { column, reason: 'too_long', message: `must be at most ${limit} characters` };
    }
    // The column's own limit wins over a name split from it.
    if (!problems.has(problem.column!) || field === 'displayName') problems.set(problem.column!, problem);
  }
  return [...problems.values()];
}

/**
 * Whether a stored value is what a (trimmed) CSV cell says: a value stored with
 * spaces, a tab or a line break around it (an IdP sent it so) is exported as
 * is, and read back trimmed; it is the same value, not a change.
 */
export function sameCell(stored: string | null | undefined, cell: string | null | undefined): boolean {
  if (stored === cell) return true;
  return typeof stored === 'string' && typeof cell === 'string' && stored.trim() === cell;
}

/**
 * "First Last" as the display name (and so the invitation's name) when the row
 * gives a first or last name but no Full Name, for a new person, or for one
 * without a display name whose name the row changes (an exported users.csv,
 * which has First and Last Name, imports back unchanged).
 */
export function joinedName(profile: Partial<Record<ImportProfileField, string>>, current: Record<ImportProfileField, string | null> | undefined): string | undefined {
  if (profile.displayName !== undefined || (profile.givenName === undefined && profile.familyName === undefined)) return undefined;
  if (current) {
    const renamed = !sameCell(current.givenName, profile.givenName ?? current.givenName) || !sameCell(current.familyName, profile.familyName ?? current.familyName);
    if (current.displayName !== null || !renamed) return undefined;
  }
  const joined = [profile.givenName ?? current?.givenName, profile.familyName ?? current?.familyName].filter(Boolean).join(' ');
  return joined && joined.length <= userFieldMaxLength.displayName! ? joined : undefined;
}

