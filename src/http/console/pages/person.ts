import { html, when, type Html } from '../html.ts';
import type { ConsoleRoute } from '../page.ts';
import { can, type Viewer } from '../viewer.ts';
import { deleteForm, lifecycleActions, mayChangeAccount, personName, signInHelpActions, type PersonSummary } from './person-actions.ts';
import { accessSection, type Access } from './person-access.ts';
import { activitySection, devicesSection, invitationSection, membershipsSection, type Activity, type Invitation, type Membership, type Sessions } from './person-sections.ts';
import { managedBadge, statusBadge } from './users.ts';

interface PersonView extends PersonSummary {
  givenName: string | null;
  familyName: string | null;
  title: string | null;
  department: string | null;
  officeLocation: string | null;
  phone: string | null;
  createdAt: string;
  lastActiveAt: string | null;
  disabledAt: string | null;
  deletedAt: string | null;
}

/** The profile fields the person view carries, in the order a form shows them. */
const profileFields = [
  { name: 'givenName', label: 'First name', autocomplete: 'off' },
  { name: 'familyName', label: 'Last name', autocomplete: 'off' },
  { name: 'displayName', label: 'Display name', autocomplete: 'off' },
  { name: 'title', label: 'Job title', autocomplete: 'off' },
  { name: 'department', label: 'Department', autocomplete: 'off' },
  { name: 'officeLocation', label: 'Office', autocomplete: 'off' },
  { name: 'phone', label: 'Phone', autocomplete: 'off' },
] as const;

type ProfileField = (typeof profileFields)[number]['name'];

function facts(person: PersonView): Html {
  const row = (label: string, value: Html | string) => html`<dt>${label}</dt><dd>${value}</dd>`;
  return html`<dl class="facts">
${row('Email', person.email ?? '—')}
${row('Username', person.userName)}
${row('Status', html`${statusBadge(person.status)}${managedBadge(person.source)}`)}
${row('Created by', sourceLabel[person.source] ?? person.source)}
${row('Organization role', person.orgRole === 'org_admin' ? 'Org admin' : 'Member')}
${row('Added', when(person.createdAt))}
${row('Last active', when(person.lastActiveAt))}
${person.disabledAt ? row('Disabled', when(person.disabledAt)) : ''}
${person.deletedAt ? row('Deleted', when(person.deletedAt)) : ''}
</dl>`;
}

const sourceLabel: Record<string, string> = {
  scim: 'Your identity provider (SCIM)',
  'saml-jit': 'First single sign-on (just in time)',
  invitation: 'Invitation',
  csv: 'CSV import',
  admin: 'An administrator',
};

/**
 * Editable by users.edit holders, except for people the IdP provisions: the
 * API refuses their fields (updateProfile: scimOwnedFields), so they show as text.
 */
function profile(viewer: Viewer, person: PersonView): Html {
  const value = (field: ProfileField) => person[field] ?? '';
  const idpOwned = person.source === 'scim';
  const adminOnly = !mayChangeAccount(viewer, person);
  if (!can(viewer, 'users.edit') || idpOwned || adminOnly || person.status === 'deleted') {
    const why = idpOwned
      ? html`<p class="hint">These details come from your identity provider; change them there and they follow at its next update.</p>`
      : adminOnly && can(viewer, 'users.edit')
        ? html`<p class="hint">Only an org admin can change an org admin’s account.</p>`
        : person.status === 'deleted' && can(viewer, 'users.edit')
          ? html`<p class="hint">Restore this person to edit their profile.</p>`
          : '';
    return html`${why}<dl class="facts">${profileFields.map((f) => html`<dt>${f.label}</dt><dd>${value(f.name) || '—'}</dd>`)}</dl>`;
  }
  return html`<form class="profile" data-api="PATCH /users/${person.id}" data-only-changed data-then="reload" data-success="Profile saved.">
<div class="grid">${profileFields.map(
    (f) => html`<div><label for="p-${f.name}">${f.label}</label><input id="p-${f.name}" name="${f.name}" type="${f.name === 'phone' ? 'tel' : 'text'}" value="${value(f.name)}" autocomplete="${f.autocomplete}" maxlength="1000"></div>`,
  )}</div>
<button type="submit">Save profile</button>
</form>`;
}

export const personRoute: ConsoleRoute = {
  path: '/users/:id',
  title: 'Person',
  section: '/console/users',
  requirement: null,
  async render({ viewer, api, params }) {
    const id = encodeURIComponent(params.id ?? '');
    const person = await api.get<PersonView>(`/users/${id}`);
    const invitee = person.invitationId && (person.status === 'pending' || person.status === 'expired') ? person.invitationId : null;
    const [memberships, groups, settings, sessions, activity, invitation, access] = await Promise.all([
      api.get<{ memberships: Membership[] }>(`/users/${id}/memberships`),
      can(viewer, 'groups.manage') ? api.maybe<{ groups: Array<{ id: string; displayName: string; readOnly: boolean }> }>('/groups', { limit: 200 }) : null,
      api.get<{ roles: string[]; ssoEnforced: boolean }>('/settings'),
      api.maybe<Sessions>(`/users/${id}/sessions`),
      api.maybe<Activity>(`/users/${id}/activity`, { limit: 25 }),
      invitee ? api.maybe<Invitation>(`/invitations/${encodeURIComponent(invitee)}`) : null,
      // A deleted person has no access to read (404): the section is left out.
      api.maybe<Access>(`/users/${id}/access`),
    ]);
    const actions = [
      ...lifecycleActions(viewer, person, { className: 'secondary' }),
      ...signInHelpActions(viewer, person, { className: 'secondary', ssoEnforced: settings.ssoEnforced }),
    ];
    return {
      title: personName(person),
      body: html`<p><a href="/console/users">← All users</a></p>
${facts(person)}
${person.id === viewer.userId ? html`<p><a href="/console/account/password">Change your password</a></p>` : ''}
${actions.length ? html`<div class="person-actions" role="group" aria-label="Actions">${actions}</div>` : ''}
${deleteForm(viewer, person)}
${invitation ? invitationSection(invitation) : ''}
<section aria-labelledby="profile-h"><h2 id="profile-h">Profile</h2>${profile(viewer, person)}</section>
${access ? accessSection(viewer, person, access) : ''}
${membershipsSection(viewer, person, memberships.memberships, groups?.groups ?? null, settings.roles)}
${sessions ? devicesSection(person, sessions, mayChangeAccount(viewer, person)) : ''}
${activity ? activitySection(person, activity) : ''}`,
    };
  },
};
