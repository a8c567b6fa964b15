import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { findOrgBySlug } from '../directory/orgs.ts';
import { DEFAULT_CONNECTION, findSamlConnection, spEndpoints, validateConnectionName } from '../directory/saml-connections.ts';
import { sessionCookie, serializeSessionCookie } from '../lib/cookies.ts';
import { bindingCookie, clearBinding, presentedBinding, serializeBinding } from './browser-binding.ts';
import { allowedReturnUrl, auditFailure, completeLogin, SsoFailure, startLogin, type SamlDeps, type Tenant } from './acs.ts';
import { spMetadataXml } from './metadata.ts';
import { errorPage } from './page.ts';
import { listEncryptionKeys } from '../directory/saml-encryption-keys.ts';
import { RateLimiter } from '../lib/rate-limit.ts';

export type { SamlDeps };

/** Failures whose page links to the start of an SP-initiated sign-in: starting there is the way through. */
const STARTS_HERE = new Set<SsoFailure['reason']>(['unsolicited', 'binding_missing', 'binding_mismatch']);

/**
 * /saml/:org/{metadata,login,acs} for the org's `default` connection and
 * /saml/:org/:connection/{…} for the others. Browsers and IdPs call these, so
 * errors are a readable page (JSON for `Accept: application/json`) carrying the
 * request id, never a stack trace or the precise reason. An SP-initiated
 * sign-in is bound to the browser that started it (browser-binding.ts).
 */
