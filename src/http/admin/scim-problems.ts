import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { listScimProblems } from '../../directory/scim-problems.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const listQuery = z.strictObject({
  cursor: z.string().max(40, 'is not a cursor this API returned').optional().describe('nextCursor of the previous page'),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(200, 'must be at most 200').default(50),
});

const shape = 'id, at, method, path (no query), tokenName, status, scimType | null, detail (as the IdP was answered), requestId';

/** SCIM requests of the org's IdP that were refused: what its provisioning log shows, on this side. */
export const scimProblemApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/scim/problems',
      tag: 'Tokens',
      summary: 'SCIM requests refused to the org’s identity provider, newest first, with counts by status and scimType',
      description:
        'Each 4xx answered to a SCIM token of the org, except 401 (bad token), 404 to a GET or DELETE (a lookup, or a person already gone), 412 (stale If-Match) and 429 (throttled). '
        + 'Never the request body. Kept for purge.keepSpentDays days, at most scim.problemsPerOrg per org (the oldest go first).',
      permission: 'settings.manage',
      query: listQuery,
      responses: { 200: { description: `{problems: [${shape}], counts: [{status, scimType, count}] (over every problem kept), nextCursor}` } },
    },
    async ({ container, req, res, query }) => void res.json(await listScimProblems(req.ctx.em, scopeFor(req), { ...query, ids: await container.auditIds.codec() })),
  ),
];
