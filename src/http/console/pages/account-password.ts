import type { Request, Response } from 'express';
import type { Container } from '../../../container.ts';
import { RateLimitedError, ValidationError, type FieldProblem } from '../../../directory/errors.ts';
import { NoPasswordError, passwordChangeAvailability, SignedOutByLockError, type PasswordChangeAvailability } from '../../../directory/password-change.ts';
import { messagePage } from '../../pages/layout.ts';
import { passwordPolicyFor } from '../../../directory/password-rules.ts';
import { csrfTokenMatches } from '../../../lib/csrf.ts';
import { changeOwnPassword } from '../../auth/password-change.ts';
import { sessionOf, sessionTokenOf } from '../../session.ts';
import { html, type Html } from '../html.ts';
import { consolePage, problemList } from '../layout.ts';
import type { ConsoleRoute } from '../page.ts';
import { toLogin, viewerFor, type Viewer } from '../viewer.ts';

/**
 * /console/account/password: the signed-in person changes their own password.
 * Unlike the console's other forms (scripts calling the admin API), this one is
 * a plain form posted to the page itself, as the sign-in and reset forms are:
 * it works without JavaScript and password managers see a real submit. Its
 * POST ends where POST /api/session/password does (auth/password-change.ts),
 * and carries the session's CSRF token as a field, since a form cannot send
 * the header. A password is never written back into the page.
 */

export const PATH = '/console/account/password';

const labels: Record<string, string> = { currentPassword: 'Current password', newPassword: 'New password', confirmPassword: 'New password again' };

/** A password input with its label, its problems printed above it and tied to it (aria-describedby), and an optional hint. */
function field(name: string, autocomplete: string, problems: FieldProblem[], options: { minLength?: number; hint?: string } = {}): Html {
  const mine = problems.filter((p) => p.field === name).map((p) => p.reason);
  const error = mine.length ? html`<p id="${name}-error" class="error">${mine.join('; ')}</p>` : '';
  const describedBy = [mine.length ? `${name}-error` : '', options.hint ? `${name}-hint` : ''].filter(Boolean).join(' ');
  return html`<label for="${name}">${labels[name]}</label>${error}
<input id="${name}" name="${name}" type="password" autocomplete="${autocomplete}" required${options.minLength ? html` minlength="${options.minLength}"` : ''}${mine.length ? html` aria-invalid="true"` : ''}${describedBy ? html` aria-describedby="${describedBy}"` : ''}>${options.hint ? html`
<p id="${name}-hint" class="hint">${options.hint}</p>` : ''}`;
}

function form(input: { viewer: Viewer; minLength: number; problems?: FieldProblem[]; message?: string }): Html {
  const problems = input.problems ?? [];
  const summary = [...problems.map((p) => `${labels[p.field] ?? p.field}: ${p.reason}`), ...(input.message ? [input.message] : [])];
  return html`${problemList(summary)}
<p>Enter the password you use now, then the new one twice. Every other device signed in with your password is signed out, and we email you to confirm.</p>
<form method="post" action="${PATH}" class="account-password">
<input type="hidden" name="csrfToken" value="${input.viewer.csrf}">
<label for="username">Email</label>
<input id="username" name="username" type="email" autocomplete="username" value="${input.viewer.email ?? ''}" readonly>
${field('currentPassword', 'current-password', problems)}
${field('newPassword', 'new-password', problems, { minLength: input.minLength, hint: `At least ${input.minLength} characters. Avoid common passwords and your own name or address. It serves every organization you belong to, so it meets the strictest of their password policies.` })}
${field('confirmPassword', 'new-password', problems)}
<button type="submit">Change password</button>
</form>
<p><a href="/auth/password/reset">Forgot your current password?</a> Reset it by email instead.</p>`;
}

function noPassword(reason: Exclude<PasswordChangeAvailability, 'available'>): Html {
  const message = new NoPasswordError(reason).message;
  return reason === 'sso_enforced'
    ? html`<p>${message}</p><p>To change it, use your identity provider (for example Okta or Microsoft Entra ID), or ask your IT administrator.</p>`
    : html`<p>${message}</p><p><a href="/auth/password/reset">Set a password by email</a></p>`;
}

/** The page's body for this viewer: the form, or why there is none. */
async function body(req: Request, viewer: Viewer, state: { problems?: FieldProblem[]; message?: string } = {}): Promise<Html> {
  const availability = await passwordChangeAvailability(req.ctx.em, viewer.email);
  if (availability !== 'available') return noPassword(availability);
  const policy = await passwordPolicyFor(req.ctx.em, viewer.email!);
  return form({ viewer, minLength: policy.minLength, ...state });
}

export const accountPasswordRoute: ConsoleRoute = {
  path: '/account/password',
  title: 'Change your password',
  section: PATH,
  requirement: null,
  async render({ req, viewer, query }) {
    if (query.changed === '1') {
      return {
        body: html`<p class="notice" role="status">Your password is changed. Every other device signed in with it was signed out, and we emailed you a confirmation.</p>
<p><a href="/console">Back to the console</a></p>`,
      };
    }
    return { body: await body(req, viewer) };
  },
};

/** POST /console/account/password (a form): 303 back to the page on success, else the page again saying why. */
export function accountPasswordPost(container: Container) {
  return async (req: Request, res: Response): Promise<void> => {
    const principal = await sessionOf(container, req);
    if (!principal) return toLogin(container, req, res);
    const viewer = viewerFor(container, req, principal);
    const send = (status: number, content: Html): void => {
      res.status(status).type('html').send(consolePage({ title: accountPasswordRoute.title, viewer, active: PATH, body: content }));
    };
    const presented = (req.body as Record<string, unknown> | undefined)?.csrfToken;
    if (!csrfTokenMatches(sessionTokenOf(container, req)!, typeof presented === 'string' ? presented : undefined)) {
      return send(403, await body(req, viewer, { message: 'This form did not come from your current session (it may be from before you last signed in): open the page again and resend it.' }));
    }
    try {
      await changeOwnPassword(container, req, res, principal, req.body);
      res.redirect(303, `${PATH}?changed=1`);
    } catch (error) {
      // This session is over: no form it could send, only the way back in.
      if (error instanceof SignedOutByLockError) {
        res.status(400).type('html').send(messagePage('Signed out', [error.pageMessage], { href: '/console/login', text: 'Sign in' }));
        return;
      }
      if (error instanceof ValidationError) return send(400, await body(req, viewer, { problems: error.problems }));
      if (error instanceof NoPasswordError) return send(403, noPassword(error.details.reason as 'sso_enforced' | 'not_set'));
      if (error instanceof RateLimitedError) {
        res.setHeader('Retry-After', String(error.retryAfterSeconds));
        return send(429, await body(req, viewer, { message: error.message }));
      }
      throw error;
    }
  };
}
