import { html, when, type Html } from '../html.ts';
import type { ConsoleRoute } from '../page.ts';
import { can } from '../viewer.ts';
import { deleteForm, lifecycleActions, mayChangeAccount, personName, signInHelpActions } from './person-actions.ts';
import { accessSection, type Access } from './person-access.ts';
import { profileSection, type ManagerLogin, type ProfileValues } from './person-profile.ts';
import { activitySection, devicesSection, invitationSection, membershipsSection, type Activity, type Invitation, type Membership, type Sessions } from './person-sections.ts';
import { managedBadge, statusBadge } from './users.ts';

interface PersonView extends ProfileValues {
  /** The manager's id, kept while that manager is deleted (then `manager` is null). */
  managerId: string | null;
  manager: { id: string; displayName: string | null } | null;
  createdAt: string;
  lastActiveAt: string | null;
  disabledAt: string | null;
  disabledBy: string | null;
  deletedAt: string | null;
}

/** GET /users/:id of the manager: what the page names them by. */
interface ManagerRecord {
  id: string;
  displayName: string | null;
  email: string | null;
  userName: string;
}

/**
 * The manager: linked by name; one deleted since (the API keeps managerId and shows no manager) as a
 * deleted person, by name while their page is still readable (until the purge).
 */
function managerFact(person: PersonView, record: ManagerRecord | null): Html | string {
  if (person.manager) return html`<a href="/console/users/${person.manager.id}">${person.manager.displayName ?? 'Their manager'}</a>`;
  if (!person.managerId) return '';
  const gone = statusBadge('deleted');
  return record ? html`<a href="/console/users/${record.id}">${managerName(record)}</a> ${gone}` : html`A deleted person ${gone}`;
}

const managerName = (m: ManagerRecord) => m.displayName ?? m.email ?? m.userName;

/** The Manager field's value (what admins type: email, else username) and, for a manager deleted since, who to say it is. */
function managerLogin(person: PersonView, record: ManagerRecord | null): ManagerLogin {
  if (!person.managerId && !person.manager) return null;
  const deleted = !person.manager;
  return { login: record ? (record.email ?? record.userName) : (person.managerId ?? ''), deletedName: deleted ? (record ? managerName(record) : 'Their manager') : null };
}

function facts(person: PersonView, manager: ManagerRecord | null): Html {
  const managerRow = managerFact(person, manager);
  const row = (label: string, value: Html | string) => html`<dt>${label}</dt><dd>${value}</dd>`;
  return html`<dl class="facts">
${row('Email', person.email ?? '—')}
${row('Username', person.userName)}
${row('Status', html`${statusBadge(person.status)}${managedBadge(person.source)}`)}
${row('Created by', sourceLabel[person.source] ?? person.source)}
${managerRow ? row('Manager', managerRow) : ''}
${row('Organization role', person.orgRole === 'org_admin' ? 'Org admin' : 'Member')}
${row('Added', when(person.createdAt))}
${row('Last active', when(person.lastActiveAt))}
${person.disabledAt ? row('Disabled', html`${when(person.disabledAt)}${disabledByText(person)}`) : ''}
${person.deletedAt ? row('Deleted', when(person.deletedAt)) : ''}
</dl>`;
}

/** Who disabled them; for a disable made here, that the IdP cannot undo it (users.ts saveUser). */
function disabledByText(person: PersonView): string {
  const local = person.disabledBy === 'admin' || person.disabledBy === 'csv';
  const by = person.disabledBy === 'admin' ? ' by an administrator' : person.disabledBy === 'csv' ? ' by a CSV import' : person.disabledBy === 'scim' ? ' by your identity provider' : '';
  return local && person.source === 'scim' ? `${by}: stays disabled until reactivated here, whatever your identity provider sends` : by;
}

const sourceLabel: Record<string, string> = {
  scim: 'Your identity provider (SCIM)',
  'saml-jit': 'First single sign-on (just in time)',
  invitation: 'Invitation',
  csv: 'CSV import',
  admin: 'An administrator',
};

export const personRoute: ConsoleRoute = {
  path: '/users/:id',
  title: 'Person',
  section: '/console/users',
  requirement: null,
  async render({ viewer, api, params }) {
    const id = encodeURIComponent(params.id ?? '');
    const person = await api.get<PersonView>(`/users/${id}`);
    const managerId = person.manager?.id ?? person.managerId;
    const invitee = person.invitationId && (person.status === 'pending' || person.status === 'expired') ? person.invitationId : null;
    const [memberships, groups, settings, sessions, activity, invitation, access, manager] = await Promise.all([
      api.get<{ memberships: Membership[] }>(`/users/${id}/memberships`),
      can(viewer, 'groups.manage') ? api.maybe<{ groups: Array<{ id: string; displayName: string; readOnly: boolean }> }>('/groups', { limit: 200 }) : null,
      api.get<{ roles: string[]; ssoEnforced: boolean }>('/settings'),
      api.maybe<Sessions>(`/users/${id}/sessions`),
      api.maybe<Activity>(`/users/${id}/activity`, { limit: 25 }),
      invitee ? api.maybe<Invitation>(`/invitations/${encodeURIComponent(invitee)}`) : null,
      // A deleted person has no access to read (404): the section is left out.
      api.maybe<Access>(`/users/${id}/access`),
      // The profile form shows the manager as admins type them: their email, else their username; a deleted one too (until the purge).
      managerId ? api.maybe<ManagerRecord>(`/users/${encodeURIComponent(managerId)}`) : null,
    ]);
    const actions = [
      ...lifecycleActions(viewer, person, { className: 'secondary' }),
      ...signInHelpActions(viewer, person, { className: 'secondary', ssoEnforced: settings.ssoEnforced }),
    ];
    return {
      title: personName(person),
      body: html`<p><a href="/console/users">← All users</a></p>
${facts(person, manager)}
${person.id === viewer.userId ? html`<p><a href="/console/account/password">Change your password</a></p>` : ''}
${actions.length ? html`<div class="person-actions" role="group" aria-label="Actions">${actions}</div>` : ''}
${deleteForm(viewer, person)}
${invitation ? invitationSection(invitation) : ''}
${profileSection(viewer, person, managerLogin(person, manager))}
${access ? accessSection(viewer, person, access) : ''}
${membershipsSection(viewer, person, memberships.memberships, groups?.groups ?? null, settings.roles)}
${sessions ? devicesSection(person, sessions, mayChangeAccount(viewer, person)) : ''}
${activity ? activitySection(person, activity) : ''}`,
    };
  },
};
