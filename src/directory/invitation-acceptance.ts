import type { Em } from '../db/orm.ts';
import { sha256Hex } from '../lib/tokens.ts';
import { jsonEqual } from '../lib/equal.ts';
import { uuidv7 } from '../lib/ids.ts';
import { recordAuditSql } from './audit.ts';
import { findCredential, hashPassword, normalizeEmail, recordFailedAttempt, recordSuccessfulAttempt, verifyPassword, type LockoutPolicy, type ScryptParams } from './credentials.ts';
import { DomainError, ValidationError, type FieldProblem } from './errors.ts';
import { activateInvitee } from './invitee-activation.ts';
import { resolveOrgSettings, type PasswordPolicy } from './org-settings.ts';
import { checkPassword, MAX_PASSWORD_LENGTH } from './password-policy.ts';
import { passwordPolicyFor } from './password-rules.ts';
import { isPhoneNumber } from './profile-formats.ts';
import { createChallenge, type MfaPending } from './mfa-challenges.ts';
import { SsoRequiredError } from './password-sign-in.ts';
import type { RequestOrigin, Scope } from './scope.ts';
import { startSession, type SessionView } from './sessions.ts';
import { transaction } from './transaction.ts';
import { toDate } from './user-record.ts';
import { PHONE_MAX_LENGTH } from './user-validation.ts';

/**
 * Registration from an invitation link: the token proves control of the
 * mailbox. The person gives their name, mobile number and a password, accepts
 * the licence terms, and in one transaction becomes `active` (a seat is taken),
 * gets the planned groups and a session.
 *
 * One credential per email across orgs (DESIGN "Credential"): when the address
 * already has a password (from another org), registration asks for *that*
 * password instead of silently replacing it — replacing it would let whoever
 * holds an invitation link take over the person's other accounts' password.
 */

export interface AcceptanceDeps {
  scrypt: ScryptParams;
  lockout: LockoutPolicy;
  sessionTtlMs: number;
  eulaVersion: string;
}

export type GoneReason = 'unknown' | 'expired' | 'revoked' | 'accepted' | 'replaced' | 'unavailable';

function goneMessage(reason: GoneReason): string {
  if (reason === 'accepted') return 'This invitation was already used to create an account. Sign in instead.';
  if (reason === 'replaced') {
    return 'This invitation link was replaced by a newer one: use the link in your most recent invitation email. Ask your administrator to send you a new invitation if you cannot find it.';
  }
  return 'This invitation link is no longer valid: it has expired, was replaced by a newer one, or was withdrawn. Ask your administrator to send you a new invitation.';
}

/** The link cannot be used (any more); the page tells the person to ask their admin for a new invitation. */
export class InvitationGoneError extends DomainError {
  readonly code = 'invitation_unavailable';
  readonly reason: GoneReason;
  constructor(reason: GoneReason) {
    super(goneMessage(reason), { reason });
    this.reason = reason;
  }
}

export interface OpenInvitation {
  id: string;
  orgId: string;
  orgSlug: string;
  orgName: string;
  userId: string;
  email: string;
  givenName: string | null;
  familyName: string | null;
  phone: string | null;
  expiresAt: Date;
  ssoEnforced: boolean;
  requireTwoFactor: boolean;
  passwordPolicy: PasswordPolicy;
  sessionCap: number;
  /** The address already has a password (another org): registration asks for it. */
  hasCredential: boolean;
}

export interface RegistrationForm {
  givenName: string;
  familyName: string;
  phone: string;
  password: string;
  confirmPassword: string;
  eulaAccepted: boolean;
}

const TOKEN_PREFIX = 'gh_invite_';

