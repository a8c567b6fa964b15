import { randomBytes, randomInt } from 'node:crypto';
import type { Em } from '../db/orm.ts';
import type { SecondFactorKind } from '../db/entities/index.ts';
import { isUuid, uuidv7 } from '../lib/ids.ts';
import { digestsEqual, sha256Hex } from '../lib/tokens.ts';
import { base32Decode, base32Encode, matchTotp } from '../lib/totp.ts';
import { recordAuditSql } from './audit.ts';
import { normalizeEmail } from './credentials.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { assertMayChangeAccount } from './org-admin-guard.ts';
import type { Scope } from './scope.ts';

/**
 * A person's second factors and recovery codes, keyed by normalised email (one
 * password serves every org, and so does its second factor). Only hashes of
 * recovery and one-time codes are stored. The TOTP key is stored as base32 and
 * never logged nor shown again after enrolment (encrypting it at rest with a
 * key from the environment is future work, see docs/mfa.md).
 */

export const RECOVERY_CODE_COUNT = 10;

export type VerifyMethod = SecondFactorKind | 'recovery';

export interface FactorRow {
  id: string;
  kind: SecondFactorKind;
  secret: string | null;
  phone: string | null;
  confirmed: boolean;
  lastUsedStep: number | null;
}

function toFactor(row: Record<string, unknown>): FactorRow {
  return {
    id: String(row.id),
    kind: row.kind as SecondFactorKind,
    secret: (row.secret as string | null) ?? null,
    phone: (row.phone as string | null) ?? null,
    confirmed: Boolean(row.confirmed_at),
    lastUsedStep: row.last_used_step === null || row.last_used_step === undefined ? null : Number(row.last_used_step),
  };
}

const factorColumns = 'id, kind, secret, phone, confirmed_at, last_used_step';

export async function confirmedFactors(em: Em, email: string, options: { lock?: boolean } = {}): Promise<FactorRow[]> {
  const rows = await em.execute(
    `select ${factorColumns} from second_factors where email = ? and confirmed_at is not null order by created_at, id${options.lock ? ' for update' : ''}`,
    [normalizeEmail(email)],
  );
  return rows.map(toFactor);
}

export async function findFactor(em: Em, id: string, options: { lock?: boolean } = {}): Promise<FactorRow | null> {
  const rows = await em.execute(`select ${factorColumns} from second_factors where id = ?${options.lock ? ' for update' : ''}`, [id]);
  return rows[0] ? toFactor(rows[0]) : null;
}

/** What a challenge offers: the kinds of confirmed factors, plus `recovery` while unused codes remain. */
export async function verifyMethods(em: Em, email: string): Promise<VerifyMethod[]> {
  const kinds = new Set<VerifyMethod>((await confirmedFactors(em, email)).map((f) => f.kind));
  const left = await em.execute('select 1 from recovery_codes where email = ? and used_at is null limit 1', [normalizeEmail(email)]);
  if (left.length) kinds.add('recovery');
  return (['totp', 'email', 'sms', 'recovery'] as const).filter((k) => kinds.has(k));
}

/** A new factor, unconfirmed until the person proves it with a code. Earlier unfinished set-ups are dropped. */
export async function addPendingFactor(em: Em, email: string, input: { kind: SecondFactorKind; secret?: string; phone?: string }, now: Date): Promise<string> {
  await em.execute('delete from second_factors where email = ? and confirmed_at is null', [normalizeEmail(email)]);
  const id = uuidv7(now.getTime());
  await em.execute(
    `insert into second_factors (id, created_at, updated_at, email, kind, secret, phone, confirmed_at, last_used_at, last_used_step)
     values (?, ?, ?, ?, ?, ?, ?, null, null, null)`,
    [id, now, now, normalizeEmail(email), input.kind, input.secret ?? null, input.phone ?? null],
  );
  return id;
}

export async function confirmFactor(em: Em, id: string, now: Date, step: number | null): Promise<void> {
  await em.execute('update second_factors set confirmed_at = ?, last_used_at = ?, last_used_step = ?, updated_at = ? where id = ?', [now, now, step, now, id]);
}

/**
 * Checks a TOTP code against a factor (row locked by the caller) and, when it
 * matches a step not used before, records that step: the same code cannot be
 * replayed, even within its 30 s (RFC 6238 §5.2).
 */
export async function useTotp(em: Em, factor: FactorRow, code: string, now: Date): Promise<number | null> {
  const key = factor.secret ? base32Decode(factor.secret) : null;
  if (!key) return null;
  const step = matchTotp(key, code, now, factor.confirmed ? factor.lastUsedStep : null);
  if (step === null) return null;
  if (factor.confirmed) await em.execute('update second_factors set last_used_at = ?, last_used_step = ?, updated_at = ? where id = ?', [now, step, now, factor.id]);
  return step;
}

