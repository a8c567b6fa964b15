import type { Em } from '../db/orm.ts';
import type { MfaChallengePurpose, MfaCodeChannel, SecondFactorKind } from '../db/entities/index.ts';
import { uuidv7 } from '../lib/ids.ts';
import type { SmsSender } from '../lib/sms.ts';
import { generateToken, sha256Hex } from '../lib/tokens.ts';
import { generateTotpSecret, otpauthUri } from '../lib/totp.ts';
import { recordAuditSql } from './audit.ts';
import { AuthenticationError, DomainError, RateLimitedError, ValidationError } from './errors.ts';
import { resolveOrgSettings } from './org-settings.ts';
import { enqueueMail } from './outbox.ts';
import type { RequestOrigin, Scope } from './scope.ts';
import {
  addPendingFactor,
  confirmedFactors,
  confirmFactor,
  findFactor,
  generateOneTimeCode,
  issueRecoveryCodes,
  markFactorUsed,
  oneTimeCodeHash,
  oneTimeCodeMatches,
  useRecoveryCode,
  useTotp,
  verifyMethods,
  type VerifyMethod,
} from './second-factors.ts';
import { startSession, type SessionView } from './sessions.ts';
import { toDate } from './user-record.ts';

/**
 * The second step of a password sign-in in an org that requires two factors.
 * A proven password yields a challenge — a random token, only its SHA-256
 * stored — instead of a session. The challenge either enrols a first factor
 * (`enroll`) or checks one (`verify`); the right code ends it with a session
 * made exactly as password sign-in makes one. Five wrong codes end it: the
 * person signs in again (and the per-IP limiter still applies).
 */

export const MAX_ATTEMPTS = 5;
/** Wrong codes one person may send, over all their challenges, within ACCOUNT_WINDOW_MS. */
export const ACCOUNT_MAX_FAILURES = 10;
export const ACCOUNT_WINDOW_MS = 15 * 60_000;

/**
 * Too many wrong codes for one person, whichever sign-ins they came through: entering the
 * password again gives a new challenge of 5 attempts, so without this someone holding the
 * password could keep guessing a 6-digit code from many addresses.
 */
export class TooManyWrongCodesError extends RateLimitedError {
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds);
    this.message = `Too many wrong codes for this account. Wait ${Math.ceil(retryAfterSeconds / 60)} minute${retryAfterSeconds > 60 ? 's' : ''}, then sign in again.`;
  }
}

/** Refuses the second step while the person's wrong codes in the window reach the cap; says when it opens again. */
async function assertNotHeld(tx: Em, email: string, now: Date): Promise<void> {
  const since = new Date(now.getTime() - ACCOUNT_WINDOW_MS);
  const rows = await tx.execute(
    `select coalesce(sum(attempts), 0)::int as failures, min(updated_at) filter (where attempts > 0) as oldest
     from mfa_challenges where email = ? and updated_at > ? and attempts > 0`,
    [email, since],
  );
  if (Number(rows[0]?.failures ?? 0) < ACCOUNT_MAX_FAILURES) return;
  const opens = toDate(rows[0]!.oldest).getTime() + ACCOUNT_WINDOW_MS;
  throw new TooManyWrongCodesError(Math.max(1, Math.ceil((opens - now.getTime()) / 1000)));
}
/** Long enough to type a code; an enrolment gets longer (installing an app takes a while). */
export const VERIFY_TTL_MS = 5 * 60_000;
export const ENROLL_TTL_MS = 15 * 60_000;
export const CODE_TTL_MS = 10 * 60_000;
/** One code per challenge per 30 s: resending must not flood a mailbox or a phone. */
export const RESEND_INTERVAL_MS = 30_000;
const ISSUER = 'Gatehouse';

export interface MfaDeps {
  sessionTtlMs: number;
  sms: SmsSender<Em>;
}

export type EnrollMethod = SecondFactorKind;

