import type { NextFunction, Request, Response } from 'express';
import type { Container } from '../container.ts';
import type { TokenScope } from '../db/entities/index.ts';
import { authenticateToken } from '../directory/tokens.ts';
import { parseBearer } from '../lib/tokens.ts';
import { findOrgBySlug } from '../directory/orgs.ts';
import { AuthenticationError, NotFoundError, PermissionError } from '../directory/errors.ts';

export async function authenticateBearer(container: Container, req: Request, scope: TokenScope) {
  const presented = parseBearer(req.get('authorization'));
  if (!presented) throw new AuthenticationError('Authorization: Bearer <token> is required');
  return authenticateToken(req.ctx.em, presented, scope, container.clock);
}

/**
 * Admin API authentication: an admin-scope token of the org named in the URL.
 * A valid token of another org gets 403; an org that does not exist, 404.
 */
export function requireAdminToken(container: Container) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const token = await authenticateBearer(container, req, 'admin');
      const slug = String(req.params.org ?? '');
      if (slug !== token.orgSlug) {
        const exists = await findOrgBySlug(req.ctx.em, slug);
        if (!exists) throw new NotFoundError('Organization', slug);
        throw new PermissionError(`This token is not valid for organization "${slug}"`);
      }
      req.ctx.scope = {
        orgId: token.orgId,
        orgSlug: token.orgSlug,
        actor: { type: 'admin_token', id: token.tokenId, label: token.tokenName },
        requestId: req.ctx.requestId,
        ip: req.ctx.ip,
        userAgent: req.ctx.userAgent,
      };
      next();
    } catch (error) {
      if (error instanceof AuthenticationError) res.setHeader('WWW-Authenticate', 'Bearer realm="gatehouse"');
      next(error);
    }
  };
}
