// <form data-api="METHOD /path"> sends its fields to the admin API as JSON.
//   data-then="reload" | "redirect:/console/…{id}…" | "event"  what follows success
//   data-confirm="question"       asks first (window.confirm)
//   data-collect="key:name"       sends the values of the page's checked inputs named `name` as key: [...]
//   data-omit-empty               leaves out empty text fields (create forms); else "" is sent (clears a field)
//   data-only-changed             sends only the fields edited since the page was drawn (edits.js: text, ticks,
//                                 choices; a list of boxes whole if one changed), for a PATCH of a record
//                                 someone else may change meanwhile; nothing edited → "No changes", nothing sent
//   data-success="message"        announced after success (before a reload it is kept in sessionStorage)
//   data-if-match="W/\"3\""         sent as If-Match: the version the page was drawn from; a 412 (someone changed
//                                 the record since) is shown as such, with what to do, and nothing is saved
//   data-force-confirm="question" a 409 that needs force (details.needsForce: the mass-disable guard) is put
//                                 to the person with its numbers; yes sends the same body again with "force": true
// Field typing: data-type="bool" (checkbox → true/false), "int", "list" (lines or commas → array;
// several checkboxes with one name → array of the checked values), "json", "person" (an email or
// username → that person's id, people-lookup.js; empty → null; nobody → a problem at the field).
// Dotted names nest: a.b.
// "event": dispatches `api:done` on the form with the answer in event.detail, for page scripts.
import { ApiFailure, announce, callApi } from './api.js';
import { isEdited } from './edits.js';
import { clearFieldErrors, showFieldErrors } from './field-errors.js';
import { findPerson } from './people-lookup.js';

const FLASH = 'gatehouse.flash';
const STALE = 'Nothing was saved: someone else changed these settings after this page was loaded. Reload the page to see their change, then make yours again.';
const FOCUS = 'gatehouse.focus';

const nameOf = (el) => (el.getAttribute('aria-label') ?? el.textContent ?? '').trim();

/**
 * Before a reload: the control the admin used, so the reloaded page gives it focus back (a keyboard
 * user resending invitations down a list goes on from that row, not from the top of the page);
 * null when the page changes (a redirect), which then focuses its message.
 */
export function keepFocus(control) {
  sessionStorage.setItem(FOCUS, control ? nameOf(control) : '');
}

function restoreFocus() {
  const wanted = sessionStorage.getItem(FOCUS);
  if (wanted === null) return;
  sessionStorage.removeItem(FOCUS);
  const control = wanted ? [...document.querySelectorAll('main button, main a, main summary')].find((el) => nameOf(el) === wanted) : null;
  if (control) return control.focus();
  // The control went with the change (a disabled row leaves the Active tab): the message saying what was done.
  const region = document.querySelector('[data-status]');
  if (!region) return;
  region.setAttribute('tabindex', '-1');
  region.focus();
}

function setPath(target, name, value) {
  const keys = name.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys.at(-1)] = value;
}

function fieldValue(el) {
  const type = el.dataset.type;
  if (type === 'bool') return el.type === 'checkbox' ? el.checked : el.value === 'true';
  if (type === 'int') return el.value === '' ? null : Number(el.value);
  if (type === 'json') return el.value === '' ? null : JSON.parse(el.value);
  if (type === 'person') return el.value.trim() === '' ? null : el.value.trim();
  if (type === 'list') {
    if (el.tagName === 'SELECT') return [...el.selectedOptions].map((o) => o.value);
    return el.value.split(/[\n,;]+/).map((v) => v.trim()).filter(Boolean);
  }
  return el.value;
}

/** The body's person fields (data-type="person") as ids; the problems of those nobody has. */
async function resolvePeople(form, body) {
  const problems = [];
  for (const el of form.querySelectorAll('[data-type="person"]')) {
    const text = body[el.name];
    if (typeof text !== 'string') continue;
    const person = await findPerson(text);
    if (person) body[el.name] = person.id;
    else problems.push({ field: el.name, reason: `nobody in this organization has the email or username ${text}` });
  }
  return problems;
}

export function formBody(form) {
  const body = {};
  const lists = new Map();
  const onlyChanged = 'onlyChanged' in form.dataset;
  const editedLists = new Set();
  const [collectKey, collectName] = (form.dataset.collect ?? ':').split(':');
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.type === 'submit' || el.type === 'button' || el.type === 'file' || el.name === collectName) continue;
    if (el.type === 'checkbox' && el.dataset.type === 'list') {
      if (!lists.has(el.name)) lists.set(el.name, []);
      if (el.checked) lists.get(el.name).push(el.value);
      if (isEdited(el)) editedLists.add(el.name);
      continue;
    }
    if (el.type === 'radio' && !el.checked) continue;
    if (el.type === 'checkbox' && el.dataset.type !== 'bool' && !el.checked) continue;
    // An untouched field would write the value the page was drawn with back over a newer one.
    if (onlyChanged && !isEdited(el)) continue;
    const value = fieldValue(el);
    if ('omitEmpty' in form.dataset && (value === '' || value === null)) continue;
    setPath(body, el.name, value);
  }
  for (const [name, values] of lists) if (!onlyChanged || editedLists.has(name)) setPath(body, name, values);
  if (collectName) body[collectKey] = [...document.querySelectorAll(`input[name="${CSS.escape(collectName)}"]:checked`)].map((el) => el.value);
  return body;
}

// The form's field a problem names: the whole dotted name (passwordPolicy.minLength), else its
// longest prefix that is a field (roles.3 → roles, with `rest` ['3']); a hidden field cannot take
// focus, so it is none.
function fieldOf(form, name) {
  const parts = name.split('.');
  for (let n = parts.length; n > 0; n--) {
    const field = form.querySelector(`[name="${CSS.escape(parts.slice(0, n).join('.'))}"]`);
    if (field) return field.type === 'hidden' ? null : { field, rest: parts.slice(n) };
  }
  return null;
}

