import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Em } from '../db/orm.ts';
import { uuidv7 } from '../lib/ids.ts';
import { normalizePassword } from './password-policy.ts';
import { toDate } from './user-record.ts';

/**
 * Passwords: one credential per person (normalised email) across orgs, hashed
 * with Node's scrypt (RFC 7914). The stored string names its own parameters —
 * `scrypt$N$r$p$salt$hash` (base64url) — so a change of cost in config applies
 * to new hashes while old ones still verify, and are re-hashed at next sign-in.
 */

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  keylen: number;
}

export interface LockoutPolicy {
  maxFailures: number;
  lockMs: number;
  maxLockMs: number;
}

const SALT_BYTES = 16;

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // Node refuses above 32 MiB by default; the memory need is 128·N·r·p bytes.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r * params.p + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCallback(normalizePassword(password), salt, params.keylen, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await scrypt(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

export function parsePasswordHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const hash = Buffer.from(parts[5]!, 'base64url');
  const sane = [N, r, p].every((n) => Number.isInteger(n) && n > 0) && N <= 2 ** 24 && r <= 64 && p <= 16 && hash.length >= 16 && salt.length >= 8;
  return sane ? { N, r, p, keylen: hash.length, salt, hash } : null;
}

function sameParams(a: ScryptParams, b: ScryptParams): boolean {
  return a.N === b.N && a.r === b.r && a.p === b.p && a.keylen === b.keylen;
}

/**
 * Constant-time check of a password against a stored hash. `needsRehash` when
 * the hash was made with other parameters than `current`.
 */
export async function verifyPassword(password: string, stored: string, current: ScryptParams): Promise<{ ok: boolean; needsRehash: boolean }> {
  const parsed = parsePasswordHash(stored);
  if (!parsed) {
    await burnVerify(password, current);
    return { ok: false, needsRehash: false };
  }
  const derived = await scrypt(password, parsed.salt, parsed);
  const ok = derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash);
  return { ok, needsRehash: ok && !sameParams(parsed, current) };
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * The work of a real verification, for an email with no credential, so the
 * answer takes as long as a wrong password would (no user enumeration by timing).
 */
export async function burnVerify(password: string, params: ScryptParams): Promise<void> {
  const key = `${params.N}:${params.r}:${params.p}:${params.keylen}`;
  let dummy = dummyHashes.get(key);
  if (!dummy) {
    dummy = hashPassword(randomBytes(16).toString('hex'), params);
    dummyHashes.set(key, dummy);
  }
  const parsed = parsePasswordHash(await dummy)!;
  const derived = await scrypt(password, parsed.salt, parsed);
  timingSafeEqual(derived, parsed.hash);
}

/** Emails identify credentials: trimmed and lower-cased, as users.email is stored. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface CredentialRow {
  id: string;
  email: string;
  passwordHash: string;
  failedAttempts: number;
  lockedUntil: Date | null;
}

function toCredential(row: Record<string, unknown>): CredentialRow {
  return {
    id: String(row.id),
    email: String(row.email),
    passwordHash: String(row.password_hash),
    failedAttempts: Number(row.failed_attempts),
    lockedUntil: row.locked_until ? toDate(row.locked_until) : null,
  };
}

export async function findCredential(em: Em, email: string, options: { lock?: boolean } = {}): Promise<CredentialRow | null> {
  const rows = await em.execute(
    `select id, email, password_hash, failed_attempts, locked_until from credentials where email = ?${options.lock ? ' for update' : ''}`,
    [normalizeEmail(email)],
  );
  return rows[0] ? toCredential(rows[0]) : null;
}

/**
 * Sets the person's password (creating the credential on first use) and
 * clears any lock: whoever proved control of the mailbox is the owner.
 */
export async function storePasswordHash(em: Em, email: string, passwordHash: string, now: Date): Promise<void> {
  await em.execute(
    `insert into credentials (id, created_at, updated_at, email, password_hash, password_changed_at, failed_attempts, locked_until)
     values (?, ?, ?, ?, ?, ?, 0, null)
     on conflict (email) do update set password_hash = excluded.password_hash, password_changed_at = excluded.password_changed_at,
       failed_attempts = 0, locked_until = null, updated_at = excluded.updated_at`,
    [uuidv7(now.getTime()), now, now, normalizeEmail(email), passwordHash, now],
  );
}

/** How long the lock that starts at this many consecutive failures lasts; 0 for none. */
export function lockDurationMs(failedAttempts: number, policy: LockoutPolicy): number {
  if (failedAttempts < policy.maxFailures || failedAttempts % policy.maxFailures !== 0) return 0;
  const locks = failedAttempts / policy.maxFailures;
  return Math.min(policy.maxLockMs, policy.lockMs * 2 ** (locks - 1));
}

/** Counts a wrong password under a row lock; returns the new lock when this failure started one. */
export async function recordFailedAttempt(
  em: Em,
  credentialId: string,
  policy: LockoutPolicy,
  now: Date,
): Promise<{ failedAttempts: number; lockedUntil: Date | null }> {
  return em.transactional(async (tx) => {
    const rows = await tx.execute('select failed_attempts from credentials where id = ? for update', [credentialId]);
    if (!rows[0]) return { failedAttempts: 0, lockedUntil: null };
    const failedAttempts = Number(rows[0].failed_attempts) + 1;
    const lockMs = lockDurationMs(failedAttempts, policy);
    const lockedUntil = lockMs ? new Date(now.getTime() + lockMs) : null;
    await tx.execute(
      `update credentials set failed_attempts = ?, locked_until = coalesce(?, locked_until), updated_at = ? where id = ?`,
      [failedAttempts, lockedUntil, now, credentialId],
    );
    return { failedAttempts, lockedUntil };
  });
}

/** After a correct password: the count starts again, and an outdated hash is replaced. */
export async function recordSuccessfulAttempt(em: Em, credentialId: string, now: Date, upgradedHash?: string): Promise<void> {
  await em.execute(
    `update credentials set failed_attempts = 0, locked_until = null, password_hash = coalesce(?, password_hash), updated_at = ? where id = ?`,
    [upgradedHash ?? null, now, credentialId],
  );
}
