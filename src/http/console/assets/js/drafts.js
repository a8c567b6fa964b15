// What the admin typed survives a session that ended while they filled in a form. A change answered
// 401 sends the browser to sign in and back to this page (api.js); just before, keepDrafts writes the
// fields edited in this page's forms to sessionStorage (this tab only, gone with it), under this page
// of this org. The next console page drawn takes them: the same page puts them back, says so and
// focuses the first; any page forgets them. Nothing is sent until the admin saves.
// Never kept: passwords and other secrets (type=password, an autocomplete of a password or a one-time
// code, data-secret), hidden and file fields, read-only ones, and typed confirmations (data-confirm-input).
import { isEdited } from './edits.js';
import { announce } from './status.js';

const DRAFT = 'gatehouse.draft';
const RESTORED = 'Your session had ended: what you typed is back. Check it, then save.';

const here = () => `${document.querySelector('meta[name="api-base"]')?.getAttribute('content') ?? ''} ${location.pathname}${location.search}`;

/** The forms that take input (not the GET search forms), each under a name that holds across a reload. */
function forms() {
  const named = new Map();
  const seen = new Map();
  for (const form of document.querySelectorAll('main form:not([method="get"])')) {
    const base = form.id || form.getAttribute('data-api') || form.className || 'form';
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    named.set(form.id ? base : `${base}#${n}`, form);
  }
  return named;
}

function keepable(el) {
  if (!['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) || el.disabled || el.readOnly) return false;
  if (['password', 'hidden', 'file', 'submit', 'button', 'reset', 'image'].includes(el.type)) return false;
  if ('secret' in el.dataset || 'confirmInput' in el.dataset) return false;
  return !/password|one-time-code/.test(el.getAttribute('autocomplete') ?? '');
}

/** A field by its name, else its id, else its label (a picker's role <select> has only that); a box also by its value. */
function keyOf(el) {
  const name = el.name || (el.id && `#${el.id}`) || (el.getAttribute('aria-label') && `@${el.getAttribute('aria-label')}`);
  if (!name) return null;
  return el.type === 'checkbox' || el.type === 'radio' ? `${name}=${el.value}` : name;
}

function valueOf(el) {
  if (el.type === 'checkbox' || el.type === 'radio') return el.checked;
  if (el.tagName === 'SELECT' && el.multiple) return [...el.selectedOptions].map((o) => o.value);
  return el.value;
}

function put(el, value) {
  if (el.type === 'checkbox' || el.type === 'radio') el.checked = value === true;
  else if (el.tagName === 'SELECT' && el.multiple) for (const o of el.options) o.selected = Array.isArray(value) && value.includes(o.value);
  else el.value = String(value);
}

/** Before the browser leaves to sign in again: the edited fields of this page's forms. */
export function keepDrafts() {
  const drafts = {};
  for (const [name, form] of forms()) {
    const fields = {};
    for (const el of form.elements) {
      const key = keepable(el) && isEdited(el) ? keyOf(el) : null;
      if (key) fields[key] = valueOf(el);
    }
    if (Object.keys(fields).length) drafts[name] = fields;
  }
  if (Object.keys(drafts).length) sessionStorage.setItem(DRAFT, JSON.stringify({ page: here(), forms: drafts }));
  else sessionStorage.removeItem(DRAFT);
}

function readDraft() {
  const saved = sessionStorage.getItem(DRAFT);
  if (saved === null) return null;
  sessionStorage.removeItem(DRAFT);
  try {
    const draft = JSON.parse(saved);
    return draft?.page === here() && draft.forms && typeof draft.forms === 'object' ? draft.forms : null;
  } catch {
    return null;
  }
}

/** On every console page, after the other scripts are wired (they hear the fields change). */
export function restoreDrafts() {
  const drafts = readDraft();
  if (!drafts) return;
  const restored = [];
  for (const [name, form] of forms()) {
    const fields = drafts[name];
    if (!fields) continue;
    for (const el of form.elements) {
      const key = keepable(el) ? keyOf(el) : null;
      if (key && Object.hasOwn(fields, key)) restored.push([el, fields[key]]);
    }
  }
  if (!restored.length) return;
  // Last to first: a picker's role <select> ticks its row's box when it changes (person-memberships.js),
  // so the box, before it in the page, is given its own kept value after.
  for (const [el, value] of restored.toReversed()) {
    put(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
  }
  announce(RESTORED);
  restored[0][0].focus();
}
