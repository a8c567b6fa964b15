import type { Em } from '../db/orm.ts';
import { normalizeEmail } from './credentials.ts';
import type { FieldProblem } from './errors.ts';
import { defaultOrgSettings, type PasswordPolicy } from './org-settings.ts';
import { checkPassword, strictestPolicy } from './password-policy.ts';
import { profilesByEmail } from './profiles.ts';

/**
 * Who may hold a password and what a new one must meet. One credential serves
 * a person in every org (by normalised email), so setting one — by a reset
 * link or by changing it while signed in — answers to all of their orgs.
 */

export interface PasswordProfile {
  userId: string;
  userName: string;
  state: string;
  orgId: string;
  orgSlug: string;
  orgName: string;
  ssoEnforced: boolean;
  passwordPolicy: PasswordPolicy;
}

/** The person's profiles (not deleted), each with what its org says about passwords. */
export async function passwordProfiles(em: Em, email: string): Promise<PasswordProfile[]> {
  return (await profilesByEmail(em, normalizeEmail(email))).map(({ settings, ...p }) => ({ ...p, ssoEnforced: settings.ssoEnforced, passwordPolicy: settings.passwordPolicy }));
}

/** Who may use a password: an active profile in an org that allows passwords. */
export const canUsePassword = (p: PasswordProfile): boolean => p.state === 'active' && !p.ssoEnforced;

function policyOf(profiles: PasswordProfile[]): PasswordPolicy {
  return strictestPolicy(profiles.filter((p) => !p.ssoEnforced).map((p) => p.passwordPolicy), defaultOrgSettings.passwordPolicy);
}

/** The rules a new password for this person must meet: the strictest of their password-using orgs. */
export async function passwordPolicyFor(em: Em, email: string): Promise<PasswordPolicy> {
  return policyOf(await passwordProfiles(em, email));
}

/** Every rule the new password breaks under the strictest policy of these profiles, named on `field`. */
export function newPasswordProblems(profiles: PasswordProfile[], password: string, email: string, field = 'password'): FieldProblem[] {
  return checkPassword(password, policyOf(profiles), email, field);
}
