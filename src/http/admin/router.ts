import { Router } from 'express';
import type { Container } from '../../container.ts';
import { authenticateAdmin } from '../auth.ts';
import { mountRoutes } from './route.ts';
import { adminApiRoutes } from './routes.ts';

/** Everything under /api/orgs/:org: the authenticator, then every declared route (routes.ts). */
export function adminRouter(container: Container): Router {
  const router = Router({ mergeParams: true });
  router.use(authenticateAdmin(container));
  router.use('/', mountRoutes(container, adminApiRoutes));
  return router;
}
