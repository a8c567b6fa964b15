import { html, type Html } from '../html.ts';
import type { Permission } from '../../../directory/permissions.ts';
import { can, type Viewer } from '../viewer.ts';

/** What a users row and a person page need to know to offer lifecycle actions. */
export interface PersonSummary {
  id: string;
  userName: string;
  email: string | null;
  displayName: string | null;
  status: string;
  source: string;
  orgRole: string;
  invitationId: string | null;
}

/**
 * An org admin's account is changed only by an org admin (directory/org-admin-guard.ts):
 * a member holding users.* grants is refused (403 org_admin_target), so the page
 * offers them no control that could only fail.
 */
export function mayChangeAccount(viewer: Viewer, person: Pick<PersonSummary, 'orgRole'>): boolean {
  return viewer.orgAdmin || person.orgRole !== 'org_admin';
}

export function personName(p: Pick<PersonSummary, 'displayName' | 'email' | 'userName'>): string {
  return p.displayName ?? p.email ?? p.userName;
}

/** What the delete confirmation must be typed as (the API's rule: the email, else the userName). */
export function confirmationText(p: Pick<PersonSummary, 'email' | 'userName'>): string {
  return p.email ?? p.userName;
}

/**
 * The lifecycle moves a person's status allows, each a one-button form sent to
 * the admin API; only those the viewer holds the permission for. An invitation
 * is revoked only while its link still works (an expired one is already dead;
 * it can still be resent).
 */
export function lifecycleActions(viewer: Viewer, person: PersonSummary, options: { className?: string } = {}): Html[] {
  const name = personName(person);
  const cls = options.className ?? 'link';
  const mayChange = mayChangeAccount(viewer, person);
  const act = (permission: Permission, api: string, label: string, success: string, account = true, confirm?: string) =>
    can(viewer, permission) && (mayChange || !account)
      ? html`<form data-api="${api}" data-then="reload"${confirm ? html` data-confirm="${confirm}"` : ''} data-success="${success}"><button type="submit" class="${cls}" aria-label="${label} ${name}">${label}</button></form>`
      : null;
  const invitation = person.invitationId;
  const actions: Array<Html | null> = [];
  switch (person.status) {
    case 'active':
      actions.push(act('users.disable', `POST /users/${person.id}/disable`, 'Disable', `${name} is disabled.`, true, disableQuestion(viewer, person)));
      break;
    case 'disabled':
      // An invitee who never registered comes back pending, not active (lifecycle.ts stateOnReturn).
      actions.push(act('users.disable', `POST /users/${person.id}/reactivate`, 'Reactivate', `${name} is reactivated.`));
      break;
    case 'deleted':
      actions.push(act('users.delete', `POST /users/${person.id}/restore`, 'Restore', `${name} is restored.`));
      break;
    case 'pending':
    case 'expired':
      if (invitation) {
        // Invitations are users.invite's, not a change to the account: not guarded (invitations.ts).
        actions.push(act('users.invite', `POST /invitations/${invitation}/resend`, 'Resend invitation', `A new invitation was sent to ${name}.`, false));
        if (person.status === 'pending') actions.push(act('users.invite', `POST /invitations/${invitation}/revoke`, 'Revoke invitation', `The invitation to ${name} is revoked.`, false));
      }
      break;
  }
  return actions.filter((a): a is Html => a !== null);
}

/**
 * Disabling signs the person out everywhere at once, so the one-click button asks first (as the
 * bulk "Disable selected" does); an admin's own account gets the blunter question, since no one
 * but another org admin can let them back in (the API refuses only the last org admin).
 */
/**
 * What a disable made here means for someone the IdP manages (users.ts saveUser: the IdP's routine
 * `active: true` does not undo it): said by the one-person question and the bulk one (person-bulk.js).
 */
export const scimDisableNote = 'stay disabled until reactivated here, even if your identity provider still has them active.';

export function disableQuestion(viewer: Viewer, person: PersonSummary): string {
  return person.id === viewer.userId
    ? 'Disable your own account? You are signed out at once and cannot sign in again until another org admin reactivates you.'
    : person.source === 'scim'
      ? `Disable ${personName(person)}? They are signed out everywhere at once and ${scimDisableNote}`
      : `Disable ${personName(person)}? They are signed out everywhere at once; you can reactivate them later.`;
}

/**
 * Sign-in help (users.edit), what an admin does for someone locked out: mail a
 * password reset link (only an active person with an email, in an org that
 * uses passwords: the API refuses the others), and remove their second factors
 * after a lost phone (the API answers 409 for a person of several orgs: the
 * operator's CLI resets those).
 */
export function signInHelpActions(viewer: Viewer, person: PersonSummary, options: { className: string; ssoEnforced: boolean }): Html[] {
  if (!can(viewer, 'users.edit') || !mayChangeAccount(viewer, person) || person.status === 'deleted') return [];
  const name = personName(person);
  const actions: Html[] = [];
  if (person.status === 'active' && person.email && !options.ssoEnforced) {
    actions.push(html`<form data-api="POST /users/${person.id}/password-reset" data-then="reload" data-success="A password reset link was sent to ${person.email}."><button type="submit" class="${options.className}" aria-label="Send password reset to ${name}">Send password reset</button></form>`);
  }
  actions.push(html`<form data-api="POST /users/${person.id}/mfa/reset" data-then="reload" data-confirm="Remove the second factors and recovery codes of ${name}? They set up a second factor again at their next sign-in." data-success="Second factors reset: ${name} sets one up again at their next sign-in."><button type="submit" class="${options.className}" aria-label="Reset two-factor of ${name}">Reset two-factor</button></form>`);
  return actions;
}

/**
 * Delete behind a typed confirmation: the API refuses unless confirmEmail is
 * the person's email (userName when they have none), so a slip cannot delete.
 */
export function deleteForm(viewer: Viewer, person: PersonSummary): Html {
  if (!can(viewer, 'users.delete') || !mayChangeAccount(viewer, person) || person.status === 'deleted') return html``;
  const expected = confirmationText(person);
  return html`<details class="danger-zone" id="delete">
<summary>Delete ${personName(person)}…</summary>
<form data-api="DELETE /users/${person.id}" data-then="reload" data-confirm-text="${expected}" data-success="${personName(person)} is deleted. You can restore them for 30 days.">
<p class="hint" id="delete-hint">Deleting signs them out everywhere and frees their seat. It can be undone for 30 days; after that their personal data is purged.</p>
<label for="confirm-email">Type ${expected} to confirm</label>
<input id="confirm-email" name="confirmEmail" type="text" autocomplete="off" spellcheck="false" required aria-describedby="delete-hint" data-confirm-input data-hint="delete-hint">
<button type="submit" class="danger" aria-label="Delete ${personName(person)}">Delete</button>
</form>
</details>`;
}
