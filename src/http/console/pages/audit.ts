import { html, queryString, when, type Html } from '../html.ts';
import { ApiError } from '../api-client.ts';
import { problemList } from '../layout.ts';
import type { ConsoleRoute } from '../page.ts';
import { dayBound } from './exports.ts';
import { auditNote, deletedMemberNames } from './audit-notes.ts';

interface Party {
  type: string;
  id: string | null;
  label: string | null;
}

interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: Party;
  target: Party | null;
  changes: Record<string, { before: unknown; after: unknown }>;
  details: Record<string, unknown>;
  requestId: string | null;
}

const show = (v: unknown) => (v === null || v === undefined || v === '' ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));

function party(p: Party | null): Html {
  if (!p) return html`—`;
  const name = p.label ?? p.id ?? p.type;
  const link = p.type === 'user' && p.id ? html`<a href="/console/users/${p.id}">${name}</a>` : p.type === 'group' && p.id ? html`<a href="/console/groups/${p.id}">${name}</a>` : html`${name}`;
  return html`${link} <span class="hint">(${p.type})</span>`;
}

function changes(event: AuditEvent, names: Map<string, string>): Html {
  const entries = Object.entries(event.changes);
  const note = auditNote(event.action, event.details, names) ?? html``;
  if (!entries.length) return note;
  return html`<ul class="audit-changes">${entries.map(([field, c]) => html`<li><span class="audit-field">${field}</span>: ${show(c.before)} → ${show(c.after)}</li>`)}</ul>${note}`;
}

function table(events: AuditEvent[], names: Map<string, string>): Html {
  if (!events.length) return html`<p class="empty">No event matches these filters.</p>`;
  const rows = events.map(
    (e) => html`<tr>
<td>${when(e.at)}</td>
<td>${party(e.actor)}</td>
<td><code>${e.action}</code></td>
<td>${party(e.target)}</td>
<td>${changes(e, names)}</td>
</tr>`,
  );
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">Audit events, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Changes (before → after)</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function filterForm(query: Record<string, string>): Html {
  const field = (name: string, label: string, type = 'text') =>
    html`<div><label for="audit-${name}">${label}</label><input id="audit-${name}" name="${name}" type="${type}" value="${query[name] ?? ''}"></div>`;
  return html`<form method="get" action="/console/audit" class="audit-filters" role="search" aria-label="Filter the audit trail">
${field('action', 'Action or prefix (user.)')}
${field('actor', 'Actor (email or id)')}
${field('target', 'Target (email, name or id)')}
${field('since', 'From (UTC day)', 'date')}
${field('until', 'Until (UTC day, included)', 'date')}
<div><button type="submit">Filter</button> <a href="/console/audit">Clear filters</a></div>
</form>`;
}

/** /console/audit: the org's audit trail, newest first, filtered and paged by the API's cursor. */
export const auditRoute: ConsoleRoute = {
  path: '/audit',
  title: 'Audit',
  section: '/console/audit',
  requirement: 'audit.read',
  wide: true,
  async render({ api, query }) {
    const filters = { action: query.action, actor: query.actor, target: query.target, since: query.since, until: query.until };
    const apiFilters = { action: query.action?.trim(), actor: query.actor?.trim(), target: query.target?.trim(), since: dayBound(query.since, 'start'), until: dayBound(query.until, 'end') };
    let list: Html;
    let next: Html | string = '';
    // A day the form cannot read is said so, never dropped: the list would look filtered and show everything.
    const badDays = (['since', 'until'] as const).filter((key) => query[key] && !apiFilters[key]).map((key) => `${key}: must be a day (YYYY-MM-DD)`);
    if (badDays.length) {
      list = problemList(badDays);
    } else {
      try {
        const page = await api.get<{ events: AuditEvent[]; nextCursor: string | null }>('/audit', { ...apiFilters, cursor: query.cursor, limit: 50 });
        list = table(page.events, await deletedMemberNames(api, page.events.map((e) => e.details)));
        if (page.nextCursor) next = html`<a href="/console/audit${queryString({ ...filters, cursor: page.nextCursor })}" rel="next">Older events</a>`;
      } catch (error) {
        // A filter the API refuses (an action with spaces…) is the visitor's to fix, on this page.
        if (!(error instanceof ApiError) || error.status !== 400) throw error;
        const problems = (error.details.problems as Array<{ field: string; reason: string }> | undefined) ?? [];
        list = problemList(problems.length ? problems.map((p) => `${p.field.replace(/^query\./, '')}: ${p.reason}`) : [error.message]);
      }
    }
    const first = query.cursor ? html`<a href="/console/audit${queryString(filters)}">Newest events</a>` : '';
    const exportLink = html`<a href="/console/exports${queryString(filters)}">Export these events as CSV</a>`;
    return {
      body: html`${filterForm(query)}
<p>${exportLink}</p>
${list}
<p class="pager">${first} ${next}</p>`,
    };
  },
};
