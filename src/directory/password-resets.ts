import type { Em } from '../db/orm.ts';
import { escapeHtml } from '../lib/html.ts';
import { isUuid, uuidv7 } from '../lib/ids.ts';
import { generateToken, sha256Hex } from '../lib/tokens.ts';
import { recordAuditSql } from './audit.ts';
import { hashPassword, normalizeEmail, storePasswordHash, type ScryptParams } from './credentials.ts';
import { DomainError, NotFoundError, PermissionError, RateLimitedError, TransitionError, ValidationError } from './errors.ts';
import { assertMayChangeAccount } from './org-admin-guard.ts';
import { stateInWords } from './lifecycle.ts';
import type { UserState } from '../db/entities/index.ts';
import { resolveOrgSettings } from './org-settings.ts';
import { enqueueMail } from './outbox.ts';
import { canUsePassword, newPasswordProblems, passwordProfiles } from './password-rules.ts';
import { endOtherSessions } from './sessions.ts';
import type { RequestOrigin, Scope } from './scope.ts';

/**
 * Password reset by mailed link: a random one-time token (only its SHA-256 is
 * stored) that expires after `ttlMs`. Issuing one makes earlier links stop
 * working; using one sets the password, unlocks the account and ends the
 * person's other sessions. Self-service requests never reveal whether the
 * address is known: the caller answers 202 either way.
 */

export interface ResetDeps {
  publicUrl: string;
  ttlMs: number;
  scrypt: ScryptParams;
}

/** The link is unknown, used, superseded or expired; the page offers a new one. */
export class ResetLinkInvalidError extends DomainError {
  readonly code = 'invalid_reset_link';
  constructor() {
    super('This password reset link has expired or was already used. Ask for a new one.');
  }
}

/** One mail per address per minute at most: the form must not become a way to flood someone's inbox. */
const MIN_INTERVAL_MS = 60_000;

function resetMail(link: string, email: string, ttlMs: number, sentBy: string | null): { subject: string; text: string; html: string } {
  const minutes = Math.round(ttlMs / 60_000);
  const validity = minutes % 60 === 0 ? `${minutes / 60} hour${minutes === 60 ? '' : 's'}` : `${minutes} minutes`;
  const intro = sentBy
    ? `${sentBy} sent you a link to set the password for ${email}.`
    : `Someone (hopefully you) asked to reset the password for ${email}.`;
  const text = `Hello,

${intro}
Choose a new password here (the link works once, for ${validity}):

${link}

If you did not expect this message, ignore it: your password stays as it is.
`;
  const html = `<!doctype html><html lang="en"><body>
<p>Hello,</p>
<p>${escapeHtml(intro)}<br>Choose a new password here (the link works once, for ${validity}):</p>
<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>
<p>If you did not expect this message, ignore it: your password stays as it is.</p>
</body></html>`;
  return { subject: sentBy ? 'Set your password' : 'Reset your password', text, html };
}

async function issue(tx: Em, deps: ResetDeps, email: string, requestedBy: string, sentBy: string | null, now: Date, orgId: string | null, userId: string | null): Promise<string> {
  const token = generateToken('reset');
  // Only the newest link works.
  await tx.execute('update password_resets set expires_at = ?, updated_at = ? where email = ? and used_at is null and expires_at > ?', [now, now, email, now]);
  const id = uuidv7(now.getTime());
  await tx.execute(
    `insert into password_resets (id, created_at, updated_at, email, token_hash, expires_at, used_at, requested_by) values (?, ?, ?, ?, ?, ?, null, ?)`,
    [id, now, now, email, sha256Hex(token), new Date(now.getTime() + deps.ttlMs), requestedBy.slice(0, 320)],
  );
  const mail = resetMail(`${deps.publicUrl}/auth/password/reset/${token}`, email, deps.ttlMs, sentBy);
  await enqueueMail(tx, { orgId, to: email, ...mail, kind: 'password_reset', related: { passwordResetId: id, ...(userId ? { userId } : {}) } }, now);
  return id;
}

/**
 * Seconds until the address may get another link (its last one is under a minute old), or 0.
 * Holds a lock on the address for the transaction, so two requests at once cannot both pass.
 */
async function waitBeforeNextLink(tx: Em, email: string, now: Date): Promise<number> {
  await tx.execute('select pg_advisory_xact_lock(hashtext(?))', [`password_reset:${email}`]);
  const recent = await tx.execute('select created_at from password_resets where email = ? and created_at > ? order by created_at desc limit 1', [email, new Date(now.getTime() - MIN_INTERVAL_MS)]);
  if (!recent[0]) return 0;
  return Math.max(1, Math.ceil((new Date(String(recent[0].created_at)).getTime() + MIN_INTERVAL_MS - now.getTime()) / 1000));
}

/**
 * Self-service: queues a reset mail if the address belongs to someone who may
 * use a password, at most once a minute. Returns whether a mail was queued —
 * for logs and tests only, never for the response.
 */
