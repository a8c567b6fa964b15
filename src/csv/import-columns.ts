import type { ImportField } from '../directory/imports.ts';

/**
 * Import headers → fields. Headers are compared case-, space-, `_`- and
 * `-`-insensitively, with the aliases admins use; the `users.csv` export's
 * names (columns.ts) are all here, its read-only ones (dates, source, org role)
 * never written, so an export imports back as is. The org role is read all the
 * same (READ_ONLY_FIELDS): a row that would change it is told it does not.
 */
const aliases: Record<string, ImportField | 'ignored'> = {
  fullname: 'fullName',
  name: 'fullName',
  displayname: 'fullName',
  firstname: 'givenName',
  givenname: 'givenName',
  lastname: 'familyName',
  familyname: 'familyName',
  surname: 'familyName',
  email: 'email',
  emailaddress: 'email',
  useremail: 'email',
  mail: 'email',
  username: 'userName',
  userid: 'userId',
  id: 'userId',
  groups: 'groups',
  group: 'groups',
  entrypoints: 'groups',
  department: 'department',
  officelocation: 'officeLocation',
  office: 'officeLocation',
  title: 'title',
  jobtitle: 'title',
  mobile: 'phone',
  phone: 'phone',
  mobilephone: 'phone',
  employeenumber: 'employeeNumber',
  employeeid: 'employeeNumber',
  role: 'role',
  groupsrole: 'role',
  status: 'status',
  // Import only: users.csv has no Manager column (its columns are fixed), the import learns it.
  manager: 'manager',
  manageremail: 'manager',
  managerusername: 'manager',
  // Read-only columns of the users.csv export: matched by name, never written.
  organizationrole: 'orgRole',
  orgrole: 'orgRole',
  datecreated: 'ignored',
  datelastactive: 'ignored',
  source: 'ignored',
};

/** Fields read to compare, never written: their headers are also listed as read-only. */
const READ_ONLY_FIELDS: ReadonlySet<ImportField> = new Set(['orgRole']);

export function normaliseHeader(header: string): string {
  return header.normalize('NFKC').toLowerCase().replace(/[\s_\-.]+/g, '');
}

export interface ColumnMap {
  /** Field → column index. */
  fields: Partial<Record<ImportField, number>>;
  /** Headers recognised as read-only (matched, never written). */
  readOnly: string[];
  /** Headers no alias matches: reported, not fatal. */
  unknown: string[];
  /** A field given twice (e.g. `Name` and `Full Name`): the first column wins, reported. */
  duplicates: string[];
}

export function mapHeaders(headers: string[]): ColumnMap {
  const map: ColumnMap = { fields: {}, readOnly: [], unknown: [], duplicates: [] };
  headers.forEach((header, index) => {
    const target = aliases[normaliseHeader(header)];
    if (target === undefined) {
      if (header.trim()) map.unknown.push(header);
    } else if (target === 'ignored') map.readOnly.push(header);
    else if (map.fields[target] !== undefined) map.duplicates.push(header);
    else {
      map.fields[target] = index;
      if (READ_ONLY_FIELDS.has(target)) map.readOnly.push(header);
    }
  });
  return map;
}
