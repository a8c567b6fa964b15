import { Router, type Request, type Response } from 'express';
import type { Container } from '../container.ts';
import { AuthenticationError } from '../directory/errors.ts';
import { authenticateSession, revokeSession, type SessionPrincipal } from '../directory/sessions.ts';
import { clearSessionCookie, parseCookies, sessionCookie } from '../lib/cookies.ts';
import { csrfTokenFor } from '../lib/csrf.ts';
import { accessOf } from '../directory/permissions.ts';
import type { Scope } from '../directory/scope.ts';
import { html, isForm, sameOrigin } from './auth/guard.ts';
import { escapeHtml, layout, messagePage } from './pages/layout.ts';

/** The session cookie's value as the request sent it, if any. */
export function sessionTokenOf(container: Container, req: Request): string | undefined {
  const cookie = sessionCookie(container.config.publicUrl);
  return parseCookies(req.get('cookie')).get(cookie.name);
}

/** The signed-in person of a request (by session cookie), or null. */
export async function sessionOf(container: Container, req: Request): Promise<SessionPrincipal | null> {
  return authenticateSession(req.ctx.em, sessionTokenOf(container, req), container.clock.now());
}

/** The scope of a change the signed-in person makes themselves: their org, them as the actor, this request's origin. */
export function scopeOfSession(req: Request, principal: SessionPrincipal): Scope {
  const { user, org } = principal;
  return {
    orgId: org.id,
    orgSlug: org.slug,
    actor: { type: 'user', id: user.id, label: user.email ?? user.userName },
    requestId: req.ctx.requestId,
    ip: req.ctx.ip,
    userAgent: req.ctx.userAgent,
  };
}

/** Revokes the request's session (audited as session.ended) and clears its cookie; the caller answers. */
export async function endSession(container: Container, req: Request, res: Response): Promise<void> {
  const principal = await sessionOf(container, req);
  if (principal) {
    await revokeSession(req.ctx.em, scopeOfSession(req, principal), principal.session.id, container.clock.now(), 'session.ended');
  }
  forgetSessionCookie(container, res);
  res.setHeader('Cache-Control', 'no-store');
}

/** Tells the browser to drop the session cookie of a session that has ended. */
export function forgetSessionCookie(container: Container, res: Response): void {
  res.setHeader('Set-Cookie', clearSessionCookie(sessionCookie(container.config.publicUrl)));
}

/** The page a sign-out link or bookmark opens: a button that posts the sign-out (a GET changes nothing). */
function signOutPage(who: string): string {
  return layout({
    title: 'Sign out',
    body: `<p>You are signed in as ${escapeHtml(who)}.</p>
<form method="post" action="/auth/logout">
<button type="submit">Sign out</button>
</form>`,
  });
}

/** GET /api/session, GET and POST /auth/logout: the browser's view of its own session. */
export function sessionRoutes(container: Container): Router {
  const router = Router();

  router.get('/api/session', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const principal = await sessionOf(container, req);
    if (!principal) throw new AuthenticationError('Not signed in');
    const { user, org, session } = principal;
    const access = accessOf('session', user.permissions, user.orgRole === 'org_admin');
    res.json({
      user: { id: user.id, email: user.email, displayName: user.displayName, orgSlug: org.slug, orgRole: user.orgRole, permissions: [...access.permissions] },
      session: { id: session.id, method: session.method, createdAt: session.createdAt, lastSeenAt: session.lastSeenAt, expiresAt: session.expiresAt },
      // Sent back as X-CSRF-Token on the admin API's state-changing calls made with this cookie.
      csrfToken: csrfTokenFor(sessionTokenOf(container, req)!),
    });
  });

  // A cookie rides along on cross-site posts too: another site must not end someone's session.
  router.post('/auth/logout', sameOrigin(new URL(container.config.publicUrl).origin), async (req, res) => {
    await endSession(container, req, res);
    // The sign-out page's button lands where the console's does; scripts get no body.
    if (isForm(req)) return res.redirect(303, '/console/login?signedOut=1');
    res.status(204).end();
  });

  // Links and bookmarks use GET, which any site can make a browser send (an <img>, a link): it only
  // shows the button, and the sign-out itself stays a same-origin POST.
  router.get('/auth/logout', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const principal = await sessionOf(container, req);
    if (!principal) {
      return html(res, 200, messagePage('Sign out', ['You are not signed in.'], { href: '/console/login', text: 'Sign in' }));
    }
    html(res, 200, signOutPage(principal.user.email ?? principal.user.userName));
  });
  return router;
}
