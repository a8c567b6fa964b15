import { html, options, queryString, type Html } from '../html.ts';
import { can } from '../viewer.ts';
import type { ConsoleRoute } from '../page.ts';
import type { Group } from './groups.ts';
import { statusTabs } from './users.ts';

const userStatuses = [{ value: '', label: 'Any status' }, ...statusTabs.map((t) => ({ value: t.status, label: t.label }))];

const invitationStatuses = [
  { value: '', label: 'Any status' },
  { value: 'pending', label: 'Pending' },
  { value: 'expired', label: 'Expired' },
  { value: 'accepted', label: 'Accepted' },
  { value: 'revoked', label: 'Revoked' },
  { value: 'undeliverable', label: 'Undeliverable' },
];

/**
 * A date from an <input type="date"> as the instant the API wants: the start
 * of that day in UTC, or (for "until", which the API treats as exclusive) the
 * start of the next day, so the chosen day is included.
 */
export function dayBound(day: string | undefined, edge: 'start' | 'end'): string | undefined {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const at = new Date(`${day}T00:00:00Z`);
  // 2026-02-30 would roll over to March: a day that is not on the calendar is no day.
  if (Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== day) return undefined;
  if (edge === 'end') at.setUTCDate(at.getUTCDate() + 1);
  return at.toISOString();
}

function download(href: string, label: string): Html {
  return html`<p><a class="button" href="${href}" download>${label}</a></p>`;
}

/** Each export's filters are a GET form back to this page; the page answers the download link with them applied. */
/** The file's separator (not a filter): kept by every form on the page, added to every download. */
const delimiterChoices = [
  { value: '', label: 'Comma (,)' },
  { value: 'semicolon', label: 'Semicolon (;): Excel in German, French… locales' },
];

function delimiterOf(query: Record<string, string>): string | undefined {
  return query.delimiter === 'semicolon' ? 'semicolon' : undefined;
}

/** Every filter the page reads; each form sends its own and carries the others as they are. */
const pageKeys = ['status', 'group', 'q', 'invitationStatus', 'action', 'actor', 'target', 'since', 'until', 'delimiter'] as const;

/**
 * The other forms' values, hidden: applying the people filters used to drop the audit's (an
 * admin who came from the Audit page's "Export these events as CSV" lost the events chosen there).
 */
function keepOthers(query: Record<string, string>, own: readonly string[]): Html {
  return html`${pageKeys.filter((k) => !own.includes(k) && query[k]).map((k) => html`<input type="hidden" name="${k}" value="${query[k]}">`)}`;
}

/** A form of its own: the separator applies to every file below, and keeps their filters. */
function delimiterForm(query: Record<string, string>): Html {
  return html`<form method="get" action="/console/exports" class="export-filters">
${keepOthers(query, ['delimiter'])}
<label for="export-delimiter">Separator</label>
<select id="export-delimiter" name="delimiter">${options(delimiterChoices, delimiterOf(query) ?? '')}</select>
<button type="submit" class="secondary">Apply separator</button>
</form>`;
}

function peopleExports(base: string, query: Record<string, string>, groups: Group[]): Html {
  const delimiter = delimiterOf(query);
  const filters = { status: query.status, q: query.q, group: query.group };
  const groupChoices = [{ value: '', label: 'Any entry point' }, ...groups.map((g) => ({ value: g.id, label: g.displayName }))];
  return html`<section aria-labelledby="people-heading" class="export-card">
<h2 id="people-heading">People</h2>
<form method="get" action="/console/exports" class="export-filters">
${keepOthers(query, ['status', 'group', 'q'])}
<label for="export-status">Status</label>
<select id="export-status" name="status">${options(userStatuses, query.status ?? '')}</select>
<label for="export-group">Entry point</label>
<select id="export-group" name="group">${options(groupChoices, query.group ?? '')}</select>
<label for="export-q">Name or email contains</label>
<input id="export-q" name="q" type="search" value="${query.q ?? ''}">
<button type="submit" class="secondary">Apply people filters</button>
</form>
${download(`${base}/exports/users.csv${queryString({ ...filters, delimiter })}`, 'Download users.csv')}
${download(`${base}/exports/users-memberships.csv${queryString({ ...filters, delimiter })}`, 'Download memberships (users-memberships.csv)')}
</section>
<section aria-labelledby="invitations-heading" class="export-card">
<h2 id="invitations-heading">Invitations</h2>
<form method="get" action="/console/exports" class="export-filters">
${keepOthers(query, ['invitationStatus'])}
<label for="export-invitation-status">Status</label>
<select id="export-invitation-status" name="invitationStatus">${options(invitationStatuses, query.invitationStatus ?? '')}</select>
<button type="submit" class="secondary">Apply invitation filter</button>
</form>
${download(`${base}/exports/invitations.csv${queryString({ status: query.invitationStatus, delimiter })}`, 'Download invitations.csv')}
${download(`${base}/exports/invitations-memberships.csv${queryString({ status: query.invitationStatus, delimiter })}`, 'Download invitation memberships (invitations-memberships.csv)')}
</section>`;
}

function auditExport(base: string, query: Record<string, string>): Html {
  const filters = { action: query.action, actor: query.actor, target: query.target, since: dayBound(query.since, 'start'), until: dayBound(query.until, 'end') };
  return html`<section aria-labelledby="audit-heading" class="export-card">
<h2 id="audit-heading">Audit trail</h2>
<form method="get" action="/console/exports" class="export-filters">
${keepOthers(query, ['action', 'actor', 'target', 'since', 'until'])}
<label for="export-action">Action (exact, or a prefix such as user.)</label>
<input id="export-action" name="action" type="text" value="${query.action ?? ''}" pattern="[a-z0-9_.*]+">
<label for="export-actor">Actor (email or id)</label>
<input id="export-actor" name="actor" type="text" value="${query.actor ?? ''}">
<label for="export-target">Target (email, name or id)</label>
<input id="export-target" name="target" type="text" value="${query.target ?? ''}">
<label for="export-since">From (UTC day)</label>
<input id="export-since" name="since" type="date" value="${query.since ?? ''}">
<label for="export-until">Until (UTC day, included)</label>
<input id="export-until" name="until" type="date" value="${query.until ?? ''}">
<button type="submit" class="secondary">Apply audit filters</button>
</form>
${download(`${base}/exports/audit.csv${queryString({ ...filters, delimiter: delimiterOf(query) })}`, 'Download audit.csv')}
</section>`;
}

/** /console/exports: the four people exports (users.export) and the audit trail (audit.read), each with its filters. */
export const exportsRoute: ConsoleRoute = {
  path: '/exports',
  title: 'Exports',
  section: '/console/exports',
  requirement: ['users.export', 'audit.read'],
  async render({ viewer, api, query }) {
    const people = can(viewer, 'users.export');
    const groups = people ? (await api.get<{ groups: Group[] }>('/groups', { limit: 200 })).groups : [];
    return {
      body: html`<p class="hint">Each file is CSV (UTF-8) with a header row, built when you download it. Set the filters, apply them, then download.</p>
${delimiterForm(query)}
${people ? peopleExports(api.base, query, groups) : ''}
${can(viewer, 'audit.read') ? auditExport(api.base, query) : ''}`,
    };
  },
};
