import { Router } from 'express';
import type { Container } from '../../container.ts';
import { authenticateAdmin } from '../auth.ts';
import { mountRoutes } from './route.ts';
import { adminApiRoutes } from './routes.ts';

/** Everything under /api/orgs/:org: the authenticator, then every declared route (routes.ts). */
export function adminRouter(container: Container): Router {
  const router = Router({ mergeParams: true });
  // Answers are per caller and may hold secrets (a new token, reset links' state): never stored by a cache.
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  router.use(authenticateAdmin(container));
  router.use('/', mountRoutes(container, adminApiRoutes));
  return router;
}