/** The invitation a link opens, or why it cannot be used. */
export async function openInvitation(em: Em, token: string, now: Date, options: { lock?: boolean } = {}): Promise<OpenInvitation> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) throw new InvitationGoneError('unknown');
  const rows = await em.execute(
    `select i.id, i.org_id, o.slug, o.name as org_name, o.settings, i.user_id, i.email, i.expires_at, i.accepted_at, i.revoked_at,
       u.state, u.given_name, u.family_name, u.phone, exists (select 1 from credentials c where c.email = i.email) as has_credential
     from invitations i join organizations o on o.id = i.org_id join users u on u.id = i.user_id and u.org_id = i.org_id
     where i.token_hash = ?${options.lock ? ' for update of i, u' : ''}`,
    [sha256Hex(token)],
  );
  const row = rows[0];
  if (!row) {
    // A link a resend replaced is known by its hash: gone (410), where a link never issued is unknown (404).
    const replaced = await em.execute('select 1 from invitation_replaced_tokens where token_hash = ?', [sha256Hex(token)]);
    throw new InvitationGoneError(replaced.length ? 'replaced' : 'unknown');
  }
  if (row.accepted_at) throw new InvitationGoneError('accepted');
  if (row.revoked_at) throw new InvitationGoneError('revoked');
  if (toDate(row.expires_at).getTime() <= now.getTime()) throw new InvitationGoneError('expired');
  if (row.state !== 'invited') throw new InvitationGoneError('unavailable');
  const settings = resolveOrgSettings(row.settings);
  const email = normalizeEmail(String(row.email));
  return {
    id: String(row.id),
    orgId: String(row.org_id),
    orgSlug: String(row.slug),
    orgName: String(row.org_name),
    userId: String(row.user_id),
    email,
    givenName: (row.given_name as string | null) ?? null,
    familyName: (row.family_name as string | null) ?? null,
    phone: (row.phone as string | null) ?? null,
    expiresAt: toDate(row.expires_at),
    ssoEnforced: settings.ssoEnforced,
    requireTwoFactor: settings.requireTwoFactor,
    // The password set here is the address's one password for every org it has a profile in (credentials are per
    // address): the strictest of their policies, as changing it later is held to (password-rules.ts).
    passwordPolicy: await passwordPolicyFor(em, email),
    sessionCap: settings.sessionCap,
    hasCredential: row.has_credential === true,
  };
}


/** Every problem with the form at once, each on its field. Pure. */
export function checkRegistration(form: RegistrationForm, invitation: Pick<OpenInvitation, 'email' | 'passwordPolicy' | 'hasCredential'>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const text = (field: 'givenName' | 'familyName', label: string) => {
    const value = form[field].trim();
    if (!value) problems.push({ field, reason: `Enter your ${label}` });
    else if (value.length > 200) problems.push({ field, reason: `Your ${label} must be at most 200 characters` });
  };
  text('givenName', 'first name');
  text('familyName', 'last name');
  // The admin API's rule (profile-formats.ts) and the profile's length: a number an admin gave the invitee comes back through this form as it is.
  const phone = form.phone.trim();
  if (phone.length > PHONE_MAX_LENGTH) {
    problems.push({ field: 'phone', reason: `Your mobile number must be at most ${PHONE_MAX_LENGTH} characters` });
  } else if (phone && !isPhoneNumber(phone)) {
    problems.push({ field: 'phone', reason: 'Enter a mobile number with its country code, such as +44 7700 900123' });
  }
  if (invitation.hasCredential) {
    if (!form.password) problems.push({ field: 'password', reason: 'Enter the password you already use with this email address' });
  } else {
    problems.push(...checkPassword(form.password, invitation.passwordPolicy, invitation.email).map((p) => ({ field: 'password', reason: `The password ${p.reason}` })));
    if (form.confirmPassword !== form.password) problems.push({ field: 'confirmPassword', reason: 'The two passwords do not match' });
  }
  if (form.password.length > MAX_PASSWORD_LENGTH * 4) problems.push({ field: 'password', reason: 'The password is too long' });
  if (!form.eulaAccepted) problems.push({ field: 'eula', reason: 'Accept the terms of use to create your account' });
  return problems;
}

export interface Registered {
  token: string;
  session: SessionView;
  userId: string;
  org: { id: string; slug: string };
  mfaRequired?: false;
}

/** Proves the existing password (counts failures and honours the lock, as sign-in does). */
async function proveExistingPassword(em: Em, deps: AcceptanceDeps, email: string, password: string, now: Date): Promise<string> {
  const credential = await findCredential(em, email);
  const wrong = () => ValidationError.field('password', 'This is not the password you already use with this email address. If you forgot it, reset it first.');
  if (!credential) throw ValidationError.field('password', 'Choose a password');
  if (credential.lockedUntil && credential.lockedUntil > now) {
    throw ValidationError.field('password', 'Too many wrong passwords: this account is locked for a while. Try again later.');
  }
  const verified = await verifyPassword(password, credential.passwordHash, deps.scrypt);
  if (!verified.ok) {
    await recordFailedAttempt(em, credential.id, deps.lockout, now);
    throw wrong();
  }
  return credential.id;
}

