import type { Request, Response } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { statusFilters } from '../../directory/status.ts';
import { invitationStatuses } from '../../directory/invitations.ts';
import { recordExport } from '../../directory/export-queries.ts';
import { exportChunks, exportFileName, type ExportRequest } from '../../csv/export.ts';
import { streamCsv } from './streamed-csv.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const MAX_IDS = 1000;

/** The user list's filters ("the current view"), `ids` comma-separated. */
const peopleQuery = z.strictObject({
  status: z.enum(statusFilters, { error: `must be one of ${statusFilters.join(', ')}` }).optional(),
  q: z.string().max(200, 'must be at most 200 characters').optional(),
  group: z.string().max(100).optional(),
  ids: z
    .string()
    .max(MAX_IDS * 40, 'is too long')
    .transform((s) => s.split(',').map((id) => id.trim()).filter(Boolean))
    .refine((ids) => ids.length <= MAX_IDS, `must name at most ${MAX_IDS} users`)
    .optional(),
});

const invitationQuery = z.strictObject({
  status: z.enum(invitationStatuses, { error: `must be one of ${invitationStatuses.join(', ')}` }).optional(),
});

const instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone (2026-01-31T00:00:00Z)' }).transform((s) => new Date(s));
const auditQuery = z.strictObject({
  actor: z.string().max(320).optional(),
  target: z.string().max(320).optional(),
  action: z.string().max(100).optional(),
  since: instant.optional(),
  until: instant.optional(),
});

/** GET /api/orgs/:org/exports/<name>.csv: validation and the audit event first, then the file (streamed-csv.ts). */
async function sendExport(container: Container, req: Request, res: Response, request: ExportRequest): Promise<void> {
  const scope = scopeFor(req);
  const now = container.clock.now();
  const chunks = exportChunks(req.ctx.em, scope, request, now);
  await recordExport(req.ctx.em, scope, request.name, request.filters as Record<string, unknown>);
  await streamCsv(req, res, exportFileName(scope.orgSlug, request.name, now), chunks, { export: request.name });
}

const csv = (description: string) => ({ 200: { description, contentType: 'text/csv' } });

/** One route per export: each has its own filters and (audit) its own permission. */
export const exportApiRoutes: ApiRoute[] = [
  ...(['users', 'users-memberships'] as const).map((name) =>
    apiRoute(
      {
        method: 'get',
        path: `/exports/${name}.csv`,
        tag: 'Exports',
        summary: name === 'users' ? 'People as CSV (the list’s current view)' : 'One row per person and group membership, as CSV',
        permission: 'users.export',
        query: peopleQuery,
        responses: csv('The CSV file, streamed'),
      },
      async ({ container, req, res, query }) => sendExport(container, req, res, { name, filters: { status: query.status, q: query.q, groupId: query.group, ids: query.ids } }),
    ),
  ),
  ...(['invitations', 'invitations-memberships'] as const).map((name) =>
    apiRoute(
      {
        method: 'get',
        path: `/exports/${name}.csv`,
        tag: 'Exports',
        summary: name === 'invitations' ? 'Invitations as CSV' : 'One row per invitation and planned membership, as CSV',
        permission: 'users.export',
        query: invitationQuery,
        responses: csv('The CSV file, streamed'),
      },
      async ({ container, req, res, query }) => sendExport(container, req, res, { name, filters: query }),
    ),
  ),
  apiRoute(
    {
      method: 'get',
      path: '/exports/audit.csv',
      tag: 'Exports',
      summary: 'The audit trail as CSV',
      permission: 'audit.read',
      query: auditQuery,
      responses: csv('The CSV file, streamed'),
    },
    async ({ container, req, res, query }) => sendExport(container, req, res, { name: 'audit', filters: query }),
  ),
];