export function samlRouter(deps: SamlDeps): Router {
  const router = Router();
  const cookie = sessionCookie(deps.publicUrl);
  const form = express.urlencoded({ extended: false, limit: deps.acsBodyLimitBytes, parameterLimit: 10 });

  const tenantOf = async (req: Request): Promise<Tenant | null> => {
    const org = await findOrgBySlug(req.ctx.em, String(req.params.org));
    if (!org) return null;
    const connection = await findSamlConnection(req.ctx.em, org.id, String(req.params.connection ?? DEFAULT_CONNECTION));
    return connection ? { org, connection } : null;
  };

  const fail = (req: Request, res: Response, status: number, code: string, title: string, message: string, details: Record<string, unknown> = {}, action?: { href: string; label: string }) => {
    res.status(status).setHeader('Cache-Control', 'no-store');
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ error: { code, message, details: { requestId: req.ctx.requestId, ...details } } });
    } else {
      res.type('html').send(errorPage({ title, message, requestId: req.ctx.requestId, action }));
    }
  };

  const bindingOf = (tenant: Tenant) => bindingCookie(deps.publicUrl, tenant.org.slug, tenant.connection.name);

  /** Where a sign-in of this connection starts (SP-initiated), as a path of this site. */
  const loginPath = (tenant: Tenant) => spEndpoints('', tenant.org.slug, tenant.connection.name).loginUrl;

  const notConfigured = (req: Request, res: Response) =>
    fail(req, res, 404, 'not_found', 'Single sign-on is not set up', 'This organization has no single sign-on connection at this address.');

  // Anyone can post to an ACS: failures are throttled per client and their audit rows per org.
  const now = () => deps.clock.now().getTime();
  const clientFailures = new RateLimiter(deps.failureLimit.perClient, now);
  const auditedFailures = new RateLimiter(deps.failureLimit.perOrgAudit, now);

  const onFailure = async (req: Request, res: Response, tenant: Tenant, failure: SsoFailure) => {
    const wait = clientFailures.take(req.ctx.ip ?? '');
    const log = { reason: failure.reason, detail: failure.message, org: tenant.org.slug, connection: tenant.connection.name };
    if (wait > 0) {
      // A client past its failures gets 429 and nothing is recorded; a valid response still signs in.
      req.ctx.log.warn({ ...log, retryAfter: wait }, 'sso failed, client throttled');
      res.setHeader('Retry-After', String(wait));
      return fail(req, res, 429, 'rate_limited', 'Too many failed sign-ins', 'Too many failed sign-ins from your address. Wait a little, then sign in again from your identity provider.', { retryAfterSeconds: wait });
    }
    const audited = auditedFailures.take(tenant.org.id) === 0;
    req.ctx.log.warn({ ...log, audited }, 'sso failed');
    if (audited) {
      try {
        await auditFailure(deps, tenant, failure, req.ctx);
      } catch (error) {
        req.ctx.log.error({ err: error }, 'could not record sso.failed');
      }
    }
    const refused = failure.status === 403;
    if (STARTS_HERE.has(failure.reason)) {
      // Where the person was going (the response's RelayState, when this connection would take it) goes with them.
      const relayState = allowedReturnUrl(typeof req.body?.RelayState === 'string' ? req.body.RelayState : null, tenant.connection.allowedRedirectUrls);
      const href = `${loginPath(tenant)}${relayState ? `?RelayState=${encodeURIComponent(relayState)}` : ''}`;
      return fail(req, res, failure.status, 'sso_failed', 'Start sign-in here', failure.publicMessage, { loginUrl: href }, { href, label: 'Sign in with single sign-on' });
    }
    fail(req, res, failure.status, refused ? 'sso_refused' : 'sso_failed', refused ? 'You cannot sign in here' : 'Sign-in failed', failure.publicMessage);
  };

  // The SP side needs no IdP side: Entra takes the SP metadata before it hands out its own
  // (README "SAML with Microsoft Entra ID"), as GET /api/orgs/:org/saml answers the URLs before then.
  const metadata = async (req: Request, res: Response) => {
    const org = await findOrgBySlug(req.ctx.em, String(req.params.org));
    const name = String(req.params.connection ?? DEFAULT_CONNECTION);
    let named = true;
    try {
      validateConnectionName(name);
    } catch {
      named = false;
    }
    if (!org || !named) return notConfigured(req, res);
    // A connection not configured yet has no keys: its metadata has no encryption certificate.
    const connection = await findSamlConnection(req.ctx.em, org.id, name);
    const keys = connection ? await listEncryptionKeys(req.ctx.em, org.id, connection.id) : [];
    const xml = spMetadataXml(spEndpoints(deps.publicUrl, org.slug, name), keys.map((k) => k.certificate));
    res.type('application/samlmetadata+xml').send(xml);
  };

  const login = async (req: Request, res: Response) => {
    const tenant = await tenantOf(req);
    if (!tenant) return notConfigured(req, res);
    const relayState = typeof req.query.RelayState === 'string' ? req.query.RelayState : undefined;
    try {
      const started = await startLogin(req.ctx.em, deps, tenant, relayState);
      res.setHeader('Set-Cookie', serializeBinding(bindingOf(tenant), started.browserBinding, deps.requestTtlMs / 1000));
      res.setHeader('Cache-Control', 'no-store');
      res.redirect(302, started.url);
    } catch (error) {
      if (error instanceof SsoFailure) return onFailure(req, res, tenant, error);
      throw error;
    }
  };

  const acs = async (req: Request, res: Response) => {
    const tenant = await tenantOf(req);
    if (!tenant) return notConfigured(req, res);
    const parsed = await new Promise<unknown>((resolve) => form(req, res, (err?: unknown) => resolve(err)));
    if (parsed) {
      const tooLarge = (parsed as { type?: string }).type === 'entity.too.large';
      const failure = new SsoFailure(tooLarge ? 'too_large' : 'malformed', `request body: ${(parsed as Error).message}`, tooLarge ? 413 : 400);
      return onFailure(req, res, tenant, failure);
    }
    try {
      const binding = bindingOf(tenant);
      const signedIn = await completeLogin(req.ctx.em, deps, tenant, (req.body ?? {}) as Record<string, unknown>, req.ctx, presentedBinding(binding, req.get('cookie')));
      req.ctx.log.info({ org: tenant.org.slug, userId: signedIn.userId, sessionId: signedIn.session.id }, 'sso login');
      const session = serializeSessionCookie(cookie, signedIn.token, deps.sessions.ttlMs / 1000);
      res.setHeader('Set-Cookie', signedIn.solicited ? [session, clearBinding(binding)] : session);
      res.setHeader('Cache-Control', 'no-store');
      // 303: the browser follows with a GET, never re-posting the assertion.
      res.redirect(303, signedIn.redirectTo);
    } catch (error) {
      if (error instanceof SsoFailure) return onFailure(req, res, tenant, error);
      throw error;
    }
  };

  // A browser that opens the ACS (a bookmark, Back, the ACS entered as Entra's Sign on URL) gets a page, not a JSON 404.
  const acsByGet = (req: Request, res: Response) => {
    res.setHeader('Allow', 'POST');
    fail(req, res, 405, 'method_not_allowed', 'Start sign-in elsewhere',
      'This address receives sign-ins from your identity provider and cannot be opened directly. Sign in from your identity provider\'s dashboard or from the sign-in page.');
  };

  router.get('/:org/metadata', metadata);
  router.get('/:org/login', login);
  router.post('/:org/acs', acs);
  router.get('/:org/acs', acsByGet);
  router.get('/:org/:connection/metadata', metadata);
  router.get('/:org/:connection/login', login);
  router.post('/:org/:connection/acs', acs);
  router.get('/:org/:connection/acs', acsByGet);
  // Express recognises an error handler by its four parameters.
  router.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    req.ctx.log.error({ err: error }, 'saml request failed');
    if (res.headersSent) return void res.destroy();
    fail(req, res, 500, 'internal_error', 'Something went wrong', 'Sign-in could not be completed. Try again in a moment; if it keeps failing, give your administrator the reference below.');
  });
  return router;
}
