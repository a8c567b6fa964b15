import type { OrgChoice } from '../../directory/password-sign-in.ts';
import { errorBox, escapeHtml, layout } from './layout.ts';

/**
 * Sign-in and password-reset pages. Forms post to the same origin; the reset
 * form's address carries the token that authorises it, so no cookie (and no
 * CSRF token) is involved.
 */

/**
 * What the organization choice shows for each org: its name, which people
 * recognise (a slug is an admin's ID). Names need not be unique, so a name
 * that another choice shares (in any case) carries its slug too.
 */
export function orgChoiceLabels(orgs: readonly OrgChoice[]): string[] {
  const key = (name: string) => name.trim().toLowerCase();
  const counts = new Map<string, number>();
  for (const org of orgs) counts.set(key(org.name), (counts.get(key(org.name)) ?? 0) + 1);
  return orgs.map((org) => (counts.get(key(org.name))! > 1 ? `${org.name} (${org.slug})` : org.name));
}

export function loginPage(
  input: { email?: string; orgs?: OrgChoice[]; org?: string; next?: string | undefined; signedOut?: boolean; expired?: boolean; errors?: string[]; sso?: { who: string; errors: string[] } } = {},
): string {
  const labels = orgChoiceLabels(input.orgs ?? []);
  const orgField = input.orgs?.length
    ? `<label for="org">Organization</label>
<select id="org" name="org" required>${input.orgs.map(({ slug }, i) => `<option value="${escapeHtml(slug)}"${slug === input.org ? ' selected' : ''}>${escapeHtml(labels[i]!)}</option>`).join('')}</select>`
    : input.org
      ? `<input type="hidden" name="org" value="${escapeHtml(input.org)}">`
      : '';
  return layout({
    title: 'Sign in',
    body: `${input.signedOut ? '<p class="notice" role="status">You are signed out.</p>' : ''}${input.expired ? '<p class="notice" role="status">Your session has ended: it expired, or you were signed out (on another device or by an administrator). Sign in again to continue.</p>' : ''}${errorBox(input.errors ?? [])}
<form method="post" action="/auth/password/login">
${input.next ? `<input type="hidden" name="next" value="${escapeHtml(input.next)}">` : ''}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(input.email ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
${orgField}
<button type="submit">Sign in</button>
</form>
<p><a href="/auth/password/reset">Forgot your password?</a></p>
${ssoForm(input.next, input.sso)}`,
  });
}

/** "Sign in with SSO": the org's ID or a work email; /auth/sso (auth/sso-discovery.ts) finds the org's SAML sign-in. */
function ssoForm(next: string | undefined, sso: { who: string; errors: string[] } | undefined): string {
  return `<section class="sso-sign-in" aria-labelledby="sso-heading">
<h2 id="sso-heading">Sign in with SSO</h2>
${errorBox(sso?.errors ?? [])}
<form method="get" action="/auth/sso">
${next ? `<input type="hidden" name="next" value="${escapeHtml(next)}">` : ''}
<label for="sso-who">Organization ID or work e-mail</label>
<input id="sso-who" name="who" type="text" required autocapitalize="none" spellcheck="false" aria-describedby="sso-who-hint" value="${escapeHtml(sso?.who ?? '')}">
<p id="sso-who-hint" class="hint">For organizations that sign in through Okta, Entra or another identity provider.</p>
<button type="submit">Continue with SSO</button>
</form>
</section>`;
}

export function resetRequestPage(input: { email?: string; errors?: string[] } = {}): string {
  return layout({
    title: 'Reset your password',
    body: `${errorBox(input.errors ?? [])}
<p>Enter the email address you sign in with. If it belongs to an account, we will send a link to choose a new password.</p>
<form method="post" action="/auth/password/reset-request">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="email" required value="${escapeHtml(input.email ?? '')}">
<button type="submit">Send the link</button>
</form>`,
  });
}

export function resetPage(input: { token: string; email: string; minLength: number; errors?: string[] }): string {
  return layout({
    title: 'Choose a new password',
    body: `${errorBox(input.errors ?? [])}
<form method="post" action="/auth/password/reset/${encodeURIComponent(input.token)}">
<label for="username">Email</label>
<input id="username" name="username" type="email" autocomplete="username" value="${escapeHtml(input.email)}" readonly>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${input.minLength}" aria-describedby="password-hint">
<p id="password-hint" class="hint">At least ${input.minLength} characters. Avoid common passwords and your own name or address.</p>
<label for="confirmPassword">New password again</label>
<input id="confirmPassword" name="confirmPassword" type="password" autocomplete="new-password" required>
<button type="submit">Set password</button>
</form>`,
  });
}