/** The answer to a proven password when the org requires a second factor. */
export interface MfaPending {
  mfaRequired: true;
  challenge: string;
  purpose: MfaChallengePurpose;
  methods: Array<VerifyMethod>;
  expiresAt: Date;
  userId: string;
  org: { id: string; slug: string };
}

export interface MfaSignedIn {
  token: string;
  session: SessionView;
  userId: string;
  org: { id: string; slug: string };
  /** Only at enrolment: shown once, never stored in clear. */
  recoveryCodes?: string[];
}

/** Unknown, expired, used, or ended by too many wrong codes: the person signs in again. */
export class MfaChallengeInvalidError extends AuthenticationError {
  constructor() {
    super('This sign-in step has expired or was ended after too many wrong codes. Sign in again.', { reason: 'mfa_challenge_invalid' });
  }
}

export class WrongCodeError extends DomainError {
  readonly code = 'invalid_code';
  constructor(attemptsLeft: number) {
    super(`The code is not right, or has expired. ${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left.`, { attemptsLeft });
  }
}

interface Challenge {
  id: string;
  email: string;
  orgId: string;
  orgSlug: string;
  userId: string;
  purpose: MfaChallengePurpose;
  expiresAt: Date;
  attempts: number;
  pendingFactorId: string | null;
  codeHash: string | null;
  codeChannel: MfaCodeChannel | null;
  codeExpiresAt: Date | null;
  codeSentAt: Date | null;
}

