// Entry point members (/console/groups/:id):
//   <form data-group-add="groupId">   email + role: finds the person by email (people-lookup.js), then
//                                     POST /groups/:id/members {members: [{userId, role}]}
//   <form data-group-role="groupId" data-user-id="…">  the same call with a new role changes an existing member's
// Both reload the page after success; problems go to a role=alert box in the form.
import { ApiFailure, callApi } from './api.js';
import { keepFocus, showProblems } from './api-forms.js';
import { findPerson } from './people-lookup.js';

const FLASH = 'gatehouse.flash';

const failed = (form, error) =>
  showProblems(form, error instanceof ApiFailure ? error : { problems: [], message: `Could not reach Gatehouse: ${error.message}` });

async function send(form, event, members, success) {
  event.preventDefault();
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const list = await members();
    if (!list) return;
    const answer = await callApi('POST', `/groups/${encodeURIComponent(form.dataset.groupAdd ?? form.dataset.groupRole)}/members`, { members: list });
    sessionStorage.setItem(FLASH, typeof success === 'function' ? success(answer) : success);
    keepFocus(button);
    location.reload();
  } catch (error) {
    failed(form, error);
  } finally {
    button.disabled = false;
  }
}

export function wireGroupMembers(root) {
  for (const form of root.querySelectorAll('form[data-group-add]')) {
    form.addEventListener('submit', (event) => {
      const email = form.elements.email.value;
      const role = form.elements.role.value;
      send(form, event, async () => {
        const person = await findPerson(email);
        if (person) return [{ userId: person.id, role }];
        showProblems(form, { problems: [{ field: 'email', reason: `nobody in this organization has the address ${email}: invite them first` }], message: '' });
        return null;
      }, (answer) => {
        // {added, roleChanged, unchanged}: ids. Someone already in the entry point is not "added".
        if (answer?.roleChanged?.length) return `${email} was already a member: role changed to ${role}.`;
        if (answer?.unchanged?.length) return `${email} was already a member, as ${role}.`;
        return `Added ${email}.`;
      });
    });
  }
  for (const form of root.querySelectorAll('form[data-group-role]')) {
    form.addEventListener('submit', (event) => {
      const role = form.elements.role.value;
      send(form, event, async () => [{ userId: form.dataset.userId, role }], `Role changed to ${role}.`);
    });
  }
}
