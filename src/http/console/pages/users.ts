import { html, options, queryString, when, type Html } from '../html.ts';
import { can, type Viewer } from '../viewer.ts';
import type { ConsoleRoute } from '../page.ts';
import { lifecycleActions, mayChangeAccount, personName, scimDisableNote, type PersonSummary } from './person-actions.ts';

interface Person extends PersonSummary {
  lastActiveAt: string | null;
  groups: Array<{ id: string; displayName: string; role: string }>;
}

interface Page {
  users: Person[];
  counts: Record<string, number>;
  nextCursor: string | null;
}

/** The status tabs, in the order admins read them; `enabled` = active + pending + expired. */
export const statusTabs = [
  { status: 'enabled', label: 'Enabled' },
  { status: 'active', label: 'Active' },
  { status: 'pending', label: 'Pending' },
  { status: 'expired', label: 'Expired' },
  { status: 'disabled', label: 'Disabled' },
  { status: 'deleted', label: 'Deleted' },
] as const;

export const statusLabel: Record<string, string> = Object.fromEntries(statusTabs.map((t) => [t.status, t.label]));

export function statusBadge(status: string): Html {
  return html`<span class="badge badge-${status}">${statusLabel[status] ?? status}</span>`;
}

export function managedBadge(source: string): Html {
  return source === 'scim' ? html` <span class="badge badge-idp" title="Created and updated by your identity provider over SCIM">Managed by your identity provider</span>` : html``;
}

/** The actions a row offers for its status; deleting (typed confirmation) happens on the person page. */
function rowActions(viewer: Viewer, person: Person): Html {
  const remove = can(viewer, 'users.delete') && mayChangeAccount(viewer, person) && person.status !== 'deleted'
    ? html`<a href="/console/users/${person.id}#delete" aria-label="Delete ${personName(person)}…">Delete…</a>`
    : '';
  return html`${lifecycleActions(viewer, person)}${remove}`;
}

function table(viewer: Viewer, people: Person[]): Html {
  if (!people.length) return html`<p class="empty">Nobody matches these filters.</p>`;
  const rows = people.map(
    (p) => html`<tr>
<td><input type="checkbox" name="row" value="${p.id}" form="bulk" aria-label="Select ${p.displayName ?? p.email ?? p.userName}"${p.id === viewer.userId ? html` data-self` : ''}${p.source === 'scim' ? html` data-scim` : ''}></td>
<td><a href="/console/users/${p.id}">${p.displayName ?? p.userName}</a>${managedBadge(p.source)}</td>
<td>${p.email ?? ''}</td>
<td>${statusBadge(p.status)}</td>
<td>${p.groups.map((g, i) => html`${i ? ', ' : ''}<a href="/console/groups/${g.id}">${g.displayName}</a>`)}</td>
<td>${when(p.lastActiveAt)}</td>
<td class="actions">${rowActions(viewer, p)}</td>
</tr>`,
  );
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">People in this view</caption>
<thead><tr><th scope="col"><input type="checkbox" data-select-all="row" aria-label="Select all on this page"></th><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Status</th><th scope="col">Entry points</th><th scope="col">Last active</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

export const usersRoute: ConsoleRoute = {
  path: '/users',
  title: 'Users',
  section: '/console/users',
  requirement: null,
  wide: true,
  async render({ viewer, api, query }) {
    const status = query.status ?? 'enabled';
    const filters = { status, q: query.q, group: query.group };
    const [page, groups] = await Promise.all([
      api.get<Page>('/users', { ...filters, cursor: query.cursor, limit: 50 }),
      api.maybe<{ groups: Array<{ id: string; displayName: string }> }>('/groups', { limit: 200 }),
    ]);
    const tabLinks = statusTabs.map(
      (t) =>
        html`<li><a href="/console/users${queryString({ ...filters, status: t.status })}"${t.status === status ? html` aria-current="true"` : ''}>${t.label} <span class="count">${page.counts[t.status] ?? 0}</span></a></li>`,
    );
    const exportHref = `${api.base}/exports/users.csv${queryString(filters)}`;
    // data-scim-note: what person-bulk.js's question adds when the selection holds SCIM-managed people (data-scim).
    // data-then="event": person-bulk.js reports how many were done and failed, then reloads. More than the
    // org's mass-disable threshold is refused (409) until confirmed: data-force-confirm asks, then sends force.
    const bulk = html`<form id="bulk" class="bulk" data-api="POST /users/disable" data-collect="ids:row" data-then="event" data-bulk-report data-force-confirm="Disable them anyway?" data-scim-note="${scimDisableNote}">
${can(viewer, 'users.disable') ? html`<button type="submit">Disable selected</button>` : ''}
${can(viewer, 'users.export') ? html`<a class="button" href="${exportHref}" data-export-selected="row" download>Export ${status === 'enabled' ? 'this view' : statusLabel[status]?.toLowerCase() ?? 'this view'}</a>` : ''}
</form>`;
    const next = page.nextCursor ? html`<a href="/console/users${queryString({ ...filters, cursor: page.nextCursor })}" rel="next">Next page</a>` : '';
    const first = query.cursor ? html`<a href="/console/users${queryString(filters)}">First page</a>` : '';
    return {
      body: html`<nav aria-label="Status"><ul class="tabs">${tabLinks}</ul></nav>
<form class="search" method="get" action="/console/users" role="search">
<input type="hidden" name="status" value="${status}">
<div class="field"><label for="q">Search by name or email</label>
<input id="q" name="q" type="search" value="${query.q ?? ''}"></div>
${groups?.groups.length ? html`<div class="field"><label for="group">Entry point</label>
<select id="group" name="group"><option value="">All entry points</option>${options(groups.groups.map((g) => ({ value: g.id, label: g.displayName })), query.group)}</select></div>` : ''}
<button type="submit">Search</button>
</form>
${bulk}
${table(viewer, page.users)}
<p class="pager">${first} ${next}</p>`,
    };
  },
};
