import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { findOrgBySlug } from '../../directory/orgs.ts';
import { orgsClaimingSsoDomain } from '../../directory/org-settings.ts';
import { DEFAULT_CONNECTION, findSamlConnection } from '../../directory/saml-connections.ts';
import { landingAfterSignIn } from '../../lib/landing.ts';
import { loginPage } from '../pages/password.ts';
import { html } from './guard.ts';

/** Said for an unknown org, an org without SSO and an unclaimed domain alike: nothing more than /saml/:org/login reveals. */
export const SSO_NOT_FOUND = 'No single sign-on was found for that organization or email domain. Check the spelling, ask your administrator for your organization’s ID, or sign in with your password.';
export const SSO_AMBIGUOUS = 'Several organizations sign in with this email domain: enter your organization’s ID instead.';

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** GET /auth/sso's query, as the OpenAPI document shows it (src/http/auth/specs.ts). Lenient: a bad value is a page, not a 400 body. */
export const ssoDiscoveryQuery = z.object({
  who: z.string().max(320).optional().describe('An organization ID (slug) or a work email'),
  next: z.string().max(2000).optional().describe('The console page to land on after sign-in (other addresses are ignored)'),
});

/** The org to sign in to, from an org ID (slug) or a work email whose domain an org claims in its `ssoDomains` setting. */
async function resolve(req: Request, who: string): Promise<{ slug: string } | { error: string }> {
  const at = who.lastIndexOf('@');
  if (at >= 0) {
    const domain = who.slice(at + 1).toLowerCase();
    if (!domain) return { error: SSO_NOT_FOUND };
    const slugs = await orgsClaimingSsoDomain(req.ctx.em, domain);
    if (slugs.length > 1) return { error: SSO_AMBIGUOUS };
    return slugs[0] ? { slug: slugs[0] } : { error: SSO_NOT_FOUND };
  }
  const slug = who.toLowerCase();
  if (!SLUG.test(slug)) return { error: SSO_NOT_FOUND };
  const org = await findOrgBySlug(req.ctx.em, slug);
  const connection = org ? await findSamlConnection(req.ctx.em, org.id, DEFAULT_CONNECTION) : null;
  return connection ? { slug } : { error: SSO_NOT_FOUND };
}

/**
 * Pages that carry the "Sign in with SSO" form: without `form-action` in their
 * Content-Security-Policy, since the form's redirects end at the IdP, whose
 * origin is not known here (browsers apply form-action to a submit's redirects).
 */
export function allowSsoRedirects(_req: Request, res: Response, next: NextFunction): void {
  const policy = res.getHeader('content-security-policy');
  if (typeof policy === 'string') {
    res.setHeader('Content-Security-Policy', policy.split(';').filter((d) => !d.trim().startsWith('form-action')).join(';'));
  }
  next();
}

/**
 * GET /auth/sso?who=…&next=…: the sign-in page's "Sign in with SSO". Sends the
 * browser to the org's SAML sign-in with `next` (a console path only) as
 * RelayState, or shows the sign-in page again with a message.
 */
export function ssoDiscoveryRoutes(): Router {
  const router = Router();
  router.use(allowSsoRedirects);
  router.get('/', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const query = ssoDiscoveryQuery.safeParse(req.query);
    const who = query.success ? (query.data.who ?? '').trim() : '';
    const next = query.success && query.data.next ? landingAfterSignIn(query.data.next) : undefined;
    if (!who) return html(res, 400, loginPage({ next, sso: { who, errors: ['Enter your organization’s ID or your work email to sign in with SSO.'] } }));
    const found = await resolve(req, who);
    if ('error' in found) return html(res, 404, loginPage({ next, sso: { who, errors: [found.error] } }));
    const relay = next ? `?RelayState=${encodeURIComponent(next)}` : '';
    res.redirect(303, `/saml/${encodeURIComponent(found.slug)}/login${relay}`);
  });
  return router;
}
