import { html, when, type Html } from '../html.ts';

/** GET /scim/problems: SCIM requests refused to the org's IdP, newest first. */
export interface ScimProblemPage {
  problems: Array<{ id: string; at: string; method: string; path: string; tokenName: string; status: number; scimType: string | null; detail: string }>;
  counts: Array<{ status: number; scimType: string | null; count: number }>;
}

const BY_TYPE: Record<string, string> = {
  uniqueness: 'Clashes with an existing user or group (same userName or group name)',
  invalidValue: 'A value Gatehouse does not accept (an unknown manager or member, a bad attribute value)',
  invalidSyntax: 'A request Gatehouse cannot read',
  invalidFilter: 'A filter Gatehouse cannot read',
  invalidPath: 'A PATCH path that names no attribute Gatehouse knows',
  noTarget: 'A PATCH path that matches nothing',
  mutability: 'A change to an attribute that cannot be changed',
  tooMany: 'A search asking for too many results',
};

const BY_STATUS: Record<number, string> = {
  400: 'A request Gatehouse refused as invalid',
  403: 'Not allowed here (no seat left in the licence, or an org rule)',
  404: 'Names a user, group or SCIM address that does not exist here',
  405: 'A method the SCIM address does not take',
  409: 'Would leave the organization without an org admin, or conflicts with its current state',
  413: 'Too large for the server’s limits',
  415: 'A body in a format Gatehouse does not read',
};

/** The reason in an admin's words: by scimType when there is one, else by status. */
export function reasonWords(status: number, scimType: string | null): string {
  return (scimType ? BY_TYPE[scimType] : undefined) ?? BY_STATUS[status] ?? `Refused with status ${status}`;
}

/**
 * The requests the IdP's provisioning log shows as failed, on this side:
 * counts by reason, then the newest with what the IdP was told.
 */
export function problemsSection(page: ScimProblemPage): Html {
  if (!page.problems.length) {
    return html`<section aria-labelledby="scim-problems-heading">
<h2 id="scim-problems-heading">Provisioning problems</h2>
<p class="empty">No SCIM request of your identity provider has been refused.</p>
</section>`;
  }
  const counts = html`<ul id="scim-problem-counts">${page.counts.map((c) => html`<li>${String(c.count)} × ${reasonWords(c.status, c.scimType)} (${String(c.status)}${c.scimType ? ` ${c.scimType}` : ''})</li>`)}</ul>`;
  const rows = page.problems.map((p) => html`<tr>
<td>${when(p.at)}</td>
<td>${p.tokenName}</td>
<td><code>${p.method} ${p.path}</code></td>
<td>${reasonWords(p.status, p.scimType)}<br><span class="hint">${String(p.status)}${p.scimType ? ` ${p.scimType}` : ''}: ${p.detail}</span></td>
</tr>`);
  return html`<section aria-labelledby="scim-problems-heading">
<h2 id="scim-problems-heading">Provisioning problems</h2>
<p>Requests of your identity provider that Gatehouse refused: its provisioning log shows them as failed, and it may stop (quarantine) a job that keeps failing. Fix the cause here or at the IdP, then let it retry.</p>
${counts}
<div class="table-wrap" tabindex="0" role="region" aria-label="Refused SCIM requests"><table>
<caption>Last refused SCIM requests</caption>
<thead><tr><th scope="col">When</th><th scope="col">Token</th><th scope="col">Request</th><th scope="col">Why</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>
</section>`;
}
