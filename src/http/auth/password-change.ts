import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Container } from '../../container.ts';
import { AuthenticationError } from '../../directory/errors.ts';
import { changePassword, SignedOutByLockError, type PasswordChangeDeps, type PasswordChangeInput } from '../../directory/password-change.ts';
import { MAX_PASSWORD_LENGTH } from '../../directory/password-policy.ts';
import type { SessionPrincipal } from '../../directory/sessions.ts';
import { RateLimiter } from '../../lib/rate-limit.ts';
import { assertCsrfHeader } from '../auth.ts';
import { JSON_BODY, refuseUnreadBody } from '../bodies.ts';
import { forgetSessionCookie, scopeOfSession, sessionOf, sessionTokenOf } from '../session.ts';
import { parseInput } from '../validate.ts';
import { sameOriginAndThrottled } from './guard.ts';

/**
 * A signed-in person changes their own password: `POST /api/session/password`
 * (JSON, the session cookie and its X-CSRF-Token, like the admin API's changes)
 * and the console's form (console/account-password.ts) both end in
 * changeOwnPassword, so they refuse and succeed alike.
 */

const password = z.string().min(1, 'is required').max(MAX_PASSWORD_LENGTH * 4);

export const changePasswordBody = z.object({
  currentPassword: password,
  newPassword: password,
  confirmPassword: z.string().max(MAX_PASSWORD_LENGTH * 4).optional(),
});

/** The per-IP throttle and cross-site refusal of the sign-in forms, for this step's own bucket. */
export function passwordChangeGuard(container: Container) {
  const { config, clock } = container;
  return sameOriginAndThrottled(new URL(config.publicUrl).origin, new RateLimiter(config.auth.rateLimit, () => clock.now().getTime()));
}

/**
 * Parses the body (400 naming each field) and changes the password of the session's person. When a
 * wrong current password locks the password, the domain ends this session; its cookie goes too.
 */
export async function changeOwnPassword(container: Container, req: Request, res: Response, principal: SessionPrincipal, body: unknown): Promise<{ endedSessions: number }> {
  const input: PasswordChangeInput = parseInput(changePasswordBody.strip(), body);
  const { config, clock } = container;
  const deps: PasswordChangeDeps = { scrypt: config.auth.scrypt, lockout: config.auth.lockout, publicUrl: config.publicUrl };
  const { user, org, session } = principal;
  const who = { scope: scopeOfSession(req, principal), userId: user.id, userName: user.userName, email: user.email, orgName: org.name, sessionId: session.id };
  const done = await changePassword(req.ctx.em, deps, who, input, clock.now()).catch((error: unknown) => {
    if (error instanceof SignedOutByLockError) {
      forgetSessionCookie(container, res);
      req.ctx.log.info({ org: org.slug, userId: user.id, sessionId: session.id }, 'password locked by this session\'s guesses: session ended');
    }
    throw error;
  });
  container.outbox.worker.nudge();
  req.ctx.log.info({ org: org.slug, userId: user.id, endedSessions: done.endedSessions }, 'password changed');
  return done;
}

/** POST /api/session/password: `{currentPassword, newPassword, confirmPassword?}` → `{status: "password_changed", endedSessions}`. */
export function passwordChangeApi(container: Container): Router {
  const router = Router();
  router.post('/api/session/password', passwordChangeGuard(container), async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const refused = refuseUnreadBody(req, res, JSON_BODY);
    if (refused) throw refused;
    const principal = await sessionOf(container, req);
    if (!principal) throw new AuthenticationError('Not signed in');
    assertCsrfHeader(sessionTokenOf(container, req)!, req);
    const done = await changeOwnPassword(container, req, res, principal, req.body);
    res.json({ status: 'password_changed', endedSessions: done.endedSessions });
  });
  return router;
}