/** Called in the sign-in (or registration) transaction once the password is proven. */
export async function createChallenge(
  em: Em,
  input: { email: string; orgId: string; orgSlug: string; userId: string },
  now: Date,
): Promise<MfaPending> {
  const purpose: MfaChallengePurpose = (await confirmedFactors(em, input.email)).length ? 'verify' : 'enroll';
  const token = generateToken('mfa');
  const expiresAt = new Date(now.getTime() + (purpose === 'enroll' ? ENROLL_TTL_MS : VERIFY_TTL_MS));
  await em.execute(
    `insert into mfa_challenges (id, created_at, updated_at, token_hash, email, org_id, user_id, purpose, expires_at, attempts)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    [uuidv7(now.getTime()), now, now, sha256Hex(token), input.email, input.orgId, input.userId, purpose, expiresAt],
  );
  const methods: VerifyMethod[] = purpose === 'enroll' ? ['totp', 'email', 'sms'] : await verifyMethods(em, input.email);
  return { mfaRequired: true, challenge: token, purpose, methods, expiresAt, userId: input.userId, org: { id: input.orgId, slug: input.orgSlug } };
}

async function openChallenge(em: Em, token: string, now: Date, lock: boolean): Promise<Challenge> {
  if (!token.startsWith('gh_mfa_') || token.length > 200) throw new MfaChallengeInvalidError();
  const rows = await em.execute(
    `select c.*, o.slug from mfa_challenges c join organizations o on o.id = c.org_id where c.token_hash = ?${lock ? ' for update of c' : ''}`,
    [sha256Hex(token)],
  );
  const row = rows[0];
  if (!row || row.completed_at || Number(row.attempts) >= MAX_ATTEMPTS || toDate(row.expires_at).getTime() <= now.getTime()) throw new MfaChallengeInvalidError();
  return {
    id: String(row.id),
    email: String(row.email),
    orgId: String(row.org_id),
    orgSlug: String(row.slug),
    userId: String(row.user_id),
    purpose: row.purpose as MfaChallengePurpose,
    expiresAt: toDate(row.expires_at),
    attempts: Number(row.attempts),
    pendingFactorId: (row.pending_factor_id as string | null) ?? null,
    codeHash: (row.code_hash as string | null) ?? null,
    codeChannel: (row.code_channel as MfaCodeChannel | null) ?? null,
    codeExpiresAt: row.code_expires_at ? toDate(row.code_expires_at) : null,
    codeSentAt: row.code_sent_at ? toDate(row.code_sent_at) : null,
  };
}

function scopeOf(challenge: Challenge, origin: RequestOrigin): Scope {
  return { ...origin, orgId: challenge.orgId, orgSlug: challenge.orgSlug, actor: { type: 'user', id: challenge.userId, label: challenge.email } };
}

const target = (c: Challenge) => ({ type: 'user', id: c.userId, label: c.email });

/** What the pages and the JSON answer show about an open challenge. */
export async function describeChallenge(em: Em, token: string, now: Date): Promise<{ purpose: MfaChallengePurpose; methods: VerifyMethod[]; email: string; expiresAt: Date; codeChannel: MfaCodeChannel | null; pendingKind: SecondFactorKind | null }> {
  const c = await openChallenge(em, token, now, false);
  const pending = c.pendingFactorId ? await findFactor(em, c.pendingFactorId) : null;
  const methods: VerifyMethod[] = c.purpose === 'enroll' ? ['totp', 'email', 'sms'] : await verifyMethods(em, c.email);
  return { purpose: c.purpose, methods, email: c.email, expiresAt: c.expiresAt, codeChannel: c.codeChannel, pendingKind: pending?.kind ?? null };
}

/** Queues the code by mail (outbox) or SMS (pluggable sender) and stores its hash on the challenge. */
async function sendCode(tx: Em, deps: MfaDeps, c: Challenge, channel: MfaCodeChannel, phone: string | null, now: Date): Promise<void> {
  if (c.codeSentAt && now.getTime() - c.codeSentAt.getTime() < RESEND_INTERVAL_MS) {
    throw new RateLimitedError(Math.ceil((RESEND_INTERVAL_MS - (now.getTime() - c.codeSentAt.getTime())) / 1000));
  }
  const code = generateOneTimeCode();
  const codeExpiresAt = new Date(now.getTime() + CODE_TTL_MS);
  const text = `Your Gatehouse sign-in code is ${code}. It works once, for 10 minutes. If you did not try to sign in, someone knows your password: change it ("Change password" at the top of the console) or reset it ("Forgot your password?" on the sign-in page).`;
  if (channel === 'email') {
    await enqueueMail(tx, { orgId: c.orgId, to: c.email, subject: 'Your Gatehouse sign-in code', text: `Hello,\n\n${text}\n`, kind: 'mfa_code', related: { userId: c.userId } }, now);
  } else {
    if (!phone) throw ValidationError.field('phone', 'Enter a mobile number with its country code');
    await deps.sms.send(tx, { to: phone, text, orgId: c.orgId, related: { userId: c.userId } }, now);
  }
  // The challenge lives at least as long as the code it sent.
  const expiresAt = c.expiresAt > codeExpiresAt ? c.expiresAt : codeExpiresAt;
  await tx.execute(
    'update mfa_challenges set code_hash = ?, code_channel = ?, code_expires_at = ?, code_sent_at = ?, expires_at = ?, updated_at = ? where id = ?',
    [oneTimeCodeHash(c.id, code), channel, codeExpiresAt, now, expiresAt, now, c.id],
  );
}

/** Sends (or resends) a code to a confirmed email/SMS factor of a `verify` challenge, or to the factor being enrolled. */
export async function sendChallengeCode(em: Em, deps: MfaDeps, token: string, channel: MfaCodeChannel, now: Date): Promise<void> {
  await em.transactional(async (tx) => {
    const c = await openChallenge(tx, token, now, true);
    const factor =
      c.purpose === 'enroll'
        ? c.pendingFactorId ? await findFactor(tx, c.pendingFactorId) : null
        : (await confirmedFactors(tx, c.email)).find((f) => f.kind === channel) ?? null;
    if (!factor || factor.kind !== channel) throw ValidationError.field('method', `No ${channel === 'sms' ? 'mobile number' : 'email'} second factor is set up for this sign-in`);
    await sendCode(tx, deps, c, channel, factor.phone, now);
  });
}

const PHONE = /^\+[0-9 ().-]{6,30}$/;

/** Enrolment, first half: a TOTP key to show (with its otpauth URI), or a code sent to the address or phone. */
export async function startEnrolment(
  em: Em,
  deps: MfaDeps,
  token: string,
  input: { method: EnrollMethod; phone?: string | undefined },
  now: Date,
): Promise<{ method: EnrollMethod; secret?: string; otpauthUri?: string; sentTo?: string }> {
  return em.transactional(async (tx) => {
    const c = await openChallenge(tx, token, now, true);
    if (c.purpose !== 'enroll') throw new MfaChallengeInvalidError();
    if (input.method === 'totp') {
      const secret = generateTotpSecret();
      const id = await addPendingFactor(tx, c.email, { kind: 'totp', secret }, now);
      await tx.execute('update mfa_challenges set pending_factor_id = ?, code_hash = null, code_channel = null, updated_at = ? where id = ?', [id, now, c.id]);
      return { method: 'totp', secret, otpauthUri: otpauthUri(ISSUER, c.email, secret) };
    }
    let phone: string | undefined;
    if (input.method === 'sms') {
      phone = input.phone?.trim() ?? '';
      if (!PHONE.test(phone) || phone.replace(/\D/g, '').length < 6) throw ValidationError.field('phone', 'Enter a mobile number with its country code, such as +44 7700 900123');
      phone = `+${phone.replace(/\D/g, '')}`;
    }
    const id = await addPendingFactor(tx, c.email, { kind: input.method, ...(phone ? { phone } : {}) }, now);
    await tx.execute('update mfa_challenges set pending_factor_id = ?, updated_at = ? where id = ?', [id, now, c.id]);
    await sendCode(tx, deps, c, input.method, phone ?? null, now);
    return { method: input.method, sentTo: phone ?? c.email };
  });
}

/**
 * A wrong code: counted in the challenge and audited, in a transaction that
 * commits (the caller then throws). The fifth ends the challenge.
 */
async function countFailure(tx: Em, c: Challenge, origin: RequestOrigin, now: Date): Promise<number> {
  const attempts = c.attempts + 1;
  await tx.execute('update mfa_challenges set attempts = ?, updated_at = ? where id = ?', [attempts, now, c.id]);
  await recordAuditSql(tx, scopeOf(c, origin), { action: 'auth.mfa_failed', target: target(c), details: { purpose: c.purpose, attempts, ended: attempts >= MAX_ATTEMPTS } });
  return Math.max(0, MAX_ATTEMPTS - attempts);
}

/** The session, made as password sign-in makes it (same cap, method, last-active stamp). */
async function finish(tx: Em, deps: MfaDeps, c: Challenge, origin: RequestOrigin, now: Date, audit: { action: string; details: Record<string, unknown> }): Promise<MfaSignedIn> {
  const rows = await tx.execute(`select u.state, o.settings from users u join organizations o on o.id = u.org_id where u.id = ? and u.org_id = ?`, [c.userId, c.orgId]);
  const row = rows[0];
  // Disabled (or the org switched to SSO) since the password was checked.
  const settings = row ? resolveOrgSettings(row.settings) : null;
  if (!row || row.state !== 'active' || !settings || settings.ssoEnforced) throw new MfaChallengeInvalidError();
  await tx.execute('update mfa_challenges set completed_at = ?, code_hash = null, updated_at = ? where id = ?', [now, now, c.id]);
  const scope = scopeOf(c, origin);
  const started = await startSession(tx, scope, { userId: c.userId, method: 'password', now, policy: { maxPerUser: settings.sessionCap, ttlMs: deps.sessionTtlMs } });
  await tx.execute('update users set last_active_at = ? where id = ? and org_id = ?', [now, c.userId, c.orgId]);
  // One event for the sign-in: it carries the session, as auth.login does for a password-only org.
  await recordAuditSql(tx, scope, { action: audit.action, target: target(c), details: { method: 'password', ...audit.details, sessionId: started.session.id, endedSessions: started.ended } });
  return { token: started.token, session: started.session, userId: c.userId, org: { id: c.orgId, slug: c.orgSlug } };
}

type Outcome = { ok: true; signedIn: MfaSignedIn } | { ok: false; attemptsLeft: number };

async function settle(em: Em, run: (tx: Em) => Promise<Outcome>): Promise<MfaSignedIn> {
  const outcome = await em.transactional(run);
  if (!outcome.ok) {
    if (outcome.attemptsLeft === 0) throw new MfaChallengeInvalidError();
    throw new WrongCodeError(outcome.attemptsLeft);
  }
  return outcome.signedIn;
}

/** Enrolment, second half: the code proves the new factor; it is confirmed, recovery codes issued, and the session starts. */
export async function confirmEnrolment(em: Em, deps: MfaDeps, token: string, rawCode: string, origin: RequestOrigin, now: Date): Promise<MfaSignedIn> {
  const code = rawCode.replace(/\s/g, '');
  return settle(em, async (tx) => {
    const c = await openChallenge(tx, token, now, true);
    if (c.purpose !== 'enroll') throw new MfaChallengeInvalidError();
    const factor = c.pendingFactorId ? await findFactor(tx, c.pendingFactorId, { lock: true }) : null;
    if (!factor || factor.confirmed) throw ValidationError.field('method', 'Choose how you will confirm your sign-ins first');
    let step: number | null = null;
    let ok: boolean;
    if (factor.kind === 'totp') {
      step = await useTotp(tx, factor, code, now);
      ok = step !== null;
    } else {
      ok = c.codeChannel === factor.kind && Boolean(c.codeExpiresAt && c.codeExpiresAt > now) && oneTimeCodeMatches(c.id, code, c.codeHash);
    }
    if (!ok) return { ok: false, attemptsLeft: await countFailure(tx, c, origin, now) };
    await confirmFactor(tx, factor.id, now, step);
    const recoveryCodes = await issueRecoveryCodes(tx, c.email, now);
    const signedIn = await finish(tx, deps, c, origin, now, { action: 'auth.mfa_enrolled', details: { factor: factor.kind, factorId: factor.id, recoveryCodes: recoveryCodes.length } });
    return { ok: true, signedIn: { ...signedIn, recoveryCodes } };
  });
}

/** A `verify` challenge: a TOTP code, the email/SMS code it sent, or a recovery code (each once). */
export async function verifyChallenge(em: Em, deps: MfaDeps, token: string, rawCode: string, origin: RequestOrigin, now: Date): Promise<MfaSignedIn> {
  const code = rawCode.replace(/\s/g, '');
  return settle(em, async (tx) => {
    const c = await openChallenge(tx, token, now, true);
    if (c.purpose !== 'verify') throw new MfaChallengeInvalidError();
    await assertNotHeld(tx, c.email, now);
    let used: VerifyMethod | null = null;
    let remaining: number | null = null;
    if (/^\d{6}$/.test(code)) {
      if (c.codeChannel && c.codeExpiresAt && c.codeExpiresAt > now && oneTimeCodeMatches(c.id, code, c.codeHash)) {
        used = c.codeChannel;
        await markFactorUsed(tx, c.email, c.codeChannel, now);
      } else {
        for (const factor of (await confirmedFactors(tx, c.email, { lock: true })).filter((f) => f.kind === 'totp')) {
          if ((await useTotp(tx, factor, code, now)) !== null) {
            used = 'totp';
            break;
          }
        }
      }
    } else {
      remaining = await useRecoveryCode(tx, c.email, code, now);
      if (remaining !== null) used = 'recovery';
    }
    if (!used) return { ok: false, attemptsLeft: await countFailure(tx, c, origin, now) };
    const signedIn = used === 'recovery'
      ? await finish(tx, deps, c, origin, now, { action: 'auth.mfa_recovery_used', details: { factor: 'recovery', recoveryCodesLeft: remaining } })
      : await finish(tx, deps, c, origin, now, { action: 'auth.mfa_verified', details: { factor: used } });
    return { ok: true, signedIn };
  });
}
