import { html, options, type Html } from '../html.ts';
import { permissions, type Permission } from '../../../directory/permissions.ts';
import type { Viewer } from '../viewer.ts';
import { personName, type PersonSummary } from './person-actions.ts';

/** GET /users/:id/access. */
export interface Access {
  orgRole: string;
  permissions: string[];
}

/** What each grant lets a member do, in the words of the console's sections (README, Permissions). */
export const permissionWords: Record<Permission, string> = {
  'users.edit': 'Edit profiles, send password resets, reset two-factor, sign out devices, import CSV',
  'users.invite': 'Invite people, resend and revoke invitations',
  'users.disable': 'Disable and reactivate people',
  'users.delete': 'Delete and restore people',
  'users.export': 'Download the people and invitation exports',
  'groups.manage': 'Create and change entry points and their members',
  'audit.read': 'Read the audit trail',
  'settings.manage': 'Change settings, see single sign-on, manage tokens',
};

const roleChoices = [
  { value: 'member', label: 'Member' },
  { value: 'org_admin', label: 'Org admin (may do everything, including changing access)' },
];

function readOnly(person: PersonSummary, access: Access): Html {
  if (access.orgRole === 'org_admin') return html`<p>${personName(person)} is an org admin: they may do everything.</p>`;
  if (!access.permissions.length) return html`<p>${personName(person)} is a member: they may read people, entry points and settings, and change nothing.</p>`;
  return html`<p>${personName(person)} is a member who may also:</p>
<ul>${access.permissions.map((p) => html`<li>${permissionWords[p as Permission] ?? p}</li>`)}</ul>`;
}

/**
 * The person's org role and grants. Only an org admin changes them (PUT /users/:id/access is
 * org_admin's): the form the last-org-admin refusal and the 403 page point to. Everyone else,
 * and anyone looking at a deleted person (the API refuses them access), reads it.
 */
export function accessSection(viewer: Viewer, person: PersonSummary, access: Access): Html {
  const heading = html`<h2 id="access-h">Access</h2>`;
  if (!viewer.orgAdmin || person.status === 'deleted') return html`<section aria-labelledby="access-h">${heading}${readOnly(person, access)}</section>`;
  const own = person.id === viewer.userId;
  const boxes = permissions.map(
    (p) => html`<label class="inline"><input type="checkbox" name="permissions" value="${p}" data-type="list"${access.permissions.includes(p) ? html` checked` : ''}> ${permissionWords[p]}</label>`,
  );
  return html`<section aria-labelledby="access-h">${heading}
<form class="access" data-api="PUT /users/${person.id}/access" data-then="reload" data-success="Access saved.">
${own ? html`<p class="hint">This is your own account: making yourself a member takes your admin rights away at once (the organization’s last org admin cannot).</p>` : ''}
<label for="org-role">Organization role</label>
<select id="org-role" name="orgRole">${options(roleChoices, access.orgRole)}</select>
<fieldset>
<legend>A member may also</legend>
<p class="hint">An org admin holds all of these whatever is ticked.</p>
${boxes}
</fieldset>
<button type="submit">Save access</button>
</form>
</section>`;
}
