import { Router } from 'express';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { listUserSessions, revokeSession } from '../../directory/sessions.ts';

/** A user's signed-in devices, and ending one (GET /users/:id/sessions, DELETE /sessions/:id). */
export function sessionAdminRoutes(container: Container): Router {
  const router = Router({ mergeParams: true });
  router.get('/users/:userId/sessions', async (req, res) => {
    const sessions = await listUserSessions(req.ctx.em, scopeFor(req), String(req.params.userId), container.clock.now());
    res.json({ sessions });
  });
  router.delete('/sessions/:sessionId', async (req, res) => {
    const session = await revokeSession(req.ctx.em, scopeFor(req), String(req.params.sessionId), container.clock.now());
    res.json(session);
  });
  return router;
}
