import { html, isForm, sameOriginAndThrottled } from './guard.ts';
import { Router, type Request, type Response } from 'express';
import { jsonOrFormParser } from '../bodies.ts';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { ValidationError } from '../../directory/errors.ts';
import { AccountNotActiveError, OrgRequiredError, SignInFailedError, SsoRequiredError, signInWithPassword, SIGN_IN_FAILED } from '../../directory/password-sign-in.ts';
import { completePasswordReset, findValidReset, requestPasswordReset, ResetLinkInvalidError, type ResetDeps } from '../../directory/password-resets.ts';
import { passwordPolicyFor } from '../../directory/password-rules.ts';
import { MAX_PASSWORD_LENGTH } from '../../directory/password-policy.ts';
import { RateLimiter } from '../../lib/rate-limit.ts';
import { serializeSessionCookie, sessionCookie } from '../../lib/cookies.ts';
import { sessionOf } from '../session.ts';
import { parseInput } from '../validate.ts';
import { messagePage } from '../pages/layout.ts';
import { mfaLocation, mfaPendingJson } from './mfa.ts';
import { loginPage, resetPage, resetRequestPage } from '../pages/password.ts';
import { landingAfterSignIn } from '../../lib/landing.ts';
import { allowSsoRedirects } from './sso-discovery.ts';

/**
 * Mounted at /auth/password: sign-in and reset, for browsers (HTML forms) and scripts
 * (JSON). A form post gets a page back, JSON gets JSON; both are throttled per
 * client IP, and form posts from another site are refused (login CSRF).
 */

export const loginBody = z.object({
  email: z.string().trim().min(1, 'is required').max(320),
  password: z.string().min(1, 'is required').max(MAX_PASSWORD_LENGTH * 4),
  // Slugs are lower-case: "Acme" names acme here as in "Sign in with SSO".
  org: z.string().trim().max(63).optional().transform((v) => v?.toLowerCase() || undefined),
  /** Form posts only: the console page to return to (anything else lands on the console's start). */
  next: z.string().max(2000).optional(),
});

export const resetRequestBody = z.object({ email: z.string().trim().min(1, 'is required').max(320) });

export const resetBody = z.object({
  password: z.string().min(1, 'is required').max(MAX_PASSWORD_LENGTH * 4),
  confirmPassword: z.string().max(MAX_PASSWORD_LENGTH * 4).optional(),
});

/** The console address a sign-in form carries along (only ever a console path). */
const nextOf = (value: unknown): string | undefined => (typeof value === 'string' && value ? landingAfterSignIn(value) : undefined);

const SIGN_IN_LABELS: Record<string, string> = { email: 'Email', password: 'Password' };
const RESET_LABELS: Record<string, string> = { password: 'New password', confirmPassword: 'New password again' };

const ACCEPTED = 'If this address belongs to an account, a link to choose a new password is on its way. It works once, for a limited time.';

