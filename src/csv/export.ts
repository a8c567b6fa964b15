import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Em } from '../db/orm.ts';
import type { PeopleFilter } from '../directory/people.ts';
import type { Scope } from '../directory/scope.ts';
import {
  auditExportBatches,
  invitationExportBatches,
  invitationMembershipExportBatches,
  membershipExportBatches,
  userExportBatches,
  type AuditExportFilter,
  type BatchOptions,
  type InvitationExportFilter,
  type InvitationExportRow,
} from '../directory/export-queries.ts';
import { exportHeaders, type ExportHeader, type ExportName } from './columns.ts';
import { cellText, csvRecord, csvRecords, type Cell, type CsvDelimiter } from './export-cells.ts';

/**
 * The CSV exports (issue 6): each name pairs its domain rows with its column
 * table entry, and every export is written the same way — a UTF-8 BOM (Excel
 * otherwise reads UTF-8 as the locale's code page), the header line, then one
 * chunk per database batch, CRLF line ends (RFC 4180).
 */

export const UTF8_BOM = '\uFEFF';

export interface ExportFilters {
  users: PeopleFilter;
  'users-memberships': PeopleFilter;
  invitations: InvitationExportFilter;
  'invitations-memberships': InvitationExportFilter;
  audit: AuditExportFilter;
}

export type ExportRequest = { [N in ExportName]: { name: N; filters: ExportFilters[N]; delimiter?: CsvDelimiter | undefined } }[ExportName];

/** The `delimiter` parameter's words → the separator (`,` by default). */
export const delimiterNames = { comma: ',', semicolon: ';' } as const satisfies Record<string, CsvDelimiter>;

type Cells<N extends ExportName> = Record<ExportHeader<N>, Cell>;

interface ExportSpec<N extends ExportName, R> {
  batches(em: Em, scope: Pick<Scope, 'orgId'>, filters: ExportFilters[N], now: Date, options: BatchOptions): AsyncIterable<R[]>;
  cells(row: R): Cells<N>;
}

const invitationCells = (i: InvitationExportRow): Cells<'invitations'> => ({
  'Date Invited': i.createdAt,
  'Invited Name': i.name,
  'Invited Email': i.email,
  'Invited By': i.invitedBy,
  Status: i.status,
  Expires: i.expiresAt,
});

const specs: { [N in ExportName]: ExportSpec<N, never> } = {
  users: spec({
    batches: userExportBatches,
    cells: (u) => ({
      'User Name': u.userName,
      'User ID': u.id,
      'User Email': u.email,
      'First Name': u.givenName,
      'Last Name': u.familyName,
      'Organization Role': u.orgRole,
      Status: u.status,
      'Date Created': u.createdAt,
      'Date Last Active': u.lastActiveAt,
      Source: u.source,
      Department: u.department,
      'Office Location': u.officeLocation,
    }),
  }),
  'users-memberships': spec({
    batches: membershipExportBatches,
    cells: (m) => ({
      'User Name': m.userName,
      'User ID': m.userId,
      'User Email': m.email,
      'Entry Point Name': m.groupName,
      'Entry Point ID': m.groupId,
      'Entry Point Role': m.role,
      'Date Added': m.addedAt,
      'Date Last Active': m.lastActiveAt,
    }),
  }),
  invitations: spec({ batches: invitationExportBatches, cells: invitationCells }),
  'invitations-memberships': spec({
    batches: invitationMembershipExportBatches,
    cells: (i) => ({ ...invitationCells(i), 'Entry Point Name': i.groupName, 'Entry Point ID': i.groupId, 'Entry Point Role': i.role }),
  }),
  audit: spec({
    batches: (em, scope, filters, _now, options) => auditExportBatches(em, scope, filters, options),
    cells: (a) => ({
      Date: a.at,
      'Actor Type': a.actorType,
      Actor: a.actorLabel,
      Action: a.action,
      'Target Type': a.targetType,
      'Target ID': a.targetId,
      Target: a.targetLabel,
      'Details (JSON)': JSON.stringify(a.details),
      'Request ID': a.requestId,
      IP: a.ip,
    }),
  }),
};

/** Infers R from the batches function, then forgets it behind `never` for the table. */
function spec<N extends ExportName, R>(s: ExportSpec<N, R>): ExportSpec<N, never> {
  return s as unknown as ExportSpec<N, never>;
}

/** The header line alone (with the BOM): what an empty export contains. */
export function headerChunk(name: ExportName, delimiter: CsvDelimiter = ','): string {
  return UTF8_BOM + csvRecord(exportHeaders[name], delimiter);
}

/**
 * The export as text chunks: the header line, then one chunk per batch. Pulled,
 * not pushed: the next batch is read from the database only when the consumer
 * asks, so backpressure reaches the database. The filters are checked here, at
 * the call (a ValidationError before any byte), not at the first pull.
 */
export function exportChunks(
  em: Em,
  scope: Pick<Scope, 'orgId'>,
  request: ExportRequest,
  now: Date,
  { onRows, ...options }: BatchOptions & { onRows?: (rows: number) => void } = {},
): AsyncGenerator<string> {
  const headers = exportHeaders[request.name] as readonly string[];
  const { batches, cells } = specs[request.name] as unknown as ExportSpec<ExportName, unknown>;
  const source = batches(em, scope, request.filters as never, now, options);
  return (async function* () {
    const delimiter = request.delimiter ?? ',';
    yield headerChunk(request.name, delimiter);
    for await (const batch of source) {
      onRows?.(batch.length);
      yield csvRecords(
        batch.map((row) => {
          const byHeader = cells(row) as Record<string, Cell>;
          return headers.map((h) => cellText(byHeader[h]));
        }),
        delimiter,
      );
    }
  })();
}

/**
 * Writes chunks to a stream, waiting for `drain` whenever it is full, and
 * stops early if the stream is closed (the client went away). Resolves to
 * whether every chunk was written. Errors of the source propagate: the caller
 * decides how to end a half-written stream.
 */
export async function writeChunks(chunks: AsyncIterable<string>, out: Writable): Promise<boolean> {
  for await (const chunk of chunks) {
    if (out.destroyed || out.writableEnded) return false;
    if (!out.write(chunk)) {
      const drained = await Promise.race([once(out, 'drain').then(() => true), once(out, 'close').then(() => false)]);
      if (!drained) return false;
    }
  }
  return true;
}

/** `<org>-<name>-<YYYY-MM-DD>.csv`, the download's file name. */
export function exportFileName(orgSlug: string, name: ExportName, now: Date): string {
  return `${orgSlug}-${name}-${now.toISOString().slice(0, 10)}.csv`;
}
