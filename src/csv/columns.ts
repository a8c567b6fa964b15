/**
 * The CSV column names, one table for exports and imports (issue 6): an
 * exported `users.csv` is accepted by the `upsert` import as is, so both sides
 * read their headers from here. These names are public (documented in the
 * README, used in admins' spreadsheets): change them only with a migration
 * note, never silently.
 */
export const exportHeaders = {
  users: [
    'User Name', 'User ID', 'User Email', 'First Name', 'Last Name', 'Organization Role', 'Status',
    'Date Created', 'Date Last Active', 'Source', 'Department', 'Office Location',
  ],
  'users-memberships': [
    'User Name', 'User ID', 'User Email', 'Entry Point Name', 'Entry Point ID', 'Entry Point Role', 'Date Added', 'Date Last Active',
  ],
  invitations: ['Date Invited', 'Invited Name', 'Invited Email', 'Invited By', 'Status', 'Expires'],
  'invitations-memberships': [
    'Date Invited', 'Invited Name', 'Invited Email', 'Invited By', 'Status', 'Expires', 'Entry Point Name', 'Entry Point ID', 'Entry Point Role',
  ],
  audit: ['Date', 'Actor Type', 'Actor', 'Action', 'Target Type', 'Target ID', 'Target', 'Details (JSON)', 'Request ID', 'IP'],
} as const satisfies Record<string, readonly string[]>;

export type ExportName = keyof typeof exportHeaders;
export const exportNames = Object.keys(exportHeaders) as ExportName[];
export type ExportHeader<N extends ExportName> = (typeof exportHeaders)[N][number];

export function isExportName(value: string): value is ExportName {
  return Object.hasOwn(exportHeaders, value);
}
