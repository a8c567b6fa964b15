import { html, options, when, type Html } from '../html.ts';
import { can, type Viewer } from '../viewer.ts';
import type { PersonSummary } from './person-actions.ts';
import { auditNote } from './audit-notes.ts';

/** The person page's lower sections: entry points with roles, devices, activity. */

export interface Membership {
  groupId: string;
  groupDisplayName: string;
  role: string;
  source: string;
  readOnly: boolean;
  addedAt: string;
}

export interface Sessions {
  sessions: Array<{ id: string; method: string; ip: string | null; userAgent: string | null; createdAt: string; lastSeenAt: string; active: boolean }>;
}

export interface Activity {
  events: Array<{ id: string; at: string; action: string; actor: { label: string }; target: { label: string | null } | null; details: Record<string, unknown> }>;
  nextCursor: string | null;
}

/** GET /invitations/:id, the fields the person page shows. */
export interface Invitation {
  status: string;
  revokedReason: string | null;
  undeliverable: boolean;
  invitedBy: { label: string };
  createdAt: string;
  expiresAt: string;
  memberships: Array<{ groupId: string; groupName: string; role: string }>;
}

const revokedWords: Record<string, string> = {
  admin: 'Revoked by an admin',
  superseded: 'Replaced by a newer invitation',
  user_disabled: 'Void while the person is disabled',
  user_deleted: 'Void while the person is deleted',
};

/**
 * An invitee's invitation: who sent it and when, until when its link works (the question an admin
 * asks before resending), and the entry points they join on accepting, which are no membership yet
 * and so are not in the table below.
 */
export function invitationSection(invitation: Invitation): Html {
  const link =
    invitation.status === 'pending'
      ? html`<dt>Link works until</dt> <dd>${when(invitation.expiresAt)}</dd>`
      : invitation.status === 'expired'
        ? html`<dt>Link expired</dt> <dd>${when(invitation.expiresAt)} (resend it for a new link)</dd>`
        : invitation.status === 'revoked'
          ? html`<dt>Link</dt> <dd>${revokedWords[invitation.revokedReason ?? ''] ?? 'Revoked'}</dd>`
          : '';
  const joins = invitation.memberships.length
    ? invitation.memberships.map((m, i) => html`${i ? ', ' : ''}<a href="/console/groups/${m.groupId}">${m.groupName}</a> (${m.role})`)
    : 'No entry point';
  return html`<section aria-labelledby="invitation-h"><h2 id="invitation-h">Invitation</h2>
<dl class="facts">
<dt>Sent</dt> <dd>${when(invitation.createdAt)} by ${invitation.invitedBy.label}</dd>
${link}
<dt>Joins on accepting</dt> <dd>${joins}</dd>
${invitation.undeliverable ? html`<dt>Mail</dt> <dd><span class="badge badge-expired">Undeliverable</span> the address bounced: check it, then resend</dd>` : ''}
</dl>
</section>`;
}

