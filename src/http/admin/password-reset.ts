import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { sendPasswordReset } from '../../directory/password-resets.ts';
import { apiRoute, type ApiRoute } from './route.ts';

/** POST /users/:userId/password-reset: mail a user of this org a link to set their password (202: queued). */
export const passwordResetApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'post',
      path: '/users/:userId/password-reset',
      tag: 'People',
      summary: 'Mail the user a link to set a new password',
      permission: 'users.edit',
      params: z.strictObject({ userId: z.string().max(100) }),
      responses: { 202: { description: '{status: "queued"}' } },
    },
    async ({ container, req, res, params }) => {
      const { config } = container;
      await sendPasswordReset(
        req.ctx.em,
        { publicUrl: config.publicUrl, ttlMs: config.auth.resetTtlMs, scrypt: config.auth.scrypt },
        scopeFor(req),
        params.userId,
        container.clock.now(),
      );
      container.outbox.worker.nudge();
      res.setHeader('Cache-Control', 'no-store');
      res.status(202).json({ status: 'queued' });
    },
  ),
];
