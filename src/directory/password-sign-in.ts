import type { Em } from '../db/orm.ts';
import { profilesByEmail } from './profiles.ts';
import type { UserState } from '../db/entities/index.ts';
import { recordAuditSql } from './audit.ts';
import {
  burnVerify,
  findCredential,
  hashPassword,
  normalizeEmail,
  recordFailedAttempt,
  recordSuccessfulAttempt,
  verifyPassword,
  type LockoutPolicy,
  type ScryptParams,
} from './credentials.ts';
import { AuthenticationError, DomainError, PermissionError } from './errors.ts';
import { resolveOrgSettings } from './org-settings.ts';
import type { RequestOrigin, Scope } from './scope.ts';
import { createChallenge, type MfaPending } from './mfa-challenges.ts';
import { startSession, type SessionView } from './sessions.ts';

/**
 * Password sign-in. Unknown email, wrong password, locked account and a user
 * who may not sign in all get one answer — same status, body and (because
 * scrypt always runs) similar timing — so the form cannot tell anyone who has
 * an account. Only after the password is proven does the person learn which
 * orgs they may choose or that their org uses SSO.
 */

export const SIGN_IN_FAILED =
  'The email or password is incorrect, or the account is locked for a while after too many attempts. Try again later, or reset your password.';

export class SignInFailedError extends AuthenticationError {
  constructor() {
    super(SIGN_IN_FAILED);
  }
}

/** The org signs in through its IdP only; `loginUrl` is where to go (relative to PUBLIC_URL). */
export class SsoRequiredError extends PermissionError {
  constructor(orgSlug: string) {
    super(`This organization signs in with single sign-on. Continue at /saml/${orgSlug}/login`, { reason: 'sso_required', org: orgSlug, loginUrl: `/saml/${orgSlug}/login` });
  }
}

/**
 * The password is right but the person may not sign in: disabled or deleted
 * by an admin, or invited and not yet registered in that org. Said only after
 * the password was proven, so it tells nobody else whether an account exists.
 */
export class AccountNotActiveError extends PermissionError {
  constructor(reason: 'account_disabled' | 'invitation_pending', orgs: string[]) {
    const message =
      reason === 'account_disabled'
        ? 'Your account is disabled. Ask an administrator of your organization to reactivate it.'
        : 'You have been invited but have not accepted yet: open the link in your invitation email, or ask your administrator to send a new one if it expired.';
    super(message, { reason, orgs });
  }
}

/** One org a person may choose at sign-in: the slug to send back, the name to show. */
export interface OrgChoice {
  slug: string;
  name: string;
}

/**
 * The person belongs to several orgs: they must say which (400, after the
 * password was verified). `orgs` are the slugs to send back as `org`;
 * `organizations` adds each one's name, which is what a person recognises.
 */
export class OrgRequiredError extends DomainError {
  readonly code = 'org_required';
  readonly choices: OrgChoice[];
  constructor(choices: OrgChoice[]) {
    super('Choose your organization', { orgs: choices.map((c) => c.slug), organizations: choices });
    this.choices = choices;
  }
}

export interface PasswordSignInDeps {
  scrypt: ScryptParams;
  lockout: LockoutPolicy;
  sessionTtlMs: number;
}

export interface PasswordSignIn {
  token: string;
  session: SessionView;
  userId: string;
  org: { id: string; slug: string };
  mfaRequired?: false;
}

interface Candidate {
  userId: string;
  userName: string;
  state: UserState;
  orgId: string;
  orgSlug: string;
  orgName: string;
  ssoEnforced: boolean;
  requireTwoFactor: boolean;
  sessionCap: number;
}

async function candidatesFor(em: Em, email: string): Promise<Candidate[]> {
  return (await profilesByEmail(em, email)).map(({ settings, ...p }) => ({
    ...p,
    ssoEnforced: settings.ssoEnforced,
    requireTwoFactor: settings.requireTwoFactor,
    sessionCap: settings.sessionCap,
  }));
}

function scopeOf(candidate: Candidate, origin: RequestOrigin, email: string): Scope {
  return { ...origin, orgId: candidate.orgId, orgSlug: candidate.orgSlug, actor: { type: 'user', id: candidate.userId, label: email } };
}