// A problem as the admin reads it: the field by its label (invitationTtlDays is "Invitation lifetime
// (days)"), and for an entry of a list field the line it is on (roles.2 → "…, line 3"). A field the
// form does not show keeps the API's name; a conflict about one (api.js) is its message alone.
function problemLine(form, problem) {
  const name = String(problem.field);
  if (problem.message && !fieldOf(form, name)) return problem.message;
  return `${fieldName(form, name)}: ${problem.reason}`;
}

function fieldName(form, name) {
  const found = fieldOf(form, name);
  const label = found && (found.field.labels?.[0]?.textContent ?? found.field.getAttribute('aria-label') ?? '').replace(/\s+/g, ' ').trim();
  if (!label) return name;
  const [index, ...deeper] = found.rest;
  if (index === undefined) return label;
  if (/^\d+$/.test(index) && !deeper.length) return `${label}, ${found.field.tagName === 'TEXTAREA' ? 'line' : 'entry'} ${Number(index) + 1}`;
  return `${label} (${found.rest.join('.')})`;
}

export function showProblems(form, error) {
  let box = form.querySelector('[data-form-error]');
  if (!box) {
    box = document.createElement('div');
    box.className = 'alert';
    box.setAttribute('role', 'alert');
    box.dataset.formError = '';
    form.prepend(box);
  }
  box.replaceChildren();
  const lines = error.problems.length ? error.problems.map((p) => problemLine(form, p)) : [error.message];
  const list = document.createElement('ul');
  for (const line of lines) {
    const item = document.createElement('li');
    item.textContent = line;
    list.append(item);
  }
  box.append(list);
  for (const el of form.elements) el.removeAttribute?.('aria-invalid');
  const reasons = new Map();
  for (const problem of error.problems) {
    const found = fieldOf(form, String(problem.field));
    if (!found) continue;
    found.field.setAttribute('aria-invalid', 'true');
    // An entry of a list field keeps its place in the words (", line 3: …"); the field itself, its reason.
    const line = found.rest.length ? problemLine(form, problem) : problem.reason;
    reasons.set(found.field, [...(reasons.get(found.field) ?? []), line]);
  }
  showFieldErrors(form, reasons);
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
  else {
    box.setAttribute('tabindex', '-1');
    box.focus();
  }
}

function clearProblems(form) {
  form.querySelector('[data-form-error]')?.remove();
  for (const el of form.elements) el.removeAttribute?.('aria-invalid');
  clearFieldErrors(form);
}

/** The guard's numbers in words, then the form's question. */
function forceQuestion(form, error) {
  const m = error.details.massDisable;
  const said = m
    ? `This disables ${m.disable} of the organization's ${m.enabled} enabled people, more than its mass-disable threshold (${Number((m.threshold * 100).toFixed(1))}%).`
    : error.message;
  return `${said} ${form.dataset.forceConfirm}`;
}

/** Sends the form's body; a refusal that only needs force is asked about (data-force-confirm) and sent again forced. */
async function send(form, method, path, body) {
  const ifMatch = form.dataset.ifMatch;
  try {
    return await callApi(method, path, body, ifMatch);
  } catch (error) {
    const askable = error instanceof ApiFailure && error.status === 409 && error.details.needsForce === true && body && 'forceConfirm' in form.dataset;
    if (!askable || !window.confirm(forceQuestion(form, error))) throw error;
    return callApi(method, path, { ...body, force: true }, ifMatch);
  }
}

async function submit(form, event) {
  event.preventDefault();
  if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
  const [method, path] = form.dataset.api.split(' ');
  const buttons = [...form.querySelectorAll('button[type="submit"], button:not([type])')];
  buttons.forEach((b) => (b.disabled = true));
  try {
    // Always JSON: the admin API reads no multipart, and a file field's content is copied into a
    // field first (sso-metadata.js); a FormData body was answered 415 (it used to be ignored).
    const body = method === 'GET' ? undefined : formBody(form);
    if ('onlyChanged' in form.dataset && body && !Object.keys(body).length) {
      clearProblems(form);
      announce('No changes to save.');
      return;
    }
    const unknown = body ? await resolvePeople(form, body) : [];
    if (unknown.length) {
      showProblems(form, { problems: unknown, message: '' });
      return;
    }
    const answer = await send(form, method, path, body);
    clearProblems(form);
    const then = form.dataset.then ?? 'reload';
    const message = form.dataset.success ?? 'Done.';
    if (then === 'event') {
      announce(message);
      form.dispatchEvent(new CustomEvent('api:done', { detail: answer, bubbles: true }));
    } else if (then.startsWith('redirect:')) {
      sessionStorage.setItem(FLASH, message);
      keepFocus(null);
      location.assign(then.slice('redirect:'.length).replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(answer?.[key] ?? '')));
    } else {
      sessionStorage.setItem(FLASH, message);
      keepFocus(event.submitter ?? buttons[0] ?? null);
      location.reload();
    }
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 412) showProblems(form, { problems: [], message: STALE });
    else if (error instanceof ApiFailure) showProblems(form, error);
    else showProblems(form, { problems: [], message: `Could not reach Gatehouse: ${error.message}` });
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

export function wireApiForms(root) {
  const flash = sessionStorage.getItem(FLASH);
  if (flash) {
    sessionStorage.removeItem(FLASH);
    announce(flash);
  }
  restoreFocus();
  for (const form of root.querySelectorAll('form[data-api]')) {
    form.addEventListener('submit', (event) => submit(form, event));
  }
}
