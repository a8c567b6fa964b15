import { Router } from 'express';
import type { Container } from '../../container.ts';
import { scopeFor } from '../context.ts';
import { sendPasswordReset } from '../../directory/password-resets.ts';

/** POST /users/:userId/password-reset: mail a user of this org a link to set their password (202: queued). */
export function passwordResetAdminRoutes(container: Container): Router {
  const router = Router({ mergeParams: true });
  const { config } = container;
  router.post('/users/:userId/password-reset', async (req, res) => {
    await sendPasswordReset(
      req.ctx.em,
      { publicUrl: config.publicUrl, ttlMs: config.auth.resetTtlMs, scrypt: config.auth.scrypt },
      scopeFor(req),
      String(req.params.userId),
      container.clock.now(),
    );
    container.outbox.worker.nudge();
    res.setHeader('Cache-Control', 'no-store');
    res.status(202).json({ status: 'queued' });
  });
  return router;
}
