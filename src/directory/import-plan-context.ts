import type { CellReading } from './import-checks.ts';
import { groupFinder, type Directory, type DirectoryGroup, type Existing } from './import-directory.ts';
import type { ImportField, ImportFile, ImportOptions, RowProblem } from './imports.ts';
import { losesOrgAdmin } from './org-admins.ts';

/**
 * What planning the rows of one preview shares (import-plan.ts): the directory
 * as loaded, the org's roles, how the file names its columns, and the two
 * counters the commit would meet in file order — seats left and enabled org admins.
 */
export interface PlanContext {
  dir: Directory;
  options: ImportOptions;
  /** The org's group roles, and the one a group gets when the row names none. */
  roles: readonly string[];
  defaultRole: string;
  /** The header naming a field in this file, else the fallback: for messages. */
  col: (field: ImportField, fallback: string) => string;
  reading: CellReading;
  findGroup: (name: string) => DirectoryGroup | undefined;
  /** Every Email cell of the file (lower-cased): whom a Manager cell may name besides the org's people. */
  fileEmails: ReadonlySet<string>;
  seats: Seats;
  /** The problem for disabling `user`, when they are the last enabled org admin left; counts them as gone otherwise. */
  lastAdmin: (user: Existing, column: string | null) => RowProblem | null;
}

/** The seats rows take in file order: a new active person (without an invitation) or a reactivation takes one. */
export interface Seats {
  left: number;
  limit: number | null;
  /** The lines of rows that hold none: refused for a loop of managers when the rows were planned before (import-preview.ts). */
  free: ReadonlySet<number>;
  /** The lines of rows that took a seat, or would have but for `free`. */
  taken: Set<number>;
}

export interface PlanSettings {
  roles: readonly string[];
  defaultRole: string;
  seatsLeft: number | null;
  seatLimit: number | null;
  /** Seats.free; none by default. */
  freeSeats?: ReadonlySet<number>;
}

/** Takes a seat for the row on `line` (null: a row of no line); false when none is left (the row's `no_seats`). */
export function takeSeat(seats: Seats, line: number | null): boolean {
  if (line === null || !seats.free.has(line)) {
    if (seats.left <= 0) return false;
    seats.left--;
  }
  if (line !== null) seats.taken.add(line);
  return true;
}

export function planContext(dir: Directory, file: ImportFile, options: ImportOptions, settings: PlanSettings): PlanContext {
  const reading: CellReading = { windows1252: file.encoding === 'windows-1252' };
  return {
    dir,
    options,
    roles: settings.roles,
    defaultRole: settings.defaultRole,
    col: (field, fallback) => file.headers[field] ?? fallback,
    reading,
    findGroup: groupFinder(dir, reading),
    // Only a Manager cell looks people up here (planManager): a file without that column builds no set.
    fileEmails: new Set(file.headers.manager === undefined ? [] : file.rows.flatMap((row) => (row.values.email === undefined ? [] : [row.values.email]))),
    seats: { left: settings.seatsLeft ?? Number.POSITIVE_INFINITY, limit: settings.seatLimit, free: settings.freeSeats ?? new Set(), taken: new Set() },
    lastAdmin: lastAdminGuard(dir),
  };
}

/**
 * The commit applies rows in file order and refuses to disable the last enabled org admin
 * (org-admins.ts assertNotLastOrgAdmin): the row that would be refused is flagged now.
 */
function lastAdminGuard(dir: Directory): PlanContext['lastAdmin'] {
  let adminsLeft = 0;
  for (const user of dir.byId.values()) if (losesOrgAdmin(user)) adminsLeft++;
  return (user, column) => {
    if (!losesOrgAdmin(user)) return null;
    if (adminsLeft > 1) {
      adminsLeft--;
      return null;
    }
    return { column, reason: 'last_org_admin', message: 'this is the organization\'s last org admin (enabled); they cannot be disabled. Make someone else an org admin first' };
  };
}