export async function markFactorUsed(em: Em, email: string, kind: SecondFactorKind, now: Date): Promise<void> {
  await em.execute('update second_factors set last_used_at = ?, updated_at = ? where email = ? and kind = ? and confirmed_at is not null', [now, now, normalizeEmail(email), kind]);
}

/** Recovery codes: 10 base32 characters (50 bits), shown as xxxxx-xxxxx; typed in any case, with or without the dash. */
export function normalizeRecoveryCode(text: string): string | null {
  const clean = text.replace(/[\s-]/g, '').toUpperCase();
  return /^[A-Z2-7]{10}$/.test(clean) ? clean : null;
}

/** Replaces the person's recovery codes with ten new ones; returns them (the only time they are seen). */
export async function issueRecoveryCodes(em: Em, email: string, now: Date): Promise<string[]> {
  const owner = normalizeEmail(email);
  await em.execute('delete from recovery_codes where email = ?', [owner]);
  const codes: string[] = [];
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    const code = base32Encode(randomBytes(7)).slice(0, 10);
    codes.push(`${code.slice(0, 5)}-${code.slice(5)}`.toLowerCase());
    await em.execute(
      'insert into recovery_codes (id, created_at, updated_at, email, code_hash, used_at) values (?, ?, ?, ?, ?, null)',
      [uuidv7(now.getTime()), now, now, owner, sha256Hex(code)],
    );
  }
  return codes;
}

/** Spends one recovery code; returns how many remain, or null when it is not an unused code of this person. */
export async function useRecoveryCode(em: Em, email: string, text: string, now: Date): Promise<number | null> {
  const code = normalizeRecoveryCode(text);
  if (!code) return null;
  const owner = normalizeEmail(email);
  const used = await em.execute(
    'update recovery_codes set used_at = ?, updated_at = ? where email = ? and code_hash = ? and used_at is null returning id',
    [now, now, owner, sha256Hex(code)],
  );
  if (!used.length) return null;
  const left = await em.execute('select count(*)::int as n from recovery_codes where email = ? and used_at is null', [owner]);
  return Number(left[0]?.n ?? 0);
}

/** A one-time code for email or SMS: 6 random digits (crypto.randomInt, uniform). */
export function generateOneTimeCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** Bound to the challenge, so a code's hash is worthless anywhere else. */
export function oneTimeCodeHash(challengeId: string, code: string): string {
  return sha256Hex(`${challengeId}:${code}`);
}

export function oneTimeCodeMatches(challengeId: string, code: string, storedHash: string | null): boolean {
  return Boolean(storedHash) && /^\d{6}$/.test(code) && digestsEqual(oneTimeCodeHash(challengeId, code), storedHash!);
}

/**
 * Admin reset: removes every factor and recovery code of the person behind a
 * user of this org (so they enrol again at next sign-in) and ends open
 * challenges. Factors are per person, so this applies in their other orgs too.
 */
export async function resetSecondFactors(em: Em, scope: Scope, userId: string, now: Date, options: { acrossOrgs?: boolean } = {}): Promise<{ factors: number; recoveryCodes: number }> {
  const rows = isUuid(userId) ? await em.execute(`select id, email, user_name, org_role from users where org_id = ? and id = ? and state <> 'deleted'`, [scope.orgId, userId]) : [];
  const user = rows[0];
  if (!user) throw new NotFoundError('User', userId);
  assertMayChangeAccount(scope, { orgRole: user.org_role });
  return em.transactional(async (tx) => {
    const email = user.email ? normalizeEmail(String(user.email)) : null;
    // Factors are the person's (by address) in every org: one org's admin must not weaken another org's
    // sign-in — anyone can give a profile of their own org any address. Only the operator (CLI) may then.
    if (email && !options.acrossOrgs) {
      const elsewhere = await tx.execute(`select count(distinct org_id)::int as n from users where email = ? and org_id <> ? and state <> 'deleted'`, [email, scope.orgId]);
      const others = Number(elsewhere[0]?.n ?? 0);
      if (others > 0) {
        throw new ConflictError('userId', `This person also signs in to ${others} other organization${others === 1 ? '' : 's'} with the same second factors; ` +
          'to keep those safe, only the person (with a recovery code) or the server\'s operator (`gatehouse user mfa-reset`) can reset them');
      }
    }
    const factors = email ? await tx.execute('delete from second_factors where email = ? returning id', [email]) : [];
    const codes = email ? await tx.execute('delete from recovery_codes where email = ? returning id', [email]) : [];
    if (email) await tx.execute('update mfa_challenges set expires_at = ?, updated_at = ? where email = ? and completed_at is null and expires_at > ?', [now, now, email, now]);
    const result = { factors: factors.length, recoveryCodes: codes.length };
    await recordAuditSql(tx, scope, { action: 'auth.mfa_reset', target: { type: 'user', id: String(user.id), label: String(user.user_name) }, details: result });
    return result;
  });
}
