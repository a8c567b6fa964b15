import { Router, type Request, type Response } from 'express';
import { jsonOrFormParser } from '../bodies.ts';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { RateLimitedError, ValidationError } from '../../directory/errors.ts';
import {
  confirmEnrolment,
  describeChallenge,
  MfaChallengeInvalidError,
  sendChallengeCode,
  startEnrolment,
  verifyChallenge,
  WrongCodeError,
  type MfaDeps,
  type MfaPending,
  type MfaSignedIn,
} from '../../directory/mfa-challenges.ts';
import { serializeSessionCookie, sessionCookie } from '../../lib/cookies.ts';
import { RateLimiter } from '../../lib/rate-limit.ts';
import { landingAfterSignIn, SIGNED_IN_LANDING } from '../../lib/landing.ts';
import { messagePage } from '../pages/layout.ts';
import { enrollChoicePage, enrollConfirmPage, recoveryCodesPage, verifyPage } from '../pages/mfa.ts';
import { parseInput } from '../validate.ts';
import { html, isForm, sameOriginAndThrottled } from './guard.ts';

/**
 * Mounted at /auth/mfa: the second step of a password sign-in in an org that
 * requires it. Forms get pages, JSON gets JSON; throttled per client IP like
 * password sign-in, and each challenge ends after five wrong codes.
 */

export const challenge = z.string().trim().min(1, 'is required').max(200);
export const codeBody = z.object({ challenge, code: z.string().trim().min(1, 'is required').max(40) });
export const sendBody = z.object({ challenge, method: z.enum(['email', 'sms']) });
export const enrollBody = z.object({ challenge, method: z.enum(['totp', 'email', 'sms']), phone: z.string().max(40).optional() });

/**
 * Where a browser goes once a password is proven and a second factor is
 * needed; `next` (the console page asked for, checked by landingAfterSignIn)
 * rides along to the step's forms and is where the step lands.
 */
export function mfaLocation(pending: Pick<MfaPending, 'challenge' | 'purpose'> & { next?: string }): string {
  const next = pending.next ?? SIGNED_IN_LANDING;
  const landing = next === SIGNED_IN_LANDING ? '' : `&next=${encodeURIComponent(next)}`;
  return `/auth/mfa${pending.purpose === 'enroll' ? '/enroll' : ''}?challenge=${encodeURIComponent(pending.challenge)}${landing}`;
}

/** The challenge and landing page a step's request carries (the address on GET, the form on POST). */
function stepOf(req: Request): { challenge: string; next: string } {
  const from = (req.method === 'GET' ? req.query : req.body) as Record<string, unknown> | undefined;
  return { challenge: String(from?.challenge ?? ''), next: landingAfterSignIn(from?.next) };
}

/** The JSON answer to a proven password when a second factor is needed. */
export function mfaPendingJson(pending: MfaPending) {
  return { mfaRequired: true, challenge: pending.challenge, purpose: pending.purpose, methods: pending.methods, expiresAt: pending.expiresAt };
}

