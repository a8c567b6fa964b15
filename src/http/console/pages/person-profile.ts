import type { ProfileField } from '../../../directory/people.ts';
import { html, type Html } from '../html.ts';
import { can, type Viewer } from '../viewer.ts';
import { mayChangeAccount, type PersonSummary } from './person-actions.ts';

/** The person page's Profile section: every field PATCH /users/:id edits, the manager too. */

export type ProfileValues = PersonSummary & { [F in ProfileField]: string | null };

/**
 * The manager as the form shows them: their email, else their userName (what admins type), and for a
 * manager deleted since, the name the field's hint says it of; null for none.
 */
export type ManagerLogin = { login: string; deletedName: string | null } | null;

interface FieldLook {
  label: string;
  /** Says what the API takes where it checks a format (http/admin/people.ts formats). */
  hint?: string;
  type?: 'tel';
}

/**
 * Each field the API edits (directory/people.ts profileFields: the Record makes a field the API
 * gains a compile error here until the page shows it), grouped as a form shows them, in order.
 */
const looks: Record<ProfileField, FieldLook> = {
  givenName: { label: 'First name' },
  middleName: { label: 'Middle name' },
  familyName: { label: 'Last name' },
  displayName: { label: 'Display name' },
  nickName: { label: 'Nickname' },
  title: { label: 'Job title' },
  department: { label: 'Department' },
  division: { label: 'Division' },
  organization: { label: 'Organization' },
  costCenter: { label: 'Cost center' },
  employeeNumber: { label: 'Employee number' },
  officeLocation: { label: 'Office' },
  phone: { label: 'Phone', type: 'tel', hint: 'As people type it: +49 30 1234567, (555) 123-4567 x12' },
  preferredLanguage: { label: 'Preferred language', hint: 'A language tag: en, pt-BR' },
  locale: { label: 'Locale', hint: 'A language tag: en-US, de-CH' },
  timezone: { label: 'Time zone', hint: 'An IANA time zone: Europe/Berlin, America/New_York, UTC' },
};

const groups: Array<{ legend: string; fields: ProfileField[]; withManager?: true }> = [
  { legend: 'Name', fields: ['givenName', 'middleName', 'familyName', 'displayName', 'nickName'] },
  { legend: 'Work', fields: ['title', 'department', 'division', 'organization', 'costCenter', 'employeeNumber', 'officeLocation'], withManager: true },
  { legend: 'Contact and language', fields: ['phone', 'preferredLanguage', 'locale', 'timezone'] },
];

function input(person: ProfileValues, name: ProfileField): Html {
  const look = looks[name];
  const id = `p-${name}`;
  return html`<div><label for="${id}">${look.label}</label><input id="${id}" name="${name}" type="${look.type ?? 'text'}" value="${person[name] ?? ''}" autocomplete="off" maxlength="1000"${look.hint ? html` aria-describedby="${id}-hint"` : ''}>${look.hint ? html`<p id="${id}-hint" class="hint">${look.hint}</p>` : ''}</div>`;
}

/**
 * The manager, typed as admins know them (their email or username): api-forms.js turns it into the
 * id PATCH takes (data-type="person") and says at the field when nobody has it. A manager deleted
 * since stays in the field, said to be deleted: emptying it is the change that clears them (an
 * empty field would have nothing to change), and saving other fields leaves it alone.
 */
function managerInput(manager: ManagerLogin): Html {
  const deleted = manager?.deletedName;
  return html`<div><label for="p-managerId">Manager</label><input id="p-managerId" name="managerId" type="text" value="${manager?.login ?? ''}" data-type="person" autocomplete="off" maxlength="320" aria-describedby="p-managerId-hint${deleted ? ' p-managerId-deleted' : ''}"><p id="p-managerId-hint" class="hint">Their email or username; empty for no manager</p>${deleted ? html`<p id="p-managerId-deleted" class="hint">${deleted} is a deleted person: empty this field and save to remove them as manager.</p>` : ''}</div>`;
}

function readOnly(person: ProfileValues, why: Html | string): Html {
  return html`${why}<dl class="facts">${groups.flatMap((g) => g.fields).map((f) => html`<dt>${looks[f].label}</dt><dd>${person[f] || '—'}</dd>`)}</dl>`;
}

/**
 * Editable by users.edit holders, except for people the IdP provisions: the API refuses their
 * fields (updateProfile: scimOwnedFields), so they show as text. Save sends only the fields
 * edited (data-only-changed), so a change made meanwhile stays.
 */
export function profileSection(viewer: Viewer, person: ProfileValues, manager: ManagerLogin): Html {
  const idpOwned = person.source === 'scim';
  const adminOnly = !mayChangeAccount(viewer, person);
  const body = !can(viewer, 'users.edit') || idpOwned || adminOnly || person.status === 'deleted'
    ? readOnly(
        person,
        idpOwned
          ? html`<p class="hint">These details come from your identity provider; change them there and they follow at its next update.</p>`
          : adminOnly && can(viewer, 'users.edit')
            ? html`<p class="hint">Only an org admin can change an org admin’s account.</p>`
            : person.status === 'deleted' && can(viewer, 'users.edit')
              ? html`<p class="hint">Restore this person to edit their profile.</p>`
              : '',
      )
    : html`<form class="profile" data-api="PATCH /users/${person.id}" data-only-changed data-then="reload" data-success="Profile saved.">
${groups.map((g) => html`<fieldset><legend>${g.legend}</legend><div class="grid">${g.fields.map((f) => input(person, f))}${g.withManager ? managerInput(manager) : ''}</div></fieldset>`)}
<button type="submit">Save profile</button>
</form>`;
  return html`<section aria-labelledby="profile-h"><h2 id="profile-h">Profile</h2>${body}</section>`;
}
