import type { Em } from '../db/orm.ts';
import { escapeHtml } from '../lib/html.ts';
import { recordAuditSql } from './audit.ts';
import { findCredential, hashPassword, normalizeEmail, recordFailedAttempt, storePasswordHash, verifyPassword, type CredentialRow, type LockoutPolicy, type ScryptParams } from './credentials.ts';
import { PermissionError, RateLimitedError, ValidationError, type FieldProblem } from './errors.ts';
import { enqueueMail } from './outbox.ts';
import { normalizePassword } from './password-policy.ts';
import { canUsePassword, newPasswordProblems, passwordProfiles, type PasswordProfile } from './password-rules.ts';
import type { Scope } from './scope.ts';
import { endOtherSessions, revokeSession } from './sessions.ts';

/**
 * A signed-in person changes their own password: they prove the current one
 * (wrong guesses count toward the same lockout as sign-in, so a borrowed
 * session cannot be used to guess it, and the guess that locks the password
 * also signs that session out: a stolen session does not outlive the lock
 * it put on its owner), the new one meets the rules a reset
 * link's would (password-rules.ts), and on success their other sessions end,
 * one audit event is recorded and a mail tells them, with a way back if it
 * was not them.
 */

export interface PasswordChangeDeps {
  scrypt: ScryptParams;
  lockout: LockoutPolicy;
  /** For the reset link in the notification mail. */
  publicUrl: string;
}

/** The signed-in person: the session's org scope (actor = them), their profile there and the session to keep. */
export interface PasswordChanger {
  scope: Scope;
  userId: string;
  userName: string;
  email: string | null;
  orgName: string;
  sessionId: string;
}

export interface PasswordChangeInput {
  currentPassword: string;
  newPassword: string;
  /** When sent (the form always sends it), it must equal newPassword. */
  confirmPassword?: string | undefined;
}

/** Whether the person can change a password here, and if not, why. */
export type PasswordChangeAvailability = 'available' | 'sso_enforced' | 'not_set';

/** There is no password to change: every org of the person signs in through its IdP, or none was ever set. */
export class NoPasswordError extends PermissionError {
  constructor(reason: Exclude<PasswordChangeAvailability, 'available'>) {
    super(
      reason === 'sso_enforced'
        ? 'You sign in with single sign-on: your organization’s identity provider manages your password, and there is no Gatehouse password to change.'
        : 'You have no Gatehouse password yet. To set one, use “Forgot your password?” on the sign-in page: we email you a link.',
      { reason },
    );
  }
}

/** The credential is locked after too many wrong passwords (at sign-in or here): 429 until the lock ends. */
export class PasswordLockedError extends RateLimitedError {
  constructor(lockedUntil: Date, now: Date) {
    const seconds = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000));
    super(seconds, `Too many wrong passwords: your password is locked until ${utcTime(lockedUntil)} UTC, for sign-in too. Try again then, or reset it.`, { reason: 'account_locked', field: 'currentPassword' });
  }
}

/**
 * This wrong current password started a lock, and the session that sent it is signed out: still a
 * 400 naming `currentPassword` (the guess was wrong), with `details.sessionEnded` and `lockedUntil`.
 */
export class SignedOutByLockError extends ValidationError {
  readonly lockedUntil: Date;
  constructor(lockedUntil: Date, now: Date, problems: FieldProblem[]) {
    const minutes = Math.round((lockedUntil.getTime() - now.getTime()) / 60_000);
    const reason = `is incorrect; after too many wrong passwords it is locked for ${minutes} minutes, for sign-in too, and this session is signed out`;
    super([{ field: 'currentPassword', reason }, ...problems], undefined, { sessionEnded: true, lockedUntil: lockedUntil.toISOString() });
    this.lockedUntil = lockedUntil;
  }

  /** The sentence a page shows instead of the form, which this session can no longer send. */
  get pageMessage(): string {
    return `Too many wrong passwords: your password is locked until ${utcTime(this.lockedUntil)} UTC, for sign-in too, and you are signed out here. Sign in again then, or reset your password.`;
  }
}

const utcTime = (at: Date) => at.toISOString().slice(11, 16);

type PasswordOf =
  | { availability: 'available'; email: string; profiles: PasswordProfile[]; credential: CredentialRow }
  | { availability: Exclude<PasswordChangeAvailability, 'available'> };

/** The person's password, if they have one they may change; a person with no email has no credential. */
async function passwordOf(em: Em, rawEmail: string | null): Promise<PasswordOf> {
  if (!rawEmail) return { availability: 'not_set' };
  const email = normalizeEmail(rawEmail);
  const profiles = await passwordProfiles(em, email);
  // The session's own profile is active, so no profile that may use a password means its org (and any other) enforces SSO.
  if (!profiles.some(canUsePassword)) return { availability: 'sso_enforced' };
  const credential = await findCredential(em, email);
  return credential ? { availability: 'available', email, profiles, credential } : { availability: 'not_set' };
}

