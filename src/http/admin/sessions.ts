import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { listUserSessions, revokeSession } from '../../directory/sessions.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const userParams = z.strictObject({ userId: z.string().max(100) });
const sessionParams = z.strictObject({ sessionId: z.string().max(100) });

/** A user's signed-in devices, and ending one. */
export const sessionApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/users/:userId/sessions',
      tag: 'Sessions',
      summary: 'A user’s sessions (signed-in devices), newest first',
      permission: 'users.edit',
      params: userParams,
      responses: { 200: { description: '{sessions: [{id, method, ip, userAgent, createdAt, lastSeenAt, expiresAt, revokedAt, active}]}' } },
    },
    async ({ container, req, res, params }) => {
      const sessions = await listUserSessions(req.ctx.em, scopeFor(req), params.userId, container.clock.now());
      res.json({ sessions });
    },
  ),
  apiRoute(
    {
      method: 'delete',
      path: '/sessions/:sessionId',
      tag: 'Sessions',
      summary: 'End a session at once (sign a device out)',
      permission: 'users.edit',
      params: sessionParams,
      responses: { 200: { description: 'The session, revoked' } },
    },
    async ({ container, req, res, params }) => {
      res.json(await revokeSession(req.ctx.em, scopeFor(req), params.sessionId, container.clock.now()));
    },
  ),
];
