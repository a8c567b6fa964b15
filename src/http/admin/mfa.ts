import { z } from 'zod';
import { resetSecondFactors } from '../../directory/second-factors.ts';
import { scopeFor } from '../context.ts';
import { apiRoute, type ApiRoute } from './route.ts';

/** POST /users/:userId/mfa/reset: the person enrols a second factor again at next sign-in (lost phone). */
export const mfaApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'post',
      path: '/users/:userId/mfa/reset',
      tag: 'People',
      summary: 'Remove the user’s second factors; they enrol again at next sign-in',
      permission: 'users.edit',
      params: z.strictObject({ userId: z.string().max(100) }),
      responses: { 204: { description: 'Reset' } },
    },
    async ({ container, req, res, params }) => {
      await resetSecondFactors(req.ctx.em, scopeFor(req), params.userId, container.clock.now());
      res.status(204).end();
    },
  ),
];
