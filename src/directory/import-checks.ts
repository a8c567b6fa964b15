import { importProfileFields, type ImportField, type ImportProfileField, type RowProblem } from './imports.ts';
import { emptyUserFields, type UserFields } from './user-record.ts';
import { overLongFields, SHORTEST_FIELD_LIMIT, userFieldMaxLength } from './user-validation.ts';

/**
 * What a preview row is held to beyond matching (import-plan-upsert.ts): the directory's
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
 * Whether a row's values are all too short to be too long for any field (SHORTEST_FIELD_LIMIT): the
 * everyday row, which then needs no fields built for tooLong. A name split from a value is shorter still.
 */
export function withinShortestLimit(first: string, profile: Partial<Record<ImportProfileField, string>>): boolean {
  if (first.length > SHORTEST_FIELD_LIMIT) return false;
  for (const field of importProfileFields) if ((profile[field]?.length ?? 0) > SHORTEST_FIELD_LIMIT) return false;
  return true;
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
 * Whether a character survives a file written in Windows-1252 (what Excel saves as "CSV"
 * in Western locales): Latin-1 and the typographic characters of 0x80–0x9F.
 */
const windows1252Extras = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
function inWindows1252(ch: string): boolean {
  const code = ch.codePointAt(0)!;
  return code < 0x80 || (code >= 0xa0 && code <= 0xff) || windows1252Extras.has(ch);
}

/**
 * A letter Windows-1252 lacks as a spreadsheet writes it there: `?` (Excel), or the
 * letter without its accents (Windows' best fit: ř → r, ő → o; Ł → L has no decomposition).
 */
function writtenFor(stored: string, cell: string): boolean {
  if (cell === '?') return true;
  const base = stored.normalize('NFD').replace(/\p{M}+/gu, '');
  return base === cell || ({ Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', Ħ: 'H', ħ: 'h' } as Record<string, string>)[stored] === cell;
}

/**
 * Whether a cell read from a Windows-1252 file says the stored value, but for the
 * letters that code page cannot hold (`Łukasz` exported, saved by Excel as `?ukasz`):
 * the file could not say otherwise, so it is no change.
 */
function sameBut1252Losses(stored: string, cell: string): boolean {
  const a = [...stored.normalize('NFC')];
  const b = [...cell.normalize('NFC')];
  if (a.length !== b.length) return false;
  let lost = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (inWindows1252(a[i]!) || !writtenFor(a[i]!, b[i]!)) return false;
    lost = true;
  }
  return lost;
}

export interface CellReading {
  /** The file was read as Windows-1252: letters it lacks came as `?` (or without accents). */
  windows1252?: boolean;
}

/**
 * Whether a stored value is what a (trimmed) CSV cell says: a value stored with
 * spaces, a tab or a line break around it (an IdP sent it so) is exported as
 * is, and read back trimmed; it is the same value, not a change. Nor is a
 * letter a Windows-1252 file cannot hold (see sameBut1252Losses).
 */
export function sameCell(stored: string | null | undefined, cell: string | null | undefined, reading: CellReading = {}): boolean {
  if (stored === cell) return true;
  if (typeof stored !== 'string' || typeof cell !== 'string') return false;
  return stored.trim() === cell || (Boolean(reading.windows1252) && sameBut1252Losses(stored.trim(), cell));
}

/**
 * The display name a row gives a person when it has a first or last name but no
 * Full Name: "First Last" for a new person, or for one without a display name
 * whose name the row changes; and for one whose display name was made of their
 * names ("Eva Schmidt", or "Schmidt, Eva" as Outlook writes it), the same form of
 * the new names, so it never goes stale (Eva Schmidt marries: Eva Weber). A
 * display name of one's own ("Evi") stays; an exported users.csv, which has
 * First and Last Name, imports back unchanged.
 */
export function joinedName(profile: Partial<Record<ImportProfileField, string>>, current: Record<ImportProfileField, string | null> | undefined, reading: CellReading = {}): string | undefined {
  if (profile.displayName !== undefined || (profile.givenName === undefined && profile.familyName === undefined)) return undefined;
  const given = profile.givenName ?? current?.givenName;
  const family = profile.familyName ?? current?.familyName;
  let joined = [given, family].filter(Boolean).join(' ');
  if (current) {
    const renamed = !sameCell(current.givenName, given, reading) || !sameCell(current.familyName, family, reading);
    if (!renamed) return undefined;
    if (current.displayName !== null) {
      const was = (g: string | null, f: string | null) => [g, f].filter(Boolean).join(' ');
      const wasReversed = (g: string | null, f: string | null) => (g && f ? `${f}, ${g}` : null);
      if (sameCell(current.displayName, wasReversed(current.givenName, current.familyName))) joined = wasReversed(given ?? null, family ?? null) ?? joined;
      else if (!sameCell(current.displayName, was(current.givenName, current.familyName))) return undefined;
    }
  }
  return joined && joined.length <= userFieldMaxLength.displayName! ? joined : undefined;
}
