import { html, queryString, when, type Html } from '../html.ts';
import { can } from '../viewer.ts';
import type { ConsoleRoute } from '../page.ts';

export interface Group {
  id: string;
  displayName: string;
  description: string | null;
  externalId: string | null;
  source: string;
  readOnly: boolean;
  memberCount: number;
  createdAt: string;
  updatedAt: string;
}

/** SCIM groups belong to the IdP: the console shows them and never offers to change them. */
export function idpBadge(group: Pick<Group, 'readOnly'>): Html {
  return group.readOnly ? html` <span class="badge badge-idp" title="Created and updated by your identity provider over SCIM">Managed by your identity provider</span>` : html``;
}

function table(groups: Group[]): Html {
  if (!groups.length) return html`<p class="empty">No entry points match.</p>`;
  const rows = groups.map(
    (g) => html`<tr>
<td><a href="/console/groups/${g.id}">${g.displayName}</a>${idpBadge(g)}</td>
<td>${g.description ?? ''}</td>
<td class="num">${g.memberCount}</td>
<td>${when(g.updatedAt)}</td>
</tr>`,
  );
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">Entry points</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col" class="num">Members</th><th scope="col">Last changed</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

/** /console/groups: every entry point with its member count; search; create for those with groups.manage. */
export const groupsRoute: ConsoleRoute = {
  path: '/groups',
  title: 'Entry points',
  section: '/console/groups',
  requirement: null,
  async render({ viewer, api, query }) {
    const page = await api.get<{ groups: Group[]; nextCursor: string | null }>('/groups', { q: query.q, cursor: query.cursor, limit: 50 });
    const create = can(viewer, 'groups.manage')
      ? html`<h2>Create an entry point</h2>
<form class="groups-create" data-api="POST /groups" data-omit-empty data-then="redirect:/console/groups/{id}" data-success="Entry point created.">
<label for="new-name">Name</label>
<input id="new-name" name="displayName" type="text" required maxlength="300" autocomplete="off">
<label for="new-description">Description (optional)</label>
<input id="new-description" name="description" type="text" maxlength="1000" autocomplete="off">
<button type="submit">Create entry point</button>
</form>`
      : html``;
    const next = page.nextCursor ? html`<a href="/console/groups${queryString({ q: query.q, cursor: page.nextCursor })}" rel="next">Next page</a>` : '';
    const first = query.cursor ? html`<a href="/console/groups${queryString({ q: query.q })}">First page</a>` : '';
    return {
      body: html`<p class="hint">Entry points are the groups people belong to, each membership with a role.</p>
<form class="search" method="get" action="/console/groups" role="search">
<label for="q">Search by name or description</label>
<input id="q" name="q" type="search" value="${query.q ?? ''}">
<button type="submit">Search</button>
</form>
${table(page.groups)}
<p class="pager">${first} ${next}</p>
${create}`,
    };
  },
};
