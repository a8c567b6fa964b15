import { html, options, queryString, when, type Html } from '../html.ts';
import { can, type Viewer } from '../viewer.ts';
import type { ConsoleRoute } from '../page.ts';
import { idpBadge, type Group } from './groups.ts';

interface Member {
  userId: string;
  userName: string;
  displayName: string | null;
  email: string | null;
  role: string;
  source: string;
  viaMapping: boolean;
  addedAt: string;
}

type GroupWithMembers = Group & { members: Member[]; membersNextCursor: string | null };

const nameOf = (m: Member) => m.displayName ?? m.email ?? m.userName;

function roleCell(viewer: Viewer, group: GroupWithMembers, member: Member, roles: string[]): Html {
  const editable = can(viewer, 'groups.manage') && !group.readOnly && member.source !== 'scim';
  if (!editable) return html`${member.role}${member.source === 'scim' ? html` <span class="badge badge-idp">From your identity provider</span>` : ''}`;
  const id = `role-${member.userId}`;
  return html`<form class="groups-role" data-group-role="${group.id}" data-user-id="${member.userId}">
<label for="${id}" class="visually-hidden">Role of ${nameOf(member)}</label>
<select id="${id}" name="role">${options(roles.map((r) => ({ value: r, label: r })), member.role)}</select>
<button type="submit" class="secondary" aria-label="Change role of ${nameOf(member)}">Change</button>
</form>`;
}

function removeCell(viewer: Viewer, group: GroupWithMembers, member: Member): Html {
  if (!can(viewer, 'groups.manage') || group.readOnly || member.source === 'scim') return html``;
  return html`<form data-api="DELETE /groups/${group.id}/members" data-confirm="Remove ${nameOf(member)} from ${group.displayName}?" data-success="Removed ${nameOf(member)}.">
<input type="hidden" name="userIds" data-type="list" value="${member.userId}">
<button type="submit" class="link" aria-label="Remove ${nameOf(member)}">Remove</button>
</form>`;
}

function membersTable(viewer: Viewer, group: GroupWithMembers, roles: string[]): Html {
  if (!group.members.length) return html`<p class="empty">Nobody is in this entry point yet.</p>`;
  const rows = group.members.map(
    (m) => html`<tr>
<td><a href="/console/users/${m.userId}">${nameOf(m)}</a></td>
<td>${m.email ?? ''}</td>
<td>${roleCell(viewer, group, m, roles)}</td>
<td>${when(m.addedAt)}</td>
<td class="actions">${removeCell(viewer, group, m)}</td>
</tr>`,
  );
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">Members of ${group.displayName}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Added</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function manageForms(group: GroupWithMembers, roles: string[]): Html {
  const members = group.memberCount;
  // DELETE refuses a group with members unless ?force=true; the confirmation says what force removes.
  const confirm = members
    ? `Delete ${group.displayName} and remove its ${members} member${members === 1 ? '' : 's'} from it? This cannot be undone.`
    : `Delete ${group.displayName}? This cannot be undone.`;
  return html`<h2 id="add-heading">Add a member</h2>
<form class="groups-add" data-group-add="${group.id}" aria-labelledby="add-heading">
<label for="add-email">Email address</label>
<input id="add-email" name="email" type="email" required autocomplete="off">
<label for="add-role">Role</label>
<select id="add-role" name="role">${options(roles.map((r) => ({ value: r, label: r })), roles[0])}</select>
<button type="submit">Add member</button>
</form>
<h2>Rename</h2>
<form data-api="PATCH /groups/${group.id}" data-only-changed data-success="Entry point renamed.">
<label for="rename">Name</label>
<input id="rename" name="displayName" type="text" required maxlength="300" value="${group.displayName}">
<label for="describe">Description</label>
<input id="describe" name="description" type="text" maxlength="1000" value="${group.description ?? ''}">
<button type="submit">Save name and description</button>
</form>
<h2>Delete</h2>
<form data-api="DELETE /groups/${group.id}${members ? '?force=true' : ''}" data-confirm="${confirm}" data-then="redirect:/console/groups" data-success="Deleted ${group.displayName}.">
<p class="hint">${members ? `Deleting removes its ${members} membership${members === 1 ? '' : 's'} too; the people themselves stay.` : 'Nobody is in it.'}</p>
<button type="submit" class="danger">Delete ${group.displayName}</button>
</form>`;
}

/** /console/groups/:id: one entry point, its members with roles, and (groups.manage) the changes. */
export const groupDetailRoute: ConsoleRoute = {
  path: '/groups/:id',
  title: 'Entry point',
  section: '/console/groups',
  requirement: null,
  async render({ viewer, api, params, query }) {
    const [group, settings] = await Promise.all([
      api.get<GroupWithMembers>(`/groups/${encodeURIComponent(params.id!)}`, { membersCursor: query.cursor, membersLimit: 100 }),
      api.get<{ roles: string[] }>('/settings'),
    ]);
    const next = group.membersNextCursor ? html`<a href="/console/groups/${group.id}${queryString({ cursor: group.membersNextCursor })}" rel="next">Next members</a>` : '';
    const first = query.cursor ? html`<a href="/console/groups/${group.id}">First members</a>` : '';
    const manage = can(viewer, 'groups.manage') && !group.readOnly;
    return {
      title: group.displayName,
      body: html`<p><a href="/console/groups">All entry points</a>${idpBadge(group)}</p>
${group.readOnly ? html`<p class="notice">Your identity provider owns this entry point over SCIM: change it there.</p>` : ''}
<dl class="facts">
<dt>Description</dt><dd>${group.description ?? '—'}</dd>
<dt>Members</dt><dd>${group.memberCount}</dd>
<dt>Created</dt><dd>${when(group.createdAt)}</dd>
</dl>
<h2>Members</h2>
${membersTable(viewer, group, settings.roles)}
<p class="pager">${first} ${next}</p>
${manage ? manageForms(group, settings.roles) : ''}`,
    };
  },
};