export async function acceptInvitation(em: Em, deps: AcceptanceDeps, token: string, form: RegistrationForm, origin: RequestOrigin, now: Date): Promise<Registered | MfaPending> {
  const invitation = await openInvitation(em, token, now);
  if (invitation.ssoEnforced) throw new SsoRequiredError(invitation.orgSlug);
  const problems = checkRegistration(form, invitation);
  if (problems.length) throw new ValidationError(problems);
  const existingId = invitation.hasCredential ? await proveExistingPassword(em, deps, invitation.email, form.password, now) : null;
  const passwordHash = existingId ? null : await hashPassword(form.password, deps.scrypt);

  const scope: Scope = { ...origin, orgId: invitation.orgId, orgSlug: invitation.orgSlug, actor: { type: 'user', id: invitation.userId, label: invitation.email } };
  return transaction(em, scope, async (tx) => {
    // Locks the invitation and the profile: a double submit or a concurrent revoke waits, then sees the outcome.
    const current = await openInvitation(tx, token, now, { lock: true });
    const activated = await activateInvitee(tx, scope, { id: current.userId, label: current.email }, now, 'invitation', current.id);
    if (passwordHash) {
      const created = await tx.execute(
        `insert into credentials (id, created_at, updated_at, email, password_hash, password_changed_at, failed_attempts, locked_until)
         values (?, ?, ?, ?, ?, ?, 0, null) on conflict (email) do nothing returning id`,
        [uuidv7(now.getTime()), now, now, current.email, passwordHash, now],
      );
      // Another org's registration set a password for this address in the meantime: never overwrite it.
      if (!created.length) throw ValidationError.field('password', 'A password was just set for this email address elsewhere. Reload the page and enter that password.');
    } else {
      await recordSuccessfulAttempt(tx, existingId!, now);
    }
    const givenName = form.givenName.trim();
    const familyName = form.familyName.trim();
    const phone = form.phone.trim() || null;
    const phoneNumbers = phone ? [{ value: phone, type: 'mobile', primary: true }] : [];
    const [before] = await tx.execute('select given_name, family_name, display_name, phone_numbers from users where id = ? and org_id = ?', [current.userId, current.orgId]);
    await tx.execute(
      `update users set given_name = ?, family_name = ?, display_name = ?, phone = ?, phone_numbers = ?::jsonb,
         eula_version = ?, eula_accepted_at = ?, updated_at = ?
       where id = ? and org_id = ?`,
      [givenName, familyName, `${givenName} ${familyName}`, phone, JSON.stringify(phoneNumbers),
        deps.eulaVersion, now, now, current.userId, current.orgId],
    );
    // The person's own name and phone replace what the inviter typed: a user.updated, so whoever follows the
    // feed learns the new name (the acceptance itself renders no field changes).
    const changes = profileChanges(before ?? {}, { given_name: givenName, family_name: familyName, display_name: `${givenName} ${familyName}` }, phoneNumbers);
    if (Object.keys(changes).length) {
      await recordAuditSql(tx, scope, { action: 'user.updated', target: { type: 'user', id: current.userId, label: current.email }, details: { changes, via: 'registration' } });
    }
    const memberships = activated.groups;
    if (current.requireTwoFactor) {
      // The org requires a second factor: registration ends in enrolment, and the session starts when it is done.
      const pending = await createChallenge(tx, { email: current.email, orgId: current.orgId, orgSlug: current.orgSlug, userId: current.userId }, now);
      await recordAuditSql(tx, scope, {
        action: 'invitation.accepted',
        target: { type: 'user', id: current.userId, label: current.email },
        details: { invitationId: current.id, groups: memberships, eulaVersion: deps.eulaVersion, credential: passwordHash ? 'created' : 'existing', mfa: pending.purpose },
      });
      return pending;
    }
    const started = await startSession(tx, scope, { userId: current.userId, method: 'invitation', now, policy: { maxPerUser: current.sessionCap, ttlMs: deps.sessionTtlMs } });
    // One event for the acceptance: activation, EULA, credential and the first session (each planned membership has its own).
    await recordAuditSql(tx, scope, {
      action: 'invitation.accepted',
      target: { type: 'user', id: current.userId, label: current.email },
      details: {
        invitationId: current.id,
        groups: memberships,
        eulaVersion: deps.eulaVersion,
        credential: passwordHash ? 'created' : 'existing',
        sessionId: started.session.id,
      },
    });
    return { token: started.token, session: started.session, userId: current.userId, org: { id: current.orgId, slug: current.orgSlug } };
  });
}

const PROFILE_FIELDS = { given_name: 'givenName', family_name: 'familyName', display_name: 'displayName' } as const;

/**
 * `{field: {from, to}}` (as saveUser audits them) for the registration form's fields that differ from the profile.
 * The phone is the mobile of `phoneNumbers`: its change is that list's, as an admin's edit of `phone` records it.
 */
function profileChanges(before: Record<string, unknown>, after: Record<keyof typeof PROFILE_FIELDS, string>, phoneNumbers: unknown[]): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [column, field] of Object.entries(PROFILE_FIELDS) as Array<[keyof typeof PROFILE_FIELDS, string]>) {
    const from = (before[column] as string | null | undefined) ?? null;
    if (from !== after[column]) changes[field] = { from, to: after[column] };
  }
  const phonesBefore = Array.isArray(before.phone_numbers) ? before.phone_numbers : [];
  if (!jsonEqual(phonesBefore, phoneNumbers)) changes.phoneNumbers = { from: phonesBefore, to: phoneNumbers };
  return changes;
}
