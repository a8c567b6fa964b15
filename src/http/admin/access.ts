import { z } from 'zod';
import { orgRoles } from '../../db/entities/index.ts';
import { getUserAccess, setUserAccess } from '../../directory/org-admins.ts';
import { permissions } from '../../directory/permissions.ts';
import { scopeFor } from '../context.ts';
import { inTransaction } from './in-transaction.ts';
import { apiRoute, type ApiRoute } from './route.ts';

const idParams = z.strictObject({ id: z.string().max(100) });

const accessBody = z.strictObject({
  orgRole: z.enum(orgRoles, { error: `must be one of ${orgRoles.join(', ')}` }).optional(),
  permissions: z
    .array(z.enum(permissions, { error: `must be one of ${permissions.join(', ')}` }), { error: 'must be a list of permissions' })
    .max(50)
    .optional()
    .describe('Replaces the granted list; an org_admin holds every permission whatever it says'),
});

const accessView = { description: '{userId, orgRole, permissions}' };

/** Who may do what: a person's org role and granted permissions (only org admins change them). */
export const accessApiRoutes: ApiRoute[] = [
  apiRoute(
    { method: 'get', path: '/users/:id/access', tag: 'Access', summary: 'A person’s org role and granted permissions', permission: null, params: idParams, responses: { 200: accessView } },
    async ({ req, res, params }) => {
      const { orgRole, permissions: granted } = await inTransaction(req, (tx) => getUserAccess(tx, scopeFor(req), params.id));
      res.json({ userId: params.id, orgRole, permissions: granted });
    },
  ),
  apiRoute(
    {
      method: 'put',
      path: '/users/:id/access',
      tag: 'Access',
      summary: 'Set a person’s org role and/or permissions; the last enabled org admin cannot be demoted (409 last_org_admin)',
      permission: 'org_admin',
      params: idParams,
      body: accessBody,
      responses: { 200: accessView },
    },
    async ({ req, res, params, body }) => {
      const { access } = await inTransaction(req, (tx) => setUserAccess(tx, scopeFor(req), params.id, body));
      res.json({ userId: params.id, ...access });
    },
  ),
];
