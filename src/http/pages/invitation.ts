import type { FieldProblem } from '../../directory/errors.ts';
import { PHONE_MAX_LENGTH } from '../../directory/user-validation.ts';
import { errorBox, escapeHtml, layout } from './layout.ts';

/**
 * The registration page an invitation link opens. Plain HTML: labels tied to
 * inputs, each problem printed next to its field (aria-describedby, and
 * aria-invalid on the input) plus a summary read out on load. The address is
 * shown, not editable: the invitation fixes it.
 */

export interface RegistrationPageInput {
  token: string;
  email: string;
  orgName: string;
  values?: { givenName?: string; familyName?: string; phone?: string; eulaAccepted?: boolean };
  problems?: FieldProblem[];
  minLength: number;
  /** The address already has a password: ask for it instead of a new one. */
  existingPassword: boolean;
  eula: { version: string; url?: string | undefined };
}

function fieldError(id: string, problems: FieldProblem[]): { attrs: string; html: string } {
  const mine = problems.filter((p) => p.field === id);
  if (!mine.length) return { attrs: '', html: '' };
  return {
    attrs: ` aria-invalid="true" aria-describedby="${id}-error"`,
    html: `\n<p id="${id}-error" class="error">${mine.map((p) => escapeHtml(p.reason)).join('<br>')}</p>`,
  };
}

function textField(id: string, label: string, value: string, problems: FieldProblem[], extra: string): string {
  const error = fieldError(id, problems);
  return `<label for="${id}">${escapeHtml(label)}</label>${error.html}
<input id="${id}" name="${id}" value="${escapeHtml(value)}"${extra}${error.attrs}>`;
}

export function registrationPage(input: RegistrationPageInput): string {
  const problems = input.problems ?? [];
  const values = input.values ?? {};
  const password = fieldError('password', problems);
  const confirm = fieldError('confirmPassword', problems);
  const eula = fieldError('eula', problems);
  const passwordFields = input.existingPassword
    ? `<p class="hint" id="password-hint">This email address already has a Gatehouse password (from another organization). Enter it: the same password will work here.</p>
<label for="password">Your existing password</label>${password.html}
<input id="password" name="password" type="password" autocomplete="current-password" required aria-describedby="password-hint${password.html ? ' password-error' : ''}"${password.html ? ' aria-invalid="true"' : ''}>
<p><a href="/auth/password/reset">Forgot it? Reset your password</a>, then open this invitation again.</p>`
    : `<label for="password">Password</label>${password.html}
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${input.minLength}" aria-describedby="password-hint${password.html ? ' password-error' : ''}"${password.html ? ' aria-invalid="true"' : ''}>
<p id="password-hint" class="hint">At least ${input.minLength} characters. Avoid common passwords and your own name or address.</p>
<label for="confirmPassword">Password again</label>${confirm.html}
<input id="confirmPassword" name="confirmPassword" type="password" autocomplete="new-password" required${confirm.attrs}>`;
  const terms = input.eula.url ? `<a href="${escapeHtml(input.eula.url)}">terms of use</a>` : 'terms of use';
  const summary = problems.length ? errorBox(problems.map((p) => p.reason)) : '';
  return layout({
    title: `Join ${input.orgName}`,
    body: `${summary}
<p>You were invited to <strong>${escapeHtml(input.orgName)}</strong>. Create your account to continue.</p>
<form method="post" action="/invitations/${encodeURIComponent(input.token)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" value="${escapeHtml(input.email)}" readonly aria-describedby="email-hint">
<p id="email-hint" class="hint">Fixed by the invitation.</p>
${textField('givenName', 'First name', values.givenName ?? '', problems, ' autocomplete="given-name" required maxlength="200"')}
${textField('familyName', 'Last name', values.familyName ?? '', problems, ' autocomplete="family-name" required maxlength="200"')}
${textField('phone', 'Mobile number (optional)', values.phone ?? '', problems, ` type="tel" autocomplete="tel" maxlength="${PHONE_MAX_LENGTH}"`)}
${passwordFields}
<p><input id="eula" name="eula" type="checkbox" value="accepted" required${values.eulaAccepted ? ' checked' : ''}${eula.attrs}>
<label for="eula" class="inline">I accept the ${terms} (version ${escapeHtml(input.eula.version)})</label></p>${eula.html}
<button type="submit">Create account</button>
</form>`,
  });
}
