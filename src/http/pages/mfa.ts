import type { VerifyMethod } from '../../directory/second-factors.ts';
import { errorBox, escapeHtml, layout } from './layout.ts';
import { SIGNED_IN_LANDING } from '../../lib/landing.ts';
import { qrSvg } from '../../lib/qr.ts';

/** What a screen reader says for the QR code; the key below it is the way in without a camera. */
const QR_LABEL = 'QR code to add Gatehouse to an authenticator app';

/**
 * The second step of sign-in: verify a factor, or enrol the first one. The
 * challenge token rides in a hidden field (and the page address); pages are
 * never cached and send a referrer only to this origin (layout.ts), so it does not leak.
 */

/** What every form of the step sends back: the challenge, and the console page to land on once signed in. */
interface Step {
  challenge: string;
  next: string;
}

const hidden = (step: Step) =>
  `<input type="hidden" name="challenge" value="${escapeHtml(step.challenge)}"><input type="hidden" name="next" value="${escapeHtml(step.next)}">`;

function codeForm(action: string, step: Step, label: string, hint: string): string {
  return `<form method="post" action="${action}">
${hidden(step)}
<label for="code">${escapeHtml(label)}</label>
<input id="code" name="code" autocomplete="one-time-code" inputmode="text" required maxlength="20" aria-describedby="code-hint">
<p id="code-hint" class="hint">${escapeHtml(hint)}</p>
<button type="submit">Continue</button>
</form>`;
}

export function verifyPage(input: Step & { methods: VerifyMethod[]; sentTo?: string | undefined; errors?: string[] }): string {
  const send = (['email', 'sms'] as const)
    .filter((m) => input.methods.includes(m))
    .map((m) => `<form method="post" action="/auth/mfa/send">${hidden(input)}<input type="hidden" name="method" value="${m}">
<button type="submit">${m === 'email' ? 'Email me a code' : 'Text me a code'}</button></form>`)
    .join('\n');
  const hint = [
    input.methods.includes('totp') ? 'the 6-digit code from your authenticator app' : null,
    input.methods.some((m) => m === 'email' || m === 'sms') ? 'a code we send you' : null,
    input.methods.includes('recovery') ? 'or one of your recovery codes' : null,
  ].filter(Boolean).join(', ');
  // Codes by email or SMS are sent only when asked: with no app to read one from, say so first.
  const buttons = (['email', 'sms'] as const).filter((m) => input.methods.includes(m)).map((m) => (m === 'email' ? '“Email me a code”' : '“Text me a code”'));
  const ask = !input.sentTo && !input.methods.includes('totp') && buttons.length
    ? `<p>Press ${buttons.join(' or ')} below, then enter the code it sends${input.methods.includes('recovery') ? ', or enter one of your recovery codes' : ''}.</p>`
    : '';
  return layout({
    title: 'Confirm it is you',
    body: `${errorBox(input.errors ?? [])}
${input.sentTo ? `<p role="status">We sent a code to ${escapeHtml(input.sentTo)}. It works once, for 10 minutes.</p>` : ask}
${codeForm('/auth/mfa/verify', input, 'Code', `Enter ${hint}.`)}
${send}`,
  });
}

export function enrollChoicePage(input: Step & { email: string; errors?: string[] }): string {
  return layout({
    title: 'Set up two-step sign-in',
    body: `${errorBox(input.errors ?? [])}
<p>Your organization asks for a second step when you sign in as ${escapeHtml(input.email)}. Choose how you will confirm it is you.</p>
<form method="post" action="/auth/mfa/enroll">
${hidden(input)}
<fieldset>
<legend>Method</legend>
<p><input type="radio" id="method-totp" name="method" value="totp" checked> <label for="method-totp" class="inline">Authenticator app (recommended)</label></p>
<p><input type="radio" id="method-email" name="method" value="email"> <label for="method-email" class="inline">A code by email</label></p>
<p><input type="radio" id="method-sms" name="method" value="sms"> <label for="method-sms" class="inline">A code by text message</label></p>
</fieldset>
<label for="phone">Mobile number (for text messages)</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" maxlength="30" aria-describedby="phone-hint">
<p id="phone-hint" class="hint">With its country code, such as +44 7700 900123.</p>
<button type="submit">Continue</button>
</form>`,
  });
}

export function enrollConfirmPage(input: Step & { method: string; secret?: string | undefined; otpauthUri?: string | undefined; sentTo?: string | undefined; errors?: string[] }): string {
  const app = input.method === 'totp';
  // After a wrong code the key is not shown again: whoever did not add it yet starts the set-up over.
  const restart = `/auth/mfa/enroll?challenge=${encodeURIComponent(input.challenge)}${input.next === SIGNED_IN_LANDING ? '' : `&next=${encodeURIComponent(input.next)}`}`;
  const intro = input.secret
    ? `<p>Add Gatehouse to your authenticator app: scan this QR code with it, open the link below on the device, or enter the key by hand (time-based, 6 digits, 30 seconds).</p>
${input.otpauthUri ? `<p>${qrSvg(input.otpauthUri, QR_LABEL)}</p>` : ''}
<p><a href="${escapeHtml(input.otpauthUri ?? '')}">${escapeHtml(input.otpauthUri ?? '')}</a></p>
<p>Key: <code>${escapeHtml(input.secret.replace(/(.{4})/g, '$1 ').trim())}</code></p>`
    : app
    ? `<p>Enter the code your authenticator app shows for Gatehouse now. Did not add the key to the app? <a href="${escapeHtml(restart)}">Start the set-up again</a>.</p>`
    : `<p role="status">We sent a code to ${escapeHtml(input.sentTo ?? '')}. It works once, for 10 minutes.</p>
<form method="post" action="/auth/mfa/send">${hidden(input)}<input type="hidden" name="method" value="${escapeHtml(input.method)}"><button type="submit">Send a new code</button></form>`;
  return layout({
    title: 'Confirm your second step',
    body: `${errorBox(input.errors ?? [])}
${intro}
${codeForm('/auth/mfa/enroll/confirm', input, 'Code', app ? 'The 6-digit code your app shows now.' : 'The 6-digit code we sent.')}`,
  });
}

export function recoveryCodesPage(input: { codes: string[]; next: string }): string {
  return layout({
    title: 'Save your recovery codes',
    body: `<p>Two-step sign-in is set up, and you are signed in. If you lose your device, each of these codes signs you in once. Keep them somewhere safe: they are not shown again.</p>
<ul>${input.codes.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('')}</ul>
<p><a href="${escapeHtml(input.next)}">Continue</a></p>`,
  });
}