/** `auth.login_failed` (and `auth.locked`) in each org where the email is a user: each admin sees attempts on their people. */
async function auditFailure(em: Em, candidates: Candidate[], origin: RequestOrigin, email: string, reason: string, lockedUntil: Date | null): Promise<void> {
  for (const candidate of candidates) {
    const scope = scopeOf(candidate, origin, email);
    const target = { type: 'user', id: candidate.userId, label: candidate.userName };
    await recordAuditSql(em, scope, { action: 'auth.login_failed', target, details: { method: 'password', reason } });
    if (lockedUntil) await recordAuditSql(em, scope, { action: 'auth.locked', target, details: { lockedUntil: lockedUntil.toISOString() } });
  }
}

export async function signInWithPassword(
  em: Em,
  deps: PasswordSignInDeps,
  input: { email: string; password: string; org?: string | undefined },
  origin: RequestOrigin,
  now: Date,
): Promise<PasswordSignIn | MfaPending> {
  const email = normalizeEmail(input.email);
  if (input.org) {
    // About the org, not the person: safe to say before the password is checked.
    const rows = await em.execute('select settings from organizations where slug = ?', [input.org]);
    const stored = rows[0]?.settings;
    if (stored !== undefined && resolveOrgSettings(stored).ssoEnforced) {
      await burnVerify(input.password, deps.scrypt);
      throw new SsoRequiredError(input.org);
    }
  }

  const credential = await findCredential(em, email);
  if (!credential) {
    await burnVerify(input.password, deps.scrypt);
    throw new SignInFailedError();
  }
  const verified = await verifyPassword(input.password, credential.passwordHash, deps.scrypt);
  const candidates = await candidatesFor(em, email);
  if (credential.lockedUntil && credential.lockedUntil > now) {
    await auditFailure(em, candidates, origin, email, 'locked', null);
    throw new SignInFailedError();
  }
  if (!verified.ok) {
    const { lockedUntil } = await recordFailedAttempt(em, credential.id, deps.lockout, now);
    await auditFailure(em, candidates, origin, email, 'wrong_password', lockedUntil);
    throw new SignInFailedError();
  }

  const inOrg = input.org ? candidates.filter((c) => c.orgSlug === input.org) : candidates;
  const active = inOrg.filter((c) => c.state === 'active');
  if (!active.length) {
    await auditFailure(em, inOrg, origin, email, 'not_active', null);
    if (!inOrg.length) throw new SignInFailedError();
    const invited = inOrg.some((c) => c.state === 'invited');
    throw new AccountNotActiveError(invited ? 'invitation_pending' : 'account_disabled', [...new Set(inOrg.map((c) => c.orgSlug))]);
  }
  if (active.length > 1) {
    const bySlug = new Map(active.map((c) => [c.orgSlug, { slug: c.orgSlug, name: c.orgName }]));
    throw new OrgRequiredError([...bySlug.values()]);
  }
  const chosen = active[0]!;
  if (chosen.ssoEnforced) throw new SsoRequiredError(chosen.orgSlug);

  const upgradedHash = verified.needsRehash ? await hashPassword(input.password, deps.scrypt) : undefined;
  return em.transactional(async (tx) => {
    // A wrong guess from elsewhere may have locked the account since we read it.
    const current = await findCredential(tx, email, { lock: true });
    if (!current || (current.lockedUntil && current.lockedUntil > now)) throw new SignInFailedError();
    await recordSuccessfulAttempt(tx, current.id, now, current.passwordHash === credential.passwordHash ? upgradedHash : undefined);
    // The org requires a second factor: a challenge instead of a session (see mfa-challenges.ts).
    if (chosen.requireTwoFactor) return createChallenge(tx, { email, orgId: chosen.orgId, orgSlug: chosen.orgSlug, userId: chosen.userId }, now);
    const scope = scopeOf(chosen, origin, email);
    const started = await startSession(tx, scope, { userId: chosen.userId, method: 'password', now, policy: { maxPerUser: chosen.sessionCap, ttlMs: deps.sessionTtlMs } });
    await tx.execute('update users set last_active_at = ? where id = ? and org_id = ?', [now, chosen.userId, chosen.orgId]);
    await recordAuditSql(tx, scope, {
      action: 'auth.login',
      target: { type: 'user', id: chosen.userId, label: chosen.userName },
      details: { method: 'password', sessionId: started.session.id, endedSessions: started.ended, rehashed: Boolean(upgradedHash) },
    });
    return { token: started.token, session: started.session, userId: chosen.userId, org: { id: chosen.orgId, slug: chosen.orgSlug } };
  });
}
