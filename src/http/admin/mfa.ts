import { Router } from 'express';
import type { Container } from '../../container.ts';
import { resetSecondFactors } from '../../directory/second-factors.ts';
import { scopeFor } from '../context.ts';

/** POST /users/:userId/mfa/reset: the person enrols a second factor again at next sign-in (lost phone). */
export function mfaAdminRoutes(container: Container): Router {
  const router = Router({ mergeParams: true });
  router.post('/users/:userId/mfa/reset', async (req, res) => {
    await resetSecondFactors(req.ctx.em, scopeFor(req), String(req.params.userId), container.clock.now());
    res.status(204).end();
  });
  return router;
}
