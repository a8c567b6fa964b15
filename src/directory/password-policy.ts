import type { FieldProblem } from './errors.ts';
import type { PasswordPolicy } from './org-settings.ts';
import { commonPasswords } from './common-passwords.ts';

/**
 * Password rules (NIST SP 800-63B §3.1.1.2): a minimum length from the org's
 * policy, optional character classes, and refusal of passwords that are
 * common or built from the person's own address. Pure: a table test covers it.
 */

/** scrypt takes any length, but a megabyte "password" is a denial-of-service, not a secret. */
export const MAX_PASSWORD_LENGTH = 256;

const classes: Array<[string, RegExp]> = [
  ['lower-case letters', /\p{Ll}/u],
  ['upper-case letters', /\p{Lu}/u],
  ['digits', /\p{Nd}/u],
  ['symbols or spaces', /[^\p{L}\p{Nd}]/u],
];

/** Unicode passwords compare after NFKC, as §5.1.1.2 recommends, so the same keys give the same secret. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

export function characterClasses(password: string): number {
  return classes.filter(([, pattern]) => pattern.test(password)).length;
}

/** `Summer2024!` is `summer` with the usual decorations. */
function commonBase(lower: string): boolean {
  if (commonPasswords.has(lower)) return true;
  const base = lower.replace(/[\d\W_]+$/u, '').replace(/^[\d\W_]+/u, '');
  return base.length >= 4 && commonPasswords.has(base);
}

/**
 * The strictest of several policies: a credential serves every org the person
 * belongs to, so it must satisfy each of them.
 */
export function strictestPolicy(policies: PasswordPolicy[], fallback: PasswordPolicy): PasswordPolicy {
  if (!policies.length) return fallback;
  return {
    minLength: Math.max(...policies.map((p) => p.minLength)),
    requireClasses: Math.max(...policies.map((p) => p.requireClasses)),
  };
}

/** Every broken rule, each with a reason a person can act on; empty when the password is acceptable. */
export function checkPassword(password: string, policy: PasswordPolicy, email: string | null, field = 'password'): FieldProblem[] {
  const value = normalizePassword(password);
  const problems: FieldProblem[] = [];
  const length = [...value].length;
  if (length < policy.minLength) problems.push({ field, reason: `must be at least ${policy.minLength} characters long` });
  if (length > MAX_PASSWORD_LENGTH) problems.push({ field, reason: `must be at most ${MAX_PASSWORD_LENGTH} characters long` });
  if (characterClasses(value) < policy.requireClasses) {
    problems.push({ field, reason: `must use at least ${policy.requireClasses} of: ${classes.map(([name]) => name).join(', ')}` });
  }
  const lower = value.toLowerCase();
  const localPart = email?.split('@')[0]?.toLowerCase() ?? '';
  if (localPart.length >= 3 && lower.includes(localPart)) problems.push({ field, reason: 'must not contain the name part of your email address' });
  if (commonBase(lower)) problems.push({ field, reason: 'is too common: it appears in lists of the most used passwords' });
  return problems;
}
