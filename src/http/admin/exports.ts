import { Router } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { parseInput } from '../validate.ts';
import { NotFoundError } from '../../directory/errors.ts';
import { statusFilters } from '../../directory/status.ts';
import { invitationStatuses } from '../../directory/invitations.ts';
import { recordExport } from '../../directory/export-queries.ts';
import { isExportName, exportNames, type ExportName } from '../../csv/columns.ts';
import { exportChunks, exportFileName, writeChunks, type ExportRequest } from '../../csv/export.ts';

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

/** Query string → typed export request (CONVENTIONS 5); shared by nothing else, the CLI has its own flags. */
function exportRequest(name: ExportName, query: unknown): ExportRequest {
  switch (name) {
    case 'users':
    case 'users-memberships': {
      const q = parseInput(peopleQuery, query, 'query');
      return { name, filters: { status: q.status, q: q.q, groupId: q.group, ids: q.ids } };
    }
    case 'invitations':
    case 'invitations-memberships':
      return { name, filters: parseInput(invitationQuery, query, 'query') };
    case 'audit':
      return { name, filters: parseInput(auditQuery, query, 'query') };
  }
}

/**
 * GET /api/orgs/:org/exports/<name>.csv: the export streamed as it is read.
 * Validation and the audit event come first, so a refusal is a normal JSON
 * error; once the first byte is sent a failure can only cut the response short,
 * so the socket is destroyed (the client sees an incomplete transfer, never a
 * file that looks whole).
 */
export function exportRoutes(container: Container): Router {
  const router = Router({ mergeParams: true });

  router.get('/exports/:file', async (req, res) => {
    const file = String(req.params.file ?? '');
    const name = file.endsWith('.csv') ? file.slice(0, -'.csv'.length) : '';
    if (!isExportName(name)) throw new NotFoundError('Export', `${file} (known: ${exportNames.map((n) => `${n}.csv`).join(', ')})`);
    const request = exportRequest(name, req.query);
    const scope = scopeFor(req);
    const now = container.clock.now();
    const chunks = exportChunks(req.ctx.em, scope, request, now);
    await recordExport(req.ctx.em, scope, name, request.filters as Record<string, unknown>);
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${exportFileName(scope.orgSlug, name, now)}"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      if (await writeChunks(chunks, res)) res.end();
    } catch (error) {
      req.ctx.log.error({ err: error, export: name }, 'export failed after the response started');
      res.destroy(error as Error);
    }
  });

  return router;
}
