import type { NextFunction, Request, Response } from 'express';
import type { Container } from '../container.ts';
import { authenticateBearer, scopeOfToken } from '../directory/tokens.ts';
import { accessOf } from '../directory/permissions.ts';
import { findOrgBySlug } from '../directory/orgs.ts';
import { AuthenticationError, NotFoundError, PermissionError } from '../directory/errors.ts';

/**
 * Admin API authentication: an admin-scope token of the org named in the URL.
 * A valid token of another org gets 403; an org that does not exist, 404.
 */
export function requireAdminToken(container: Container) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const token = await authenticateBearer(req.ctx.em, req.get('authorization'), 'admin', container.clock, container.tokenCache);
      const slug = String(req.params.org ?? '');
      if (slug !== token.orgSlug) {
        const exists = await findOrgBySlug(req.ctx.em, slug);
        if (!exists) throw new NotFoundError('Organization', slug);
        throw new PermissionError(`This token is not valid for organization "${slug}"`);
      }
      req.ctx.scope = scopeOfToken(token, req.ctx);
      req.ctx.access = accessOf('token', token.permissions, false);
      next();
    } catch (error) {
      if (error instanceof AuthenticationError) res.setHeader('WWW-Authenticate', 'Bearer realm="gatehouse"');
      next(error);
    }
  };
}
