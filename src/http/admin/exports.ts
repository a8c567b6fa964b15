import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { statusFilters } from '../../directory/status.ts';
import { invitationStatuses } from '../../directory/invitation-records.ts';
import { recordExport } from '../../directory/export-queries.ts';
import { auditInstant } from '../../directory/audit-queries.ts';
import { delimiterNames, exportChunks, exportFileName, type ExportRequest } from '../../csv/export.ts';
import { idListQuery } from './id-list.ts';
import { streamCsv } from './streamed-csv.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const MAX_IDS = 1000;
const tooManyIds = `must name at most ${MAX_IDS} users`;

/** Not a filter: the file's separator, `semicolon` for Excel where the list separator is `;` (German, French… locales). */
const delimiterParam = {
  delimiter: z.enum(Object.keys(delimiterNames) as [keyof typeof delimiterNames], { error: `must be one of ${Object.keys(delimiterNames).join(', ')}` }).optional()
    .describe('comma (default) or semicolon: what Excel opens by double-click where the list separator is ";" (German, French… locales)'),
};

/** The user list's filters ("the current view"). */
const peopleFilters = {
  ...delimiterParam,
  status: z.enum(statusFilters, { error: `must be one of ${statusFilters.join(', ')}` }).optional(),
  q: z.string().max(200, 'must be at most 200 characters').optional(),
  group: z.string().max(100).optional(),
};
/** In the query string, `ids` comma-separated. */
const peopleQuery = z.strictObject({
  ...peopleFilters,
  ids: idListQuery(MAX_IDS).optional(),
});
/**
 * The same as a JSON body (POST): 1,000 ids are ~37 kB, past what a request
 * line may hold (Node's 16 kB header limit, and most proxies' less).
 */
const peopleBody = z.strictObject({
  ...peopleFilters,
  ids: z.array(z.string().max(100), { error: 'must be a list of user ids' }).max(MAX_IDS, tooManyIds).optional(),
});

const invitationQuery = z.strictObject({
  ...delimiterParam,
  status: z.enum(invitationStatuses, { error: `must be one of ${invitationStatuses.join(', ')}` }).optional(),
});

const auditQuery = z.strictObject({
  ...delimiterParam,
  actor: z.string().max(320).optional(),
  target: z.string().max(320).optional(),
  action: z.string().max(100).optional(),
  since: auditInstant.optional(),
  until: auditInstant.optional(),
});

/** /api/orgs/:org/exports/<name>.csv: validation and the audit event first, then the file (streamed-csv.ts). */
async function sendExport(container: Container, req: Request, res: Response, request: ExportRequest): Promise<void> {
  const scope = scopeFor(req);
  const now = container.clock.now();
  const chunks = exportChunks(req.ctx.em, scope, request, now);
  await recordExport(req.ctx.em, scope, request.name, request.filters as Record<string, unknown>);
  await streamCsv(req, res, exportFileName(scope.orgSlug, request.name, now), chunks, { export: request.name });
}

const csv = (description: string) => ({ 200: { description, contentType: 'text/csv' } });
const viaPost = 'The same export as the GET, its filters as a JSON body: for a selection of up to 1,000 `ids`, too long for a URL.';

/**
 * One route per export and method: each export has its own filters and (audit)
 * its own permission; GET takes them in the query string, POST as a JSON body.
 */
function exportRoutes<S extends z.ZodType>(
  path: string,
  meta: { summary: string; permission: 'users.export' | 'audit.read'; query: S; body: z.ZodType<z.infer<S>> | S },
  toRequest: (filters: Omit<z.infer<S>, 'delimiter'>) => ExportRequest,
): ApiRoute[] {
  const base = { path, tag: 'Exports', summary: meta.summary, permission: meta.permission, responses: csv('The CSV file, streamed') };
  // The delimiter shapes the file, not the rows: it is no filter (nor recorded as one).
  const request = (input: unknown): ExportRequest => {
    const { delimiter, ...filters } = input as z.infer<S> & { delimiter?: keyof typeof delimiterNames };
    return { ...toRequest(filters as Omit<z.infer<S>, 'delimiter'>), delimiter: delimiter ? delimiterNames[delimiter] : undefined } as ExportRequest;
  };
  return [
    apiRoute({ ...base, method: 'get', query: meta.query }, async ({ container, req, res, query }) => sendExport(container, req, res, request(query))),
    apiRoute({ ...base, method: 'post', description: viaPost, body: meta.body }, async ({ container, req, res, body }) => sendExport(container, req, res, request(body))),
  ];
}

export const exportApiRoutes: ApiRoute[] = [
  ...(['users', 'users-memberships'] as const).flatMap((name) =>
    exportRoutes(`/exports/${name}.csv`, {
      summary: name === 'users' ? 'People as CSV (the list’s current view)' : 'One row per person and group membership, as CSV',
      permission: 'users.export', query: peopleQuery, body: peopleBody,
    }, (f) => ({ name, filters: { status: f.status, q: f.q, groupId: f.group, ids: f.ids } })),
  ),
  ...(['invitations', 'invitations-memberships'] as const).flatMap((name) =>
    exportRoutes(`/exports/${name}.csv`, {
      summary: name === 'invitations' ? 'Invitations as CSV' : 'One row per invitation and planned membership, as CSV',
      permission: 'users.export', query: invitationQuery, body: invitationQuery,
    }, (filters) => ({ name, filters })),
  ),
  ...exportRoutes('/exports/audit.csv', { summary: 'The audit trail as CSV', permission: 'audit.read', query: auditQuery, body: auditQuery }, (filters) => ({ name: 'audit', filters })),
];
