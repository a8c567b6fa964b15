import { z } from 'zod';
import { scopeFor } from '../context.ts';
import { createApiToken, listApiTokens, revokeApiToken, toTokenView } from '../../directory/tokens.ts';
import { permissions } from '../../directory/permissions.ts';
import { tokenScopes } from '../../db/entities/index.ts';
import { apiRoute, requirePermission, type ApiRoute } from './route.ts';

const createBody = z.strictObject({
  scope: z.enum(tokenScopes, { error: `must be one of ${tokenScopes.join(', ')}` }),
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
  permissions: z
    .array(z.enum(permissions, { error: `must be one of ${permissions.join(', ')}` }), { error: 'must be a list of permissions' })
    .max(50)
    .optional()
    .describe('Admin tokens only; default: every permission the caller holds'),
});

const tokenParams = z.strictObject({ tokenId: z.string().max(100) });

/** Token management for scripts: list, create (the secret is shown once), revoke. */
export const tokenApiRoutes: ApiRoute[] = [
  apiRoute(
    {
      method: 'get',
      path: '/tokens',
      tag: 'Tokens',
      summary: 'List the organization’s API tokens (never their secrets)',
      permission: 'settings.manage',
      responses: { 200: { description: '{tokens: [{id, name, scope, hint, permissions, createdAt, createdBy, lastUsedAt, revokedAt}]}' } },
    },
    async ({ req, res }) => {
      const tokens = await listApiTokens(req.ctx.em, scopeFor(req));
      res.json({ tokens: tokens.map(toTokenView) });
    },
  ),
  apiRoute(
    {
      method: 'post',
      path: '/tokens',
      tag: 'Tokens',
      summary: 'Create a SCIM or admin token; the secret is in this answer only',
      description:
        'A caller cannot hand a token a permission it lacks (403 naming it). An admin token holding every permission, or a SCIM token, acts as an org admin, so only an org admin may create one.',
      permission: 'settings.manage',
      body: createBody,
      responses: { 201: { description: 'The token view plus `token`, the secret' } },
    },
    async ({ req, res, body }) => {
      const access = req.ctx.access!;
      const wanted = body.scope === 'admin' ? (body.permissions ?? permissions.filter((p) => access.permissions.has(p))) : [];
      for (const permission of wanted) requirePermission(req, permission);
      // permissions.ts: a token holding every permission counts as an org admin. So does a SCIM token: whoever
      // holds it rewrites anyone's profile (an org admin's email included, and a password reset follows the email).
      if (body.scope === 'scim' || permissions.every((p) => wanted.includes(p))) requirePermission(req, 'org_admin');
      const input = { scope: body.scope, name: body.name, permissions: body.scope === 'admin' ? wanted : body.permissions };
      const { token, record } = await createApiToken(req.ctx.em, scopeFor(req), input);
      res.status(201).json({ ...toTokenView(record), token });
    },
  ),
  apiRoute(
    {
      method: 'delete',
      path: '/tokens/:tokenId',
      tag: 'Tokens',
      summary: 'Revoke a token at once',
      permission: 'settings.manage',
      params: tokenParams,
      responses: { 200: { description: 'The revoked token' } },
    },
    async ({ container, req, res, params }) => {
      const record = await revokeApiToken(req.ctx.em, scopeFor(req), params.tokenId, container.clock.now());
      container.tokenCache.invalidate(record.id);
      res.json(toTokenView(record));
    },
  ),
];
