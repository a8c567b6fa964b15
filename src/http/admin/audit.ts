import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { auditInstant as instant, listAuditEvents, userActivity } from '../../directory/audit-queries.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const page = {
  cursor: z.string().max(40, 'is not a cursor this API returned').optional().describe('nextCursor of the previous page (the opaque id of its last event)'),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
};

const auditQuery = z.strictObject({
  actor: z.string().max(320, 'must be at most 320 characters').optional().describe('An actor id (user or token id) or label (email, token name)'),
  target: z.string().max(320, 'must be at most 320 characters').optional().describe('A target id (user, group, token…) or label'),
  action: z
    .string()
    .max(100, 'must be at most 100 characters')
    .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*(\.|\.\*)?$/, 'must be an action (user.updated) or a prefix (user, user. or user.*)')
    .optional()
    .describe('Exact, or a prefix ending in "." or ".*"; a word without a dot is its family (user = user.)'),
  since: instant.optional().describe('Inclusive lower bound on the event time'),
  until: instant.optional().describe('Exclusive upper bound on the event time'),
  ...page,
});

const activityParams = z.strictObject({ id: z.string().max(100) });
const activityQuery = z.strictObject(page);

// id: opaque (not the stored number, in no order: directory/audit-ids.ts), the same on every page and after a restart.
const eventShape = 'id (opaque), at, action, actor {type, id, label}, target {type, id, label} | null, changes {field: {before, after}}, details, requestId, ip, userAgent';

/** The audit trail (issue 7): filtered list and one person's activity, newest first. */
export const auditApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/audit',
      tag: 'Audit',
      summary: 'Audit events, newest first, filtered by actor, target, action and time',
      permission: 'audit.read',
      query: auditQuery,
      responses: { 200: { description: `{events: [${eventShape}], nextCursor}` } },
    },
    async ({ container, req, res, query }) => {
      const { cursor, limit, ...filter } = query;
      res.json(await listAuditEvents(req.ctx.em, scopeFor(req), filter, { cursor, limit, ids: await container.auditIds.codec() }));
    },
  ),
  apiRoute(
    {
      method: 'get',
      path: '/users/:id/activity',
      tag: 'Audit',
      summary: 'One person’s activity: events by them and on them, newest first',
      permission: 'audit.read',
      params: activityParams,
      query: activityQuery,
      responses: { 200: { description: `{events: [${eventShape}], nextCursor}` } },
    },
    async ({ container, req, res, params, query }) => {
      res.json(await userActivity(req.ctx.em, scopeFor(req), params.id, { ...query, ids: await container.auditIds.codec() }));
    },
  ),
];
