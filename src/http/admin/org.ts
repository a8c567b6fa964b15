import { scopeFor } from '../context.ts';
import { getOrgBySlug, toOrgView } from '../../directory/orgs.ts';
import { apiRoute, type ApiRoute } from './route.ts';

/** GET /api/orgs/:org — the org the caller belongs to. */
export const orgApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/',
      tag: 'Organization',
      summary: 'The organization',
      permission: null,
      responses: { 200: { description: 'id, slug, name, createdAt' } },
    },
    async ({ req, res }) => {
      const org = await getOrgBySlug(req.ctx.em, scopeFor(req).orgSlug);
      res.json(toOrgView(org));
    },
  ),
];
