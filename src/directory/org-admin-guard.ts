import { PermissionError } from './errors.ts';
import type { Scope } from './scope.ts';

/**
 * An org admin's account — profile, status, password, second factors,
 * sessions — is changed only by an org admin (or a token holding every
 * permission), as a help-desk admin of Okta or Entra cannot touch a super
 * admin. Otherwise a member granted users.disable could lock the org's
 * admins out, or reset their second factors and take over their sign-in.
 */
export function assertMayChangeAccount(scope: Pick<Scope, 'mayChangeOrgAdmins'>, target: { orgRole: unknown }): void {
  if (scope.mayChangeOrgAdmins !== false || target.orgRole !== 'org_admin') return;
  throw new PermissionError('Only an org admin may change an org admin\'s account', { reason: 'org_admin_target' });
}
