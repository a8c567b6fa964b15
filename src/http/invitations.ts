import { Router, type Response } from 'express';
import { formParser } from './bodies.ts';
import { z } from 'zod';
import type { Container } from '../container.ts';
import { ValidationError } from '../directory/errors.ts';
import { acceptInvitation, InvitationGoneError, openInvitation, type AcceptanceDeps, type OpenInvitation, type RegistrationForm } from '../directory/invitation-acceptance.ts';
import { SeatLimitError } from '../directory/license.ts';
import { SsoRequiredError } from '../directory/password-sign-in.ts';
import { RateLimiter } from '../lib/rate-limit.ts';
import { serializeSessionCookie, sessionCookie } from '../lib/cookies.ts';
import { messagePage } from './pages/layout.ts';
import { registrationPage } from './pages/invitation.ts';
import { mfaLocation } from './auth/mfa.ts';
import { html, sameOriginAndThrottled } from './auth/guard.ts';
import { SIGNED_IN_LANDING } from '../lib/landing.ts';

/**
 * /invitations/:token — the page an invitation mail links to (GET) and its
 * form (POST, form-urlencoded). Pages only, never JSON; nothing is cached.
 */

// No length limits here: the form parser's 16 kB bound the body, and the registration's own
// rules name a field that is too long ("at most 200 characters") — a limit here would fail the
// whole form and report every field as missing.
export const formBody = z.object({
  givenName: z.string().default(''),
  familyName: z.string().default(''),
  phone: z.string().default(''),
  password: z.string().default(''),
  confirmPassword: z.string().default(''),
  eula: z.string().optional(),
});


function gonePage(res: Response, error: InvitationGoneError): void {
  if (error.reason === 'accepted') {
    return html(res, 410, messagePage('Invitation already used', [error.message], { href: '/auth/password/login', text: 'Sign in' }));
  }
  html(res, error.reason === 'unknown' ? 404 : 410, messagePage('Invitation no longer valid', [error.message]));
}

function ssoPage(res: Response, status: number, invitation: Pick<OpenInvitation, 'orgName' | 'orgSlug'>): void {
  html(
    res,
    status,
    messagePage(
      `Join ${invitation.orgName}`,
      [`${invitation.orgName} signs in with its identity provider (single sign-on), not a Gatehouse password. Continue with single sign-on: your account is set up when you first sign in.`],
      { href: `/saml/${encodeURIComponent(invitation.orgSlug)}/login`, text: 'Continue with single sign-on' },
    ),
  );
}

export function invitationPages(container: Container): Router {
  const router = Router();
  const { config, clock } = container;
  const cookie = sessionCookie(config.publicUrl);
  const publicOrigin = new URL(config.publicUrl).origin;
  const limiter = new RateLimiter(config.auth.rateLimit, () => clock.now().getTime());
  const form = formParser({ limit: '16kb', parameterLimit: 20 });
  const deps: AcceptanceDeps = { scrypt: config.auth.scrypt, lockout: config.auth.lockout, sessionTtlMs: config.sessions.ttlMs, eulaVersion: config.eula.version };
  const page = (invitation: OpenInvitation, token: string, extra: { values?: Record<string, string | boolean>; problems?: ValidationError['problems'] } = {}) =>
    registrationPage({ token, email: invitation.email, orgName: invitation.orgName, minLength: invitation.passwordPolicy.minLength, existingPassword: invitation.hasCredential, eula: config.eula, ...extra });

  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  // A cross-site form could otherwise sign a victim into an account the attacker was invited to.
  const guarded = sameOriginAndThrottled(publicOrigin, limiter);

  router.get('/:token', async (req, res) => {
    const token = String(req.params.token);
    try {
      const invitation = await openInvitation(req.ctx.em, token, clock.now());
      if (invitation.ssoEnforced) return ssoPage(res, 200, invitation);
      html(res, 200, page(invitation, token, { values: { givenName: invitation.givenName ?? '', familyName: invitation.familyName ?? '', phone: invitation.phone ?? '' } }));
    } catch (error) {
      if (error instanceof InvitationGoneError) return gonePage(res, error);
      throw error;
    }
  });

  router.post('/:token', form, guarded, async (req, res) => {
    const token = String(req.params.token);
    const body = formBody.safeParse(req.body ?? {});
    const raw = body.success ? body.data : formBody.parse({});
    const input: RegistrationForm = { ...raw, eulaAccepted: raw.eula === 'accepted' };
    const values = { givenName: raw.givenName, familyName: raw.familyName, phone: raw.phone, eulaAccepted: input.eulaAccepted };
    try {
      const registered = await acceptInvitation(req.ctx.em, deps, token, input, req.ctx, clock.now());
      if (registered.mfaRequired) {
        req.ctx.log.info({ org: registered.org.slug, userId: registered.userId }, 'invitation accepted, second factor required');
        return res.redirect(303, mfaLocation(registered));
      }
      req.ctx.log.info({ org: registered.org.slug, userId: registered.userId, sessionId: registered.session.id }, 'invitation accepted');
      res.setHeader('Set-Cookie', serializeSessionCookie(cookie, registered.token, config.sessions.ttlMs / 1000));
      res.redirect(303, SIGNED_IN_LANDING);
    } catch (error) {
      if (error instanceof InvitationGoneError) return gonePage(res, error);
      if (error instanceof SsoRequiredError) {
        const invitation = await openInvitation(req.ctx.em, token, clock.now()).catch(() => null);
        return ssoPage(res, 403, invitation ?? { orgName: String(error.details.org), orgSlug: String(error.details.org) });
      }
      if (error instanceof SeatLimitError) {
        return html(res, 403, messagePage('No seat available', [
          'Your organization has no free seat for a new account right now, so your account could not be created.',
          'Your invitation is still valid: ask your administrator to free a seat, then open the link again.',
        ]));
      }
      if (error instanceof ValidationError) {
        const invitation = await openInvitation(req.ctx.em, token, clock.now()).catch(() => null);
        if (!invitation) return gonePage(res, new InvitationGoneError('expired'));
        return html(res, 400, page(invitation, token, { values, problems: error.problems }));
      }
      throw error;
    }
  });

  return router;
}
