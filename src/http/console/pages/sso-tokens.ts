import { html, when, type Html } from '../html.ts';
import type { AuditEvent } from './sso.ts';

/** GET /tokens: never the secret. */
export interface Token {
  id: string;
  name: string;
  scope: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function tokenRow(token: Token): Html {
  const revoke = token.revokedAt
    ? html`<span class="badge badge-disabled">Revoked</span> ${when(token.revokedAt)}`
    : html`<form data-api="DELETE /tokens/${token.id}" data-then="reload" data-confirm="Revoke the token “${token.name}”? Your identity provider stops provisioning until it has a new one." data-success="Token revoked."><button type="submit" class="link" aria-label="Revoke ${token.name}">Revoke</button></form>`;
  return html`<tr>
<td>${token.name}</td>
<td><code>${token.hint}</code></td>
<td>${when(token.createdAt)}</td>
<td>${when(token.lastUsedAt)}</td>
<td class="actions">${revoke}</td>
</tr>`;
}

/**
 * SCIM tokens: create (the answer carries the secret, which token-secret.js
 * shows once), list and revoke. A reload shows only the hint.
 */
export function tokensSection(tokens: Token[]): Html {
  const table = tokens.length
    ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="SCIM tokens"><table>
<caption class="visually-hidden">SCIM tokens</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Ends with</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Actions</th></tr></thead>
<tbody>${tokens.map(tokenRow)}</tbody>
</table></div>`
    : html`<p class="empty">No SCIM token yet.</p>`;
  return html`<section aria-labelledby="tokens-heading">
<h2 id="tokens-heading">SCIM tokens</h2>
${table}
<form id="token-form" data-api="POST /tokens" data-then="event" data-omit-empty data-success="Token created: copy it now." data-token-secret="token-secret-box" aria-labelledby="new-token-heading">
<h3 id="new-token-heading">New SCIM token</h3>
<input type="hidden" name="scope" value="scim">
<label for="token-name">Name (where it is used, e.g. “Okta provisioning”)</label>
<input id="token-name" name="name" type="text" maxlength="200" required>
<button type="submit">Create token</button>
</form>
<div id="token-secret-box" class="token-secret" hidden></div>
</section>`;
}

function reasonOf(event: AuditEvent): string {
  const reason = typeof event.details.reason === 'string' ? event.details.reason.replaceAll('_', ' ') : 'unknown';
  const detail = typeof event.details.detail === 'string' ? event.details.detail : '';
  return detail ? `${reason}: ${detail}` : reason;
}

/** The last SCIM requests (by token) and the last failed SAML sign-ins with their precise reason. */
export function activitySection(scim: AuditEvent[], failures: AuditEvent[]): Html {
  const scimTable = scim.length
    ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="Last changes made over SCIM"><table>
<caption>Last changes made over SCIM</caption>
<thead><tr><th scope="col">When</th><th scope="col">Token</th><th scope="col">Action</th><th scope="col">On</th></tr></thead>
<tbody>${scim.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.actor.label}</td><td>${e.action}</td><td>${e.target?.label ?? ''}</td></tr>`)}</tbody>
</table></div>`
    : html`<p class="empty">No SCIM request has changed anything yet.</p>`;
  const failureTable = failures.length
    ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="Last failed single sign-ons"><table>
<caption>Last failed single sign-ons</caption>
<thead><tr><th scope="col">When</th><th scope="col">Connection</th><th scope="col">Reason</th></tr></thead>
<tbody>${failures.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.target?.label ?? ''}</td><td>${reasonOf(e)}</td></tr>`)}</tbody>
</table></div>`
    : html`<p class="empty">No failed single sign-on.</p>`;
  return html`<section aria-labelledby="activity-heading">
<h2 id="activity-heading">Recent activity</h2>
${scimTable}
${failureTable}
<p><a href="/console/audit">The full audit trail</a></p>
</section>`;
}
