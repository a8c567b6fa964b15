import { html, options, type Html } from '../html.ts';
import type { ConsoleRoute } from '../page.ts';
import { can } from '../viewer.ts';

interface Group {
  id: string;
  displayName: string;
  readOnly: boolean;
}

/**
 * The entry points an invitee joins on accepting, each with its role. Sent as
 * `groups: [{id, role}]`, kept in a hidden JSON field by person-memberships.js
 * (the pickers themselves have no name, so they are not sent). SCIM groups
 * belong to the IdP and are not offered.
 */
function groupPicker(groups: Group[], roles: string[]): Html {
  const own = groups.filter((g) => !g.readOnly);
  if (!own.length) return html`<p class="hint">No entry points yet: invitees join none. <a href="/console/groups">Create one</a> first to add them to it.</p>`;
  const roleChoices = roles.map((r) => ({ value: r, label: r }));
  return html`<fieldset class="picker">
<legend>Entry points to join (optional)</legend>
<input type="hidden" name="groups" data-type="json" value="[]">
<div class="table-wrap"><table>
<thead><tr><th scope="col">Join</th><th scope="col">Entry point</th><th scope="col">Role</th></tr></thead>
<tbody>${own.map(
    (g) => html`<tr data-pick="${g.id}">
<td><input type="checkbox" id="g-${g.id}" value="${g.id}"></td>
<th scope="row"><label class="inline" for="g-${g.id}">${g.displayName}</label></th>
<td><select aria-label="Role in ${g.displayName}">${options(roleChoices, roles[0])}</select></td>
</tr>`,
  )}</tbody></table></div>
</fieldset>`;
}

/**
 * Invite people: paste addresses (counted live by invite.js with the server's
 * rules), pick entry points, send; the answer {sent, notSent} becomes the
 * result view (invite.js), with each address not sent and why.
 */
export const inviteRoute: ConsoleRoute = {
  path: '/invite',
  title: 'Invite people',
  section: '/console/invite',
  requirement: 'users.invite',
  async render({ api, viewer }) {
    // Invitees join entry points with a role: memberships, groups.manage's (the API refuses `groups` without it).
    const mayPlace = can(viewer, 'groups.manage');
    const [groups, settings] = await Promise.all([
      mayPlace ? api.get<{ groups: Group[] }>('/groups', { limit: 200 }) : { groups: [] },
      api.get<{ roles: string[]; invitationTtlDays: number }>('/settings'),
    ]);
    return {
      body: html`<form id="invite" data-api="POST /invitations" data-then="event" data-omit-empty data-picker data-pick-id="id" data-invite>
<label for="emails">Email addresses</label>
<p class="hint" id="emails-hint">Paste them from a spreadsheet, a mail client or a chat: one per line, or separated by commas or semicolons. <code>Ann Lee &lt;ann@example.com&gt;</code> keeps the name.</p>
<textarea id="emails" name="emails" rows="8" required spellcheck="false" autocomplete="off" aria-describedby="emails-hint invite-count"></textarea>
<p id="invite-count" class="count-line" aria-live="polite" data-invite-count>No addresses yet.</p>
${mayPlace ? groupPicker(groups.groups, settings.roles) : html`<p class="hint">Invitees join no entry point: adding people to entry points needs the groups.manage permission.</p>`}
<label for="message">Personal message (optional)</label>
<textarea id="message" name="message" rows="3" maxlength="2000"></textarea>
<p class="hint">Each invitation link works for ${settings.invitationTtlDays} days. People who already have an account or a pending invitation are not invited again.</p>
<button type="submit">Send invitations</button>
</form>
<section id="invite-result" class="invite-result" aria-labelledby="invite-result-h" hidden>
<h2 id="invite-result-h" tabindex="-1" data-result-heading>Invitations sent</h2>
<p role="status" data-result-summary></p>
<div data-result-sent></div>
<div data-result-not-sent></div>
<button type="button" data-invite-again>Send more invitations</button>
</section>`,
    };
  },
};