export function passwordRoutes(container: Container): Router {
  const router = Router();
  const { config, clock } = container;
  const cookie = sessionCookie(config.publicUrl);
  const publicOrigin = new URL(config.publicUrl).origin;
  const limiter = new RateLimiter(config.auth.rateLimit, () => clock.now().getTime());
  const form = jsonOrFormParser({ limit: '16kb', parameterLimit: 20 });
  const signInDeps = { scrypt: config.auth.scrypt, lockout: config.auth.lockout, sessionTtlMs: config.sessions.ttlMs };
  const resetDeps: ResetDeps = { publicUrl: config.publicUrl, ttlMs: config.auth.resetTtlMs, scrypt: config.auth.scrypt };

  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  // The sign-in page's "Sign in with SSO" form ends at the IdP's origin.
  router.use('/login', allowSsoRedirects);
  const guarded = sameOriginAndThrottled(publicOrigin, limiter);

  // A page names a field as its label does, never by the API's field name.
  const problemsOf = (error: unknown, labels: Record<string, string> = SIGN_IN_LABELS): string[] | null =>
    error instanceof ValidationError ? error.problems.map((p) => `${labels[p.field] ?? p.field}: ${p.reason}`) : null;

  router.get('/login', (req, res) => html(res, 200, loginPage({ next: nextOf(req.query.next), signedOut: req.query.signedOut === '1', expired: req.query.expired === '1' })));

  router.post('/login', form, guarded, async (req, res) => {
    const asForm = isForm(req);
    let input: z.infer<typeof loginBody>;
    try {
      input = parseInput(loginBody, req.body);
    } catch (error) {
      if (!asForm) throw error;
      return html(res, 400, loginPage({ email: String(req.body?.email ?? ''), next: nextOf(req.body?.next), errors: problemsOf(error) ?? [] }));
    }
    try {
      const signedIn = await signInWithPassword(req.ctx.em, signInDeps, input, req.ctx, clock.now());
      if (signedIn.mfaRequired) {
        req.ctx.log.info({ org: signedIn.org.slug, userId: signedIn.userId, purpose: signedIn.purpose }, 'password proven, second factor required');
        return asForm ? res.redirect(303, mfaLocation({ ...signedIn, next: landingAfterSignIn(input.next) })) : res.json(mfaPendingJson(signedIn));
      }
      req.ctx.log.info({ org: signedIn.org.slug, userId: signedIn.userId, sessionId: signedIn.session.id }, 'password login');
      res.setHeader('Set-Cookie', serializeSessionCookie(cookie, signedIn.token, config.sessions.ttlMs / 1000));
      if (asForm) return res.redirect(303, landingAfterSignIn(input.next));
      res.json({
        user: { id: signedIn.userId, orgSlug: signedIn.org.slug },
        session: { id: signedIn.session.id, method: signedIn.session.method, expiresAt: signedIn.session.expiresAt },
      });
    } catch (error) {
      // One answer for every failed sign-in: no request id in the body, nothing that differs.
      if (error instanceof SignInFailedError) {
        if (asForm) return html(res, 401, loginPage({ email: input.email, next: nextOf(input.next), ...(input.org ? { org: input.org } : {}), errors: [SIGN_IN_FAILED] }));
        return res.status(401).json({ error: { code: 'unauthenticated', message: SIGN_IN_FAILED, details: {} } });
      }
      if (asForm && error instanceof OrgRequiredError) {
        return html(res, 400, loginPage({ email: input.email, next: nextOf(input.next), orgs: error.choices, errors: ['You belong to several organizations: choose one and enter your password again.'] }));
      }
      if (asForm && error instanceof AccountNotActiveError) {
        return html(res, 403, loginPage({ email: input.email, next: nextOf(input.next), errors: [error.message] }));
      }
      if (asForm && error instanceof SsoRequiredError) {
        // Where the person was going goes with them, as the RelayState the SSO login takes.
        const next = nextOf(input.next);
        const href = `${String(error.details.loginUrl)}${next ? `?RelayState=${encodeURIComponent(next)}` : ''}`;
        return html(res, 403, messagePage('Use single sign-on', ['Your organization signs in with its identity provider, not a Gatehouse password.'], { href, text: 'Continue with single sign-on' }));
      }
      throw error;
    }
  });

  router.get('/reset', (_req, res) => html(res, 200, resetRequestPage()));

  router.post('/reset-request', form, guarded, async (req, res) => {
    const asForm = isForm(req);
    let email: string;
    try {
      email = parseInput(resetRequestBody, req.body).email;
    } catch (error) {
      if (!asForm) throw error;
      return html(res, 400, resetRequestPage({ errors: problemsOf(error) ?? [] }));
    }
    const queued = await requestPasswordReset(req.ctx.em, resetDeps, email, req.ctx, clock.now());
    req.ctx.log.debug({ queued }, 'password reset requested');
    if (queued) container.outbox.worker.nudge();
    if (asForm) return html(res, 202, messagePage('Check your email', [ACCEPTED]));
    res.status(202).json({ status: 'accepted', message: ACCEPTED });
  });

  const invalidLink = (req: Request, res: Response) => {
    const message = new ResetLinkInvalidError().message;
    if (req.method === 'GET' || isForm(req)) return html(res, 410, messagePage('Link expired', [message], { href: '/auth/password/reset', text: 'Ask for a new link' }));
    res.status(410).json({ error: { code: 'invalid_reset_link', message, details: { requestId: req.ctx.requestId } } });
  };

  router.get('/reset/:token', async (req, res) => {
    const token = String(req.params.token);
    const found = await findValidReset(req.ctx.em, token, clock.now());
    if (!found) return invalidLink(req, res);
    const policy = await passwordPolicyFor(req.ctx.em, found.email);
    html(res, 200, resetPage({ token, email: found.email, minLength: policy.minLength }));
  });

  router.post('/reset/:token', form, guarded, async (req, res) => {
    const token = String(req.params.token);
    const asForm = isForm(req);
    const rerender = async (errors: string[]) => {
      const found = await findValidReset(req.ctx.em, token, clock.now());
      if (!found) return invalidLink(req, res);
      const policy = await passwordPolicyFor(req.ctx.em, found.email);
      html(res, 400, resetPage({ token, email: found.email, minLength: policy.minLength, errors }));
    };
    try {
      const body = parseInput(resetBody.strip(), req.body);
      const current = await sessionOf(container, req);
      const done = await completePasswordReset(
        req.ctx.em,
        resetDeps,
        { token, password: body.password, confirmPassword: body.confirmPassword, keepSessionId: current?.session.id },
        req.ctx,
        clock.now(),
      );
      req.ctx.log.info({ endedSessions: done.endedSessions }, 'password reset');
      if (asForm) return html(res, 200, messagePage('Password changed', ['Your new password is set. Other devices were signed out.'], { href: '/auth/password/login', text: 'Sign in' }));
      res.json({ status: 'password_changed', endedSessions: done.endedSessions });
    } catch (error) {
      if (error instanceof ResetLinkInvalidError) return invalidLink(req, res);
      const problems = problemsOf(error, RESET_LABELS);
      if (asForm && problems) return rerender(problems);
      throw error;
    }
  });

  return router;
}