export async function requestPasswordReset(em: Em, deps: ResetDeps, rawEmail: string, origin: RequestOrigin, now: Date): Promise<boolean> {
  const email = normalizeEmail(rawEmail);
  const eligible = (await passwordProfiles(em, email)).filter(canUsePassword);
  if (!eligible.length) return false;
  return em.transactional(async (tx) => {
    if (await waitBeforeNextLink(tx, email, now)) return false;
    const id = await issue(tx, deps, email, 'self', null, now, eligible.length === 1 ? eligible[0]!.orgId : null, null);
    for (const profile of eligible) {
      const scope: Scope = { ...origin, orgId: profile.orgId, orgSlug: profile.orgSlug, actor: { type: 'user', id: profile.userId, label: email } };
      await recordAuditSql(tx, scope, { action: 'auth.password_reset_requested', target: { type: 'user', id: profile.userId, label: profile.userName }, details: { resetId: id, by: 'self' } });
    }
    return true;
  });
}

/** An admin sends a user of their org a link to set a password (POST /api/orgs/:org/users/:id/password-reset). */
export async function sendPasswordReset(em: Em, deps: ResetDeps, scope: Scope, userId: string, now: Date): Promise<void> {
  if (!isUuid(userId)) throw new NotFoundError('User', userId);
  await em.transactional(async (tx) => {
    const rows = await tx.execute(`select u.id, u.user_name, u.state, u.email, u.org_role, o.name, o.settings from users u join organizations o on o.id = u.org_id where u.id = ? and u.org_id = ?`, [userId, scope.orgId]);
    const row = rows[0];
    if (!row) throw new NotFoundError('User', userId);
    assertMayChangeAccount(scope, { orgRole: row.org_role });
    // A deleted user is still listed (and restorable) in the admin API: 409 with its state, as for a disabled one.
    if (row.state !== 'active') throw new TransitionError(`Cannot send a password reset to a user who is ${stateInWords(row.state as UserState)}${row.state === 'deleted' ? ': restore them first' : ''}`, { state: row.state });
    if (!row.email) throw ValidationError.field('email', 'the user has no email address to send the link to');
    const settings = resolveOrgSettings(row.settings);
    if (settings.ssoEnforced) throw new PermissionError('This organization enforces single sign-on: its people do not use passwords', { reason: 'sso_enforced' });
    const email = normalizeEmail(String(row.email));
    // The same one mail per address per minute as the self-service form, whoever asks: any org can give a
    // profile any address, and each link replaces the person's last one.
    const wait = await waitBeforeNextLink(tx, email, now);
    if (wait) throw new RateLimitedError(wait);
    const id = await issue(tx, deps, email, scope.actor.label, `An administrator of ${String(row.name)}`, now, scope.orgId, userId);
    await recordAuditSql(tx, scope, { action: 'auth.password_reset_requested', target: { type: 'user', id: userId, label: String(row.user_name) }, details: { resetId: id, by: 'admin' } });
  });
}

/** The email a valid link is for (GET of the form), or null. */
export async function findValidReset(em: Em, token: string, now: Date): Promise<{ email: string } | null> {
  if (!token.startsWith('gh_reset_') || token.length > 200) return null;
  const rows = await em.execute('select email from password_resets where token_hash = ? and used_at is null and expires_at > ?', [sha256Hex(token), now]);
  return rows[0] ? { email: String(rows[0].email) } : null;
}

/**
 * Uses a link: checks the new password against the strictest policy of the
 * person's orgs, stores it, consumes the token (once: a conditional update) and
 * ends every session of the person except `keepSessionId`.
 */
export async function completePasswordReset(
  em: Em,
  deps: ResetDeps,
  input: { token: string; password: string; confirmPassword?: string | undefined; keepSessionId?: string | undefined },
  origin: RequestOrigin,
  now: Date,
): Promise<{ email: string; endedSessions: number }> {
  const found = await findValidReset(em, input.token, now);
  if (!found) throw new ResetLinkInvalidError();
  const profiles = await passwordProfiles(em, found.email);
  // Every problem at once, so the person fixes the form in one go.
  const problems = newPasswordProblems(profiles, input.password, found.email);
  if (input.confirmPassword !== undefined && input.confirmPassword !== input.password) {
    problems.push({ field: 'confirmPassword', reason: 'does not match the new password' });
  }
  if (problems.length) throw new ValidationError(problems);
  const passwordHash = await hashPassword(input.password, deps.scrypt);
  return em.transactional(async (tx) => {
    const used = await tx.execute(
      'update password_resets set used_at = ?, updated_at = ? where token_hash = ? and used_at is null and expires_at > ? returning id, email',
      [now, now, sha256Hex(input.token), now],
    );
    if (!used[0]) throw new ResetLinkInvalidError();
    await storePasswordHash(tx, found.email, passwordHash, now);
    const ended = await endOtherSessions(tx, found.email, input.keepSessionId, now);
    for (const profile of profiles) {
      const scope: Scope = { ...origin, orgId: profile.orgId, orgSlug: profile.orgSlug, actor: { type: 'user', id: profile.userId, label: found.email } };
      await recordAuditSql(tx, scope, {
        action: 'auth.password_reset',
        target: { type: 'user', id: profile.userId, label: profile.userName },
        details: { resetId: String(used[0].id), endedSessions: ended.length },
      });
    }
    return { email: found.email, endedSessions: ended.length };
  });
}