function readOnlyTable(memberships: Membership[]): Html {
  if (!memberships.length) return html`<p class="empty">Not in any entry point.</p>`;
  return html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Entry point</th><th scope="col">Role</th><th scope="col">Since</th></tr></thead>
<tbody>${memberships.map(
    (m) => html`<tr><th scope="row"><a href="/console/groups/${m.groupId}">${m.groupDisplayName}</a>${m.readOnly ? html` <span class="badge badge-idp">Managed by your identity provider</span>` : ''}</th><td>${m.role}</td><td>${when(m.addedAt)}</td></tr>`,
  )}</tbody></table></div>`;
}

/**
 * With groups.manage: every entry point with a "member" box and a role, sent
 * as one PUT /users/:id/memberships (person-memberships.js keeps the hidden
 * JSON field in step). Memberships the IdP made are shown, not sent: the API
 * keeps them. SCIM groups cannot be joined here, so they are not offered.
 */
export function membershipsSection(viewer: Viewer, person: PersonSummary, memberships: Membership[], groups: Array<{ id: string; displayName: string; readOnly: boolean }> | null, roles: string[]): Html {
  const invitee = person.invitationId && (person.status === 'pending' || person.status === 'expired');
  const heading = html`<h2 id="groups-h">Entry points</h2>${invitee ? html`<p class="hint">What they are in now. ${personLabel(person)} also joins the invitation’s entry points when they accept it (see Invitation).</p>` : ''}`;
  if (!can(viewer, 'groups.manage') || !groups || person.status === 'deleted') return html`<section aria-labelledby="groups-h">${heading}${readOnlyTable(memberships)}</section>`;
  const held = new Map(memberships.map((m) => [m.groupId, m]));
  const idpOwned = memberships.filter((m) => m.readOnly);
  const editable = groups.filter((g) => !g.readOnly || (held.has(g.id) && !held.get(g.id)!.readOnly));
  const wanted = memberships.filter((m) => !m.readOnly).map((m) => ({ groupId: m.groupId, role: m.role }));
  const roleChoices = roles.map((r) => ({ value: r, label: r }));
  const rows = editable.map((g) => {
    const current = held.get(g.id);
    return html`<tr data-pick="${g.id}">
<td><input type="checkbox" id="m-${g.id}" value="${g.id}"${current ? html` checked` : ''}></td>
<th scope="row"><label class="inline" for="m-${g.id}">${g.displayName}</label></th>
<td><select aria-label="Role in ${g.displayName}">${options(roleChoices, current?.role ?? roles[0])}</select></td>
</tr>`;
  });
  return html`<section aria-labelledby="groups-h">${heading}
${idpOwned.length ? html`<p class="hint">From your identity provider (change them there):</p>${readOnlyTable(idpOwned)}` : ''}
${editable.length
    ? html`<form data-api="PUT /users/${person.id}/memberships" data-then="reload" data-success="Entry points saved." data-picker data-pick-id="groupId">
<input type="hidden" name="memberships" data-type="json" value="${JSON.stringify(wanted)}">
<div class="table-wrap"><table>
<caption class="visually-hidden">Entry points this person is in, with their role</caption>
<thead><tr><th scope="col">Member</th><th scope="col">Entry point</th><th scope="col">Role</th></tr></thead>
<tbody>${rows}</tbody></table></div>
<button type="submit">Save entry points</button>
</form>`
    : html`<p class="empty">There are no entry points yet. <a href="/console/groups">Create one</a>.</p>`}
</section>`;
}

const personLabel = (p: PersonSummary) => p.displayName ?? p.email ?? p.userName;

/** A short name for a device from its user agent: enough to tell a phone from a laptop. */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrome\/|Chromium\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : null;
  const os = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Windows/.test(userAgent) ? 'Windows' : /Mac OS X/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? userAgent.slice(0, 60);
}

/** Signed-in devices (users.edit): each active session, with a sign-out button where the viewer may end it. */
export function devicesSection(person: PersonSummary, data: Sessions, maySignOut: boolean): Html {
  const active = data.sessions.filter((s) => s.active);
  const body = active.length
    ? html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Device</th><th scope="col">Signed in with</th><th scope="col">From</th><th scope="col">Since</th><th scope="col">Last seen</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>${active.map(
        (s, i) => html`<tr><th scope="row">${deviceName(s.userAgent)}</th><td>${s.method}</td><td>${s.ip ?? '—'}</td><td>${when(s.createdAt)}</td><td>${when(s.lastSeenAt)}</td>
<td class="actions">${maySignOut ? html`<form data-api="DELETE /sessions/${s.id}" data-then="reload" data-success="Signed out of that device."><button type="submit" class="link" aria-label="Sign out device ${i + 1}: ${deviceName(s.userAgent)}">Sign out</button></form>` : ''}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="empty">${person.displayName ?? person.userName} is not signed in anywhere.</p>`;
  return html`<section aria-labelledby="devices-h"><h2 id="devices-h">Devices</h2>${body}</section>`;
}

/** Their audit trail (audit.read): what they did and what was done to them, newest first. */
export function activitySection(person: PersonSummary, data: Activity): Html {
  const body = data.events.length
    ? html`<div class="table-wrap" tabindex="0" role="region" aria-labelledby="activity-h"><table>
<thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">By</th><th scope="col">On</th></tr></thead>
<tbody>${data.events.map((e) => html`<tr><td>${when(e.at)}</td><td><code class="action">${e.action}</code>${auditNote(e.action, e.details, new Map()) ?? ''}</td><td>${e.actor.label}</td><td>${e.target?.label ?? '—'}</td></tr>`)}</tbody></table></div>
${data.nextCursor ? html`<p><a href="/console/audit?target=${person.id}">More in the audit trail</a></p>` : ''}`
    : html`<p class="empty">No activity yet.</p>`;
  return html`<section aria-labelledby="activity-h"><h2 id="activity-h">Activity</h2>${body}</section>`;
}
