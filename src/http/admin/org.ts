import { Router } from 'express';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { getOrgBySlug, toOrgView } from '../../directory/orgs.ts';

/** GET /api/orgs/:org — the org the token belongs to. */
export function orgRoutes(_container: Container): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const org = await getOrgBySlug(req.ctx.em, scopeFor(req).orgSlug);
    res.json(toOrgView(org));
  });
  return router;
}
