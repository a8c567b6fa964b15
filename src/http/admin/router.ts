import { Router } from 'express';
import type { Container } from '../../container.ts';
import { requireAdminToken } from '../auth.ts';
import { tokenRoutes } from './tokens.ts';
import { samlAdminRoutes } from './saml.ts';
import { sessionAdminRoutes } from './sessions.ts';
import { passwordResetAdminRoutes } from './password-reset.ts';
import { peopleRoutes } from './people.ts';
import { invitationAdminRoutes } from './invitations.ts';
import { importRoutes } from './imports.ts';
import { exportRoutes } from './exports.ts';
import { mfaAdminRoutes } from './mfa.ts';
import { mountRoutes } from './route.ts';
import { adminApiRoutes } from './routes.ts';

/** Everything under /api/orgs/:org. Later issues mount their routes here. */
export function adminRouter(container: Container): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAdminToken(container));
  router.use('/tokens', tokenRoutes(container));
  router.use('/saml', samlAdminRoutes(container));
  router.use('/', sessionAdminRoutes(container));
  router.use('/', passwordResetAdminRoutes(container));
  router.use('/', peopleRoutes(container));
  router.use('/', invitationAdminRoutes(container));
  router.use('/', importRoutes(container));
  router.use('/', exportRoutes(container));
  router.use('/', mfaAdminRoutes(container));
  router.use('/', mountRoutes(container, adminApiRoutes));
  return router;
}
