// The invite page: a live count of the pasted addresses (read with the
// server's rules, invite-addresses.js), then the answer of POST /invitations
// ({sent, notSent}) shown as a result view, focus on its heading.
import { announce } from './api.js';
import { countAddresses } from './invite-addresses.js';

const reasons = {
  invalid_email: 'Not an email address',
  duplicate_in_request: 'Listed more than once (invited once)',
  already_member: 'Already has an account in this organization',
  already_invited: 'Already invited: their invitation is still open',
  no_seats: 'No free seat: every seat of your licence is in use',
  restore_not_permitted: 'Deleted earlier: inviting them restores them, which needs the permission to delete people (and to disable them, if they were disabled)',
  manager_cycle: 'Deleted earlier: restoring them would close a loop of managers; change a manager on it first',
};

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function countLine(text) {
  const { recognised, invalid, duplicates } = countAddresses(text);
  if (!recognised && !invalid && !duplicates) return 'No addresses yet.';
  const extra = [invalid ? plural(invalid, 'entry is not an address', 'entries are not addresses') : '', duplicates ? plural(duplicates, 'repeat', 'repeats') : '']
    .filter(Boolean)
    .join(', ');
  return `${plural(recognised, 'address', 'addresses')} recognised${extra ? ` (${extra})` : ''}.`;
}

function element(tag, text, className) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (className) el.className = className;
  return el;
}

function sentList(sent) {
  if (!sent.length) return [];
  const details = element('details');
  details.append(element('summary', `Show the ${plural(sent.length, 'address', 'addresses')} invited`));
  const list = element('ul');
  for (const s of sent) list.append(element('li', s.email));
  details.append(list);
  return [details];
}

function notSentTable(notSent) {
  if (!notSent.length) return [];
  const heading = element('h3', `Not sent (${notSent.length})`);
  const wrap = element('div', undefined, 'table-wrap');
  const table = element('table');
  const head = table.createTHead().insertRow();
  for (const label of ['Address', 'Why not']) {
    const th = element('th', label);
    th.scope = 'col';
    head.append(th);
  }
  const body = table.createTBody();
  for (const item of notSent) {
    const row = body.insertRow();
    const th = element('th', item.email);
    th.scope = 'row';
    row.append(th);
    row.insertCell().textContent = reasons[item.reason] ?? item.reason;
  }
  wrap.append(table);
  return [heading, wrap];
}

function showResult(form, result, answer) {
  const sent = answer?.sent ?? [];
  const notSent = answer?.notSent ?? [];
  const summary = `${plural(sent.length, 'invitation', 'invitations')} sent${notSent.length ? `; ${plural(notSent.length, 'address was', 'addresses were')} not invited` : ''}.`;
  const heading = result.querySelector('[data-result-heading]');
  heading.textContent = sent.length ? 'Invitations sent' : 'Nobody was invited';
  result.querySelector('[data-result-sent]').replaceChildren(...sentList(sent));
  result.querySelector('[data-result-not-sent]').replaceChildren(...notSentTable(notSent));
  form.hidden = true;
  result.hidden = false;
  heading.focus();
  // Filled once visible, so its role=status reads it out; the page-wide one would repeat it.
  announce('');
  result.querySelector('[data-result-summary]').textContent = summary;
}

export function wireInvite(root) {
  const form = root.querySelector('form[data-invite]');
  const result = root.getElementById?.('invite-result');
  if (!form || !result) return;
  const textarea = form.querySelector('textarea[name="emails"]');
  const count = form.querySelector('[data-invite-count]');
  const update = () => (count.textContent = countLine(textarea.value));
  textarea.addEventListener('input', update);
  update();
  form.addEventListener('api:done', (event) => showResult(form, result, event.detail));
  result.querySelector('[data-invite-again]').addEventListener('click', () => {
    textarea.value = '';
    update();
    result.hidden = true;
    form.hidden = false;
    announce('');
    textarea.focus();
  });
}