export function mfaRoutes(container: Container): Router {
  const router = Router();
  const { config, clock } = container;
  const cookie = sessionCookie(config.publicUrl);
  const limiter = new RateLimiter(config.auth.rateLimit, () => clock.now().getTime());
  const guard = sameOriginAndThrottled(new URL(config.publicUrl).origin, limiter);
  const form = jsonOrFormParser({ limit: '16kb', parameterLimit: 20 });
  const deps: MfaDeps = { sessionTtlMs: config.sessions.ttlMs, sms: container.sms };

  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  const ended = (req: Request, res: Response) => {
    const message = new MfaChallengeInvalidError().message;
    if (req.method === 'GET' || isForm(req)) return html(res, 401, messagePage('Sign in again', [message], { href: '/auth/password/login', text: 'Sign in' }));
    res.status(401).json({ error: { code: 'mfa_challenge_invalid', message, details: { requestId: req.ctx.requestId } } });
  };

  const signedIn = (req: Request, res: Response, done: MfaSignedIn) => {
    req.ctx.log.info({ org: done.org.slug, userId: done.userId, sessionId: done.session.id }, 'two-factor sign-in');
    res.setHeader('Set-Cookie', serializeSessionCookie(cookie, done.token, config.sessions.ttlMs / 1000));
    if (isForm(req)) {
      const { next } = stepOf(req);
      if (done.recoveryCodes) return html(res, 200, recoveryCodesPage({ codes: done.recoveryCodes, next }));
      return res.redirect(303, next);
    }
    res.json({
      user: { id: done.userId, orgSlug: done.org.slug },
      session: { id: done.session.id, method: done.session.method, expiresAt: done.session.expiresAt },
      ...(done.recoveryCodes ? { recoveryCodes: done.recoveryCodes } : {}),
    });
  };

  /** A refusal the page can show next to the form; anything else goes to the error handler. */
  const messageOf = (error: unknown): string | null => {
    if (error instanceof ValidationError) return error.problems.map((p) => p.reason).join(' ');
    if (error instanceof WrongCodeError || error instanceof RateLimitedError) return error.message;
    return null;
  };

  type Found = Awaited<ReturnType<typeof describeChallenge>>;

  /**
   * Every step answers a refusal the same way: an ended challenge → "sign in
   * again"; a wrong code or bad field on a form → the step's page again with the
   * message; anything else → the error handler.
   */
  const refuse = async (req: Request, res: Response, token: string, error: unknown, page: (found: Found, message: string) => string) => {
    if (error instanceof MfaChallengeInvalidError) return ended(req, res);
    const message = messageOf(error);
    if (!isForm(req) || !message) throw error;
    const found = await describeChallenge(req.ctx.em, token, clock.now()).catch(() => null);
    if (!found) return ended(req, res);
    if (error instanceof RateLimitedError) {
      res.setHeader('Retry-After', String(error.retryAfterSeconds));
      return html(res, 429, page(found, message));
    }
    html(res, 400, page(found, message));
  };

  router.get('/', async (req, res) => {
    const step = stepOf(req);
    try {
      const found = await describeChallenge(req.ctx.em, step.challenge, clock.now());
      if (found.purpose === 'enroll') return res.redirect(303, mfaLocation({ ...step, purpose: 'enroll' }));
      html(res, 200, verifyPage({ ...step, methods: found.methods }));
    } catch (error) {
      if (error instanceof MfaChallengeInvalidError) return ended(req, res);
      throw error;
    }
  });

  router.post('/verify', form, guard, async (req, res) => {
    const step = stepOf(req);
    try {
      const body = parseInput(codeBody, req.body);
      signedIn(req, res, await verifyChallenge(req.ctx.em, deps, body.challenge, body.code, req.ctx, clock.now()));
    } catch (error) {
      await refuse(req, res, step.challenge, error, (found, message) => verifyPage({ ...step, methods: found.methods, errors: [message] }));
    }
  });

  router.post('/send', form, guard, async (req, res) => {
    const step = stepOf(req);
    try {
      const body = parseInput(sendBody, req.body);
      await sendChallengeCode(req.ctx.em, deps, body.challenge, body.method, clock.now());
      container.outbox.worker.nudge();
      if (!isForm(req)) return res.status(202).json({ status: 'sent', method: body.method });
      const found = await describeChallenge(req.ctx.em, step.challenge, clock.now());
      const sentTo = body.method === 'email' ? found.email : 'your mobile number';
      if (found.purpose === 'enroll') return html(res, 202, enrollConfirmPage({ ...step, method: body.method, sentTo }));
      html(res, 202, verifyPage({ ...step, methods: found.methods, sentTo }));
    } catch (error) {
      await refuse(req, res, step.challenge, error, (found, message) =>
        found.purpose === 'enroll'
          ? enrollConfirmPage({ ...step, method: found.pendingKind ?? 'email', sentTo: found.email, errors: [message] })
          : verifyPage({ ...step, methods: found.methods, errors: [message] }),
      );
    }
  });

  router.get('/enroll', async (req, res) => {
    const step = stepOf(req);
    try {
      const found = await describeChallenge(req.ctx.em, step.challenge, clock.now());
      if (found.purpose !== 'enroll') return res.redirect(303, mfaLocation({ ...step, purpose: 'verify' }));
      html(res, 200, enrollChoicePage({ ...step, email: found.email }));
    } catch (error) {
      if (error instanceof MfaChallengeInvalidError) return ended(req, res);
      throw error;
    }
  });

  router.post('/enroll', form, guard, async (req, res) => {
    const step = stepOf(req);
    try {
      const body = parseInput(enrollBody, req.body);
      const started = await startEnrolment(req.ctx.em, deps, body.challenge, { method: body.method, phone: body.phone }, clock.now());
      if (started.sentTo) container.outbox.worker.nudge();
      if (!isForm(req)) return res.json(started);
      html(res, 200, enrollConfirmPage({ ...step, ...started }));
    } catch (error) {
      await refuse(req, res, step.challenge, error, (found, message) => enrollChoicePage({ ...step, email: found.email, errors: [message] }));
    }
  });

  router.post('/enroll/confirm', form, guard, async (req, res) => {
    const step = stepOf(req);
    try {
      const body = parseInput(codeBody, req.body);
      signedIn(req, res, await confirmEnrolment(req.ctx.em, deps, body.challenge, body.code, req.ctx, clock.now()));
    } catch (error) {
      // The key is not shown again: a person who lost it starts the set-up over.
      await refuse(req, res, step.challenge, error, (found, message) =>
        enrollConfirmPage({ ...step, method: found.pendingKind ?? 'totp', sentTo: found.pendingKind === 'totp' ? undefined : found.email, errors: [message] }),
      );
    }
  });

  return router;
}
