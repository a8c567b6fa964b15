// <form data-bulk-report data-then="event">: the answer of a bulk change
// ({done, failed, results}) is said in words after the page reloads, with the
// reason of each failure, so nobody takes "done" for "all done".
// Before anything is sent: nothing selected is said on the page (no request), and a
// selection is confirmed with its size, as a slip of "select all" disables a whole page.
import { keepFocus, showProblems } from './api-forms.js';

const FLASH = 'gatehouse.flash';

function report(answer) {
  const done = answer?.done ?? 0;
  const failed = (answer?.results ?? []).filter((r) => !r.done);
  const head = `Disabled ${done} ${done === 1 ? 'person' : 'people'}.`;
  if (!failed.length) return head;
  const reasons = [...new Set(failed.map((r) => r.message ?? r.reason))].slice(0, 3).join(' ');
  return `${head} ${failed.length} could not be disabled: ${reasons}`;
}

// SCIM-managed rows (data-scim): a disable made here sticks against the IdP's routine "active", said
// as the one-person question says it (form's data-scim-note, person-actions.ts scimDisableNote).
function signedOut(form, checked) {
  const managed = checked.filter((box) => 'scim' in box.dataset).length;
  const note = form.dataset.scimNote;
  if (!managed || !note) return 'They are signed out everywhere at once.';
  if (managed === checked.length) return `They are signed out everywhere at once and ${note}`;
  return `They are signed out everywhere at once. The ${managed === 1 ? 'one' : managed} managed by your identity provider will ${note}`;
}

function guard(form, event) {
  const name = (form.dataset.collect ?? ':').split(':')[1];
  const checked = name ? [...document.querySelectorAll(`input[name="${CSS.escape(name)}"]:checked`)] : [];
  const count = checked.length;
  // The viewer's own row (data-self): a "select all" that catches it would sign them out too.
  const self = checked.some((box) => 'self' in box.dataset) ? ' Your own account is among them: you are signed out too, until another org admin reactivates you.' : '';
  if (count && window.confirm(`Disable ${count} ${count === 1 ? 'person' : 'people'}? ${signedOut(form, checked)}${self}`)) return;
  // A capture listener: stops api-forms.js's submit handler before it sends.
  event.preventDefault();
  event.stopImmediatePropagation();
  if (!count) showProblems(form, { problems: [], message: 'Select the people to disable first: tick their rows.' });
}

export function wireBulkReports(root) {
  for (const form of root.querySelectorAll('form[data-bulk-report]')) {
    form.addEventListener('submit', (event) => guard(form, event), { capture: true });
    form.addEventListener('api:done', (event) => {
      sessionStorage.setItem(FLASH, report(event.detail));
      keepFocus(form.querySelector('button[type="submit"]'));
      location.reload();
    });
  }
}