export async function passwordChangeAvailability(em: Em, email: string | null): Promise<PasswordChangeAvailability> {
  return (await passwordOf(em, email)).availability;
}

function changedMail(input: { email: string; orgName: string; at: Date; ip: string | undefined; resetUrl: string }): { subject: string; text: string; html: string } {
  const when = `${input.at.toISOString().slice(0, 10)} at ${utcTime(input.at)} UTC`;
  const what = `The password for ${input.email} was changed on ${when}, from a device signed in to ${input.orgName}${input.ip ? ` (IP address ${input.ip})` : ''}. Every other device signed in with it was signed out.`;
  const text = `Hello,

${what}

If this was you, there is nothing to do.
If this was not you, reset your password now: ${input.resetUrl}
and tell an administrator of your organization.
`;
  const html = `<!doctype html><html lang="en"><body>
<p>Hello,</p>
<p>${escapeHtml(what)}</p>
<p>If this was you, there is nothing to do.<br>If this was not you, reset your password now: <a href="${escapeHtml(input.resetUrl)}">${escapeHtml(input.resetUrl)}</a><br>and tell an administrator of your organization.</p>
</body></html>`;
  return { subject: 'Your Gatehouse password was changed', text, html };
}

/** Records a refused attempt (and the lock it started) in the session's org. */
async function auditRefusal(em: Em, who: PasswordChanger, reason: 'wrong_password' | 'locked', lockedUntil: Date | null): Promise<void> {
  const target = { type: 'user', id: who.userId, label: who.userName };
  await recordAuditSql(em, who.scope, { action: 'auth.password_change_failed', target, details: { reason } });
  if (lockedUntil) await recordAuditSql(em, who.scope, { action: 'auth.locked', target, details: { lockedUntil: lockedUntil.toISOString() } });
}

export async function changePassword(em: Em, deps: PasswordChangeDeps, who: PasswordChanger, input: PasswordChangeInput, now: Date): Promise<{ endedSessions: number }> {
  const found = await passwordOf(em, who.email);
  if (found.availability !== 'available') throw new NoPasswordError(found.availability);
  const { email, profiles, credential } = found;
  if (credential.lockedUntil && credential.lockedUntil > now) {
    await auditRefusal(em, who, 'locked', null);
    throw new PasswordLockedError(credential.lockedUntil, now);
  }

  // Every problem at once, so a person fixes the form in one go; only the current password is a secret check.
  const problems = newPasswordProblems(profiles, input.newPassword, email, 'newPassword');
  if (normalizePassword(input.newPassword) === normalizePassword(input.currentPassword)) {
    problems.push({ field: 'newPassword', reason: 'must differ from your current password' });
  }
  if (input.confirmPassword !== undefined && input.confirmPassword !== input.newPassword) {
    problems.push({ field: 'confirmPassword', reason: 'does not match the new password' });
  }
  const verified = await verifyPassword(input.currentPassword, credential.passwordHash, deps.scrypt);
  if (!verified.ok) {
    const { lockedUntil } = await recordFailedAttempt(em, credential.id, deps.lockout, now);
    await auditRefusal(em, who, 'wrong_password', lockedUntil);
    if (!lockedUntil) throw new ValidationError([{ field: 'currentPassword', reason: 'is incorrect' }, ...problems]);
    await revokeSession(em, who.scope, who.sessionId, now, 'session.revoked', 'password_locked');
    throw new SignedOutByLockError(lockedUntil, now, problems);
  }
  if (problems.length) throw new ValidationError(problems);

  const passwordHash = await hashPassword(input.newPassword, deps.scrypt);
  return em.transactional(async (tx) => {
    const current = await findCredential(tx, email, { lock: true });
    if (current?.lockedUntil && current.lockedUntil > now) throw new PasswordLockedError(current.lockedUntil, now);
    // Reset or changed on another device since it was checked: what was proven is no longer the password.
    if (current?.passwordHash !== credential.passwordHash) throw ValidationError.field('currentPassword', 'was changed meanwhile on another device: enter the password you use now');
    await storePasswordHash(tx, email, passwordHash, now);
    const ended = await endOtherSessions(tx, email, who.sessionId, now);
    await recordAuditSql(tx, who.scope, {
      action: 'auth.password_changed',
      target: { type: 'user', id: who.userId, label: who.userName },
      details: { sessionId: who.sessionId, endedSessions: ended.length },
    });
    const mail = changedMail({ email, orgName: who.orgName, at: now, ip: who.scope.ip, resetUrl: `${deps.publicUrl}/auth/password/reset` });
    await enqueueMail(tx, { orgId: who.scope.orgId, to: email, ...mail, kind: 'password_changed', related: { userId: who.userId } }, now);
    return { endedSessions: ended.length };
  });
}
