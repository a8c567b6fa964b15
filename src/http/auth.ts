import type { NextFunction, Request, Response } from 'express';
import type { Container } from '../container.ts';
import { authenticateBearer, scopeOfToken } from '../directory/tokens.ts';
import { authenticateSession, type SessionPrincipal } from '../directory/sessions.ts';
import { accessOf } from '../directory/permissions.ts';
import { findOrgBySlug } from '../directory/orgs.ts';
import { AuthenticationError, NotFoundError, PermissionError } from '../directory/errors.ts';
import { csrfTokenMatches } from '../lib/csrf.ts';
import { HttpError } from './errors.ts';
import { scopeOfSession, sessionTokenOf } from './session.ts';

/** Methods that change nothing (RFC 9110 §9.2.1): no CSRF token needed. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A principal of another org: 404 if the org in the URL does not exist, else 403. */
async function refuseOtherOrg(req: Request, slug: string, message: string): Promise<never> {
  const exists = await findOrgBySlug(req.ctx.em, slug);
  if (!exists) throw new NotFoundError('Organization', slug);
  throw new PermissionError(message);
}

async function byToken(container: Container, req: Request, slug: string): Promise<void> {
  const token = await authenticateBearer(req.ctx.sql, req.get('authorization'), 'admin', container.clock, container.tokenCache);
  if (slug !== token.orgSlug) await refuseOtherOrg(req, slug, `This token is not valid for organization "${slug}"`);
  req.ctx.access = accessOf('token', token.permissions, false);
  req.ctx.scope = { ...scopeOfToken(token, req.ctx), mayChangeOrgAdmins: req.ctx.access.orgAdmin };
}

/**
 * A cookie rides along on cross-site requests too: a change made with the
 * session cookie needs proof that our own page sent it (403 csrf_failed).
 */
export function assertCsrfHeader(sessionSecret: string, req: Request): void {
  if (!csrfTokenMatches(sessionSecret, req.get('x-csrf-token'))) {
    throw new HttpError(403, 'csrf_failed', 'A change made with the session cookie needs the X-CSRF-Token header (its value is csrfToken of GET /api/session)');
  }
}

async function bySession(container: Container, req: Request, slug: string): Promise<void> {
  const secret = sessionTokenOf(container, req);
  const principal: SessionPrincipal | null = await authenticateSession(req.ctx.em, secret, container.clock.now());
  if (!principal) throw new AuthenticationError('Sign in, or send Authorization: Bearer <admin token>');
  if (principal.org.slug !== slug) await refuseOtherOrg(req, slug, `You are signed in to another organization, not "${slug}"`);
  if (!SAFE_METHODS.has(req.method)) assertCsrfHeader(secret!, req);
  const { user } = principal;
  req.ctx.scope = { ...scopeOfSession(req, principal), mayChangeOrgAdmins: user.orgRole === 'org_admin' };
  req.ctx.access = accessOf('session', user.permissions, user.orgRole === 'org_admin');
}

/**
 * Admin API authentication for the org named in the URL: an admin-scope token
 * (scripts) or, without an Authorization header, the session cookie of a person
 * of that org (the product's admin screens). A bearer header wins when both are
 * sent. Another org's token or session gets 403; an org that does not exist, 404.
 */
export function authenticateAdmin(container: Container) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const slug = String(req.params.org ?? '');
      if (req.get('authorization') !== undefined) await byToken(container, req, slug);
      else await bySession(container, req, slug);
      next();
    } catch (error) {
      if (error instanceof AuthenticationError) res.setHeader('WWW-Authenticate', 'Bearer realm="gatehouse"');
      next(error);
    }
  };
}
