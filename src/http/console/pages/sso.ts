import { etagOf } from '../../../lib/etag.ts';
import { encryptionSection, type EncryptionKeys } from './sso-encryption.ts';
import { html, options, when, type Html } from '../html.ts';
import type { ConsoleRoute } from '../page.ts';
import { activitySection, tokensSection, type Token } from './sso-tokens.ts';
import { problemsSection, type ScimProblemPage } from './sso-problems.ts';

interface Certificate {
  subject: string;
  issuer: string;
  notAfter: string;
  fingerprint256: string;
  expiresInDays: number;
  expired: boolean;
}

/** GET /saml: the SP side always, the IdP side once configured. */
export interface SamlView {
  configured: boolean;
  name: string;
  spEntityId: string;
  acsUrl: string;
  metadataUrl: string;
  loginUrl: string;
  scimBaseUrl: string;
  idp: {
    entityId: string;
    ssoUrl: string;
    metadataUrl: string | null;
    metadataRefreshedAt?: string | null;
    metadataError?: { reason: string; at: string } | null;
    certificates: Certificate[];
  } | null;
  allowIdpInitiated?: boolean;
  allowSha1?: boolean;
  requireEncryptedAssertions?: boolean;
  jit?: string;
  attributeMapping?: Record<string, string>;
  allowedRedirectUrls?: string[];
  /** The connection's version once configured: its forms send it as If-Match. */
  version?: number;
}

/** Under this many days a certificate gets a warning: time to upload the IdP's next one. */
const WARN_DAYS = 30;

const jitChoices = [
  { value: 'off', label: 'Off: only people who already have an account can sign in' },
  { value: 'link', label: 'Link: also match an existing account by its email on first sign-in' },
  { value: 'create', label: 'Create: also create an account for anyone the IdP sends' },
];

function copyRow(id: string, label: string, value: string): Html {
  return html`<dt>${label}</dt><dd class="copy"><code id="${id}">${value}</code><button type="button" class="secondary" data-copy="${id}" aria-label="Copy ${label}">Copy</button></dd>`;
}

function spValues(saml: SamlView): Html {
  return html`<section aria-labelledby="sp-heading">
<h2 id="sp-heading">Values for your identity provider</h2>
<p class="hint">In Okta or Entra, create a SAML app and enter these. Entra calls the entity ID “Identifier”, the ACS URL “Reply URL” and the sign-on URL “Sign on URL”.</p>
<dl class="facts">
${copyRow('acs-url', 'ACS URL (single sign-on URL)', saml.acsUrl)}
${copyRow('sp-entity-id', 'SP entity ID (audience)', saml.spEntityId)}
${copyRow('sign-on-url', 'Sign-on URL', saml.loginUrl)}
${copyRow('sp-metadata-url', 'SP metadata URL', saml.metadataUrl)}
${copyRow('scim-base-url', 'SCIM base URL', saml.scimBaseUrl)}
${copyRow('entra-tenant-url', 'Entra Tenant URL', `${saml.scimBaseUrl}?aadOptscim062020`)}
</dl>
<p class="hint">For SCIM provisioning, create a SCIM token below and give it to the IdP as the bearer token (API token; Entra’s Secret Token).</p>
</section>`;
}

function certificateRows(certs: Certificate[]): Html {
  const rows = certs.map((c) => {
    const soon = !c.expired && c.expiresInDays < WARN_DAYS;
    const state = c.expired
      ? html`<span class="badge badge-disabled">Expired</span>`
      : soon
        ? html`<span class="badge badge-expired">Expires in ${c.expiresInDays} days</span>`
        : html`<span class="badge badge-active">Valid</span>`;
    return html`<tr><td>${c.subject}</td><td>${when(c.notAfter)}</td><td>${state}</td><td class="fingerprint"><code>${c.fingerprint256}</code></td></tr>`;
  });
  const warning = certs.some((c) => c.expired || c.expiresInDays < WARN_DAYS)
    ? html`<div class="alert" role="alert"><p>A signing certificate expires within ${WARN_DAYS} days (or has expired). Get the new certificate from your identity provider and configure it below before then, or sign-in will stop working.</p></div>`
    : html``;
  return html`${warning}<div class="table-wrap" tabindex="0" role="region" aria-label="Signing certificates"><table>
<caption>Signing certificates of the identity provider</caption>
<thead><tr><th scope="col">Subject</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col">SHA-256 fingerprint</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function currentIdp(saml: SamlView): Html {
  if (!saml.idp) return html`<p class="notice">Single sign-on is not configured yet. Paste your identity provider’s metadata below.</p>`;
  return html`<dl class="facts">
<dt>IdP entity ID</dt><dd>${saml.idp.entityId}</dd>
<dt>IdP sign-in URL</dt><dd>${saml.idp.ssoUrl}</dd>
<dt>Sign-in link for your people</dt><dd class="copy"><code id="sp-login-url">${saml.loginUrl}</code><button type="button" class="secondary" data-copy="sp-login-url" aria-label="Copy sign-in link">Copy</button></dd>
</dl>
${certificateRows(saml.idp.certificates)}`;
}

/** When the stored metadata URL was last fetched, and the last failure until a fetch succeeds (the background refresh's). */
function metadataStatus(saml: SamlView): Html {
  if (!saml.idp?.metadataUrl) return html``;
  const error = saml.idp.metadataError;
  return html`<p id="idp-metadata-url-status" class="hint">Last fetched ${when(saml.idp.metadataRefreshedAt)}.${error ? html` Last error ${when(error.at)}: ${error.reason.replace(/\.$/, '')}.` : html``}</p>`;
}

/**
 * Each form replaces the whole connection, so it sends the version the page was drawn
 * from (If-Match): a change someone made since is answered 412 and shown, not undone.
 */
function ifMatch(saml: SamlView): Html {
  return saml.version === undefined ? html`` : html` data-if-match="${etagOf(saml.version)}"`;
}

/**
 * PUT /saml replaces the whole connection, so the IdP forms carry the current
 * options along (hidden) and the options form sends no IdP side (the API then
 * keeps the stored one).
 */
function keptOptions(saml: SamlView): Html {
  return html`<input type="hidden" name="jit" value="${saml.jit ?? 'off'}">
<input type="hidden" name="allowIdpInitiated" data-type="bool" value="${String(saml.allowIdpInitiated ?? false)}">
<input type="hidden" name="allowSha1" data-type="bool" value="${String(saml.allowSha1 ?? false)}">
<input type="hidden" name="requireEncryptedAssertions" data-type="bool" value="${String(saml.requireEncryptedAssertions ?? false)}">
<input type="hidden" name="allowedRedirectUrls" data-type="json" value="${JSON.stringify(saml.allowedRedirectUrls ?? [])}">
<input type="hidden" name="attributeMapping" data-type="json" value="${JSON.stringify(saml.attributeMapping ?? {})}">`;
}

function idpForms(saml: SamlView): Html {
  return html`<h3 id="metadata-heading">Paste or upload the IdP metadata</h3>
<form id="metadata-form" data-api="PUT /saml"${ifMatch(saml)} data-then="reload" data-success="Single sign-on configured from the metadata." aria-labelledby="metadata-heading">
<label for="idp-metadata-file">Metadata file (XML)</label>
<input id="idp-metadata-file" type="file" accept=".xml,application/xml,text/xml,application/samlmetadata+xml" data-metadata-file="idp-metadata">
<label for="idp-metadata">Metadata XML</label>
<textarea id="idp-metadata" name="idpMetadataXml" required aria-describedby="idp-metadata-hint" spellcheck="false"></textarea>
<p id="idp-metadata-hint" class="hint">Okta: “Identity Provider metadata”. Entra: “Federation Metadata XML”. Gatehouse reads the entity ID, the sign-in URL and the signing certificates from it.</p>
${keptOptions(saml)}
<button type="submit">Save metadata</button>
</form>
<h3 id="metadata-url-heading">Or let Gatehouse fetch the metadata</h3>
<form id="metadata-url-form" data-api="PUT /saml"${ifMatch(saml)} data-then="reload" data-success="Single sign-on configured from the metadata URL." aria-labelledby="metadata-url-heading">
<label for="idp-metadata-url">IdP metadata URL</label>
<input id="idp-metadata-url" name="idpMetadataUrl" type="url" required value="${saml.idp?.metadataUrl ?? ''}" aria-describedby="idp-metadata-url-hint">
<p id="idp-metadata-url-hint" class="hint">Okta: “Metadata URL” on the Sign On tab. Entra: “App Federation Metadata URL”. Gatehouse fetches it now and again every day, to pick up the next signing certificate your IdP publishes; fetch it here to pick one up at once.</p>
${metadataStatus(saml)}
${keptOptions(saml)}
<button type="submit">Fetch metadata</button>
</form>
<details${saml.idp ? '' : html` open`}>
<summary>Or enter the IdP values by hand</summary>
<form id="manual-form" data-api="PUT /saml"${ifMatch(saml)} data-then="reload" data-success="Single sign-on configured." aria-label="IdP values by hand">
<label for="idp-entity-id">IdP entity ID (issuer)</label>
<input id="idp-entity-id" name="idpEntityId" type="text" required value="${saml.idp?.entityId ?? ''}">
<label for="idp-sso-url">IdP sign-in URL (HTTP-Redirect)</label>
<input id="idp-sso-url" name="idpSsoUrl" type="url" required value="${saml.idp?.ssoUrl ?? ''}">
<label for="idp-certificate">Signing certificate (PEM)</label>
<textarea id="idp-certificate" required data-certificate-for="idp-certificates" spellcheck="false" aria-describedby="idp-certificate-hint"></textarea>
<p id="idp-certificate-hint" class="hint">Paste the whole certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. It replaces the current ones.</p>
<input type="hidden" id="idp-certificates" name="idpCertificates" data-type="json" value="[]">
${keptOptions(saml)}
<button type="submit">Save IdP values</button>
</form>
</details>`;
}

function optionsForm(saml: SamlView): Html {
  if (!saml.idp) return html``;
  return html`<h3 id="options-heading">Sign-in options</h3>
<form id="options-form" data-api="PUT /saml"${ifMatch(saml)} data-then="reload" data-success="Sign-in options saved." aria-labelledby="options-heading">
<label for="jit">Accounts on first sign-in (JIT)</label>
<select id="jit" name="jit">${options(jitChoices, saml.jit ?? 'off')}</select>
<label class="inline"><input type="checkbox" name="allowIdpInitiated" data-type="bool"${saml.allowIdpInitiated ? html` checked` : ''}> Allow sign-in started from the IdP’s dashboard (IdP-initiated)</label>
<label class="inline"><input type="checkbox" name="allowSha1" data-type="bool"${saml.allowSha1 ? html` checked` : ''}> Accept SHA-1 signatures (only for old identity providers)</label>
<label for="allowed-redirects">Return addresses allowed after sign-in (one a line)</label>
<textarea id="allowed-redirects" name="allowedRedirectUrls" data-type="list" aria-describedby="allowed-redirects-hint">${(saml.allowedRedirectUrls ?? []).join('\n')}</textarea>
<p id="allowed-redirects-hint" class="hint">Absolute URLs; end one with * to allow every address under it. Console pages are always allowed.</p>
<label class="inline"><input type="checkbox" name="requireEncryptedAssertions" data-type="bool"${saml.requireEncryptedAssertions ? html` checked` : ''}> Require encrypted assertions (add an encryption key below first)</label>
<input type="hidden" name="attributeMapping" data-type="json" value="${JSON.stringify(saml.attributeMapping ?? {})}">
<button type="submit">Save options</button>
</form>`;
}

export const ssoRoute: ConsoleRoute = {
  path: '/sso',
  title: 'Single sign-on and provisioning',
  section: '/console/sso',
  requirement: 'settings.manage',
  async render({ api, viewer }) {
    const saml = await api.get<SamlView>('/saml');
    const [encryption, tokens, failures, problems] = await Promise.all([
      saml.idp ? api.get<EncryptionKeys>('/saml/default/encryption-keys') : null,
      api.get<{ tokens: Token[] }>('/tokens'),
      api.get<{ events: AuditEvent[] }>('/audit', { action: 'sso.failed', limit: 10 }),
      api.get<ScimProblemPage>('/scim/problems', { limit: 20 }),
    ]);
    const scimTokens = tokens.tokens.filter((t) => t.scope === 'scim');
    // No actor-type filter in the audit API: the last requests of each SCIM token (the newest few tokens), merged.
    const perToken = await Promise.all(scimTokens.slice(0, 5).map((t) => api.get<{ events: AuditEvent[] }>('/audit', { actor: t.id, limit: 10 })));
    const scimEvents = perToken.flatMap((p) => p.events).sort((a, b) => b.at.localeCompare(a.at)).slice(0, 10);
    return {
      body: html`${spValues(saml)}
<section aria-labelledby="idp-heading">
<h2 id="idp-heading">Identity provider</h2>
${currentIdp(saml)}
${idpForms(saml)}
${optionsForm(saml)}
</section>
${encryptionSection(`/api/orgs/${viewer.orgSlug}`, encryption)}
${tokensSection(scimTokens)}
${problemsSection(problems)}
${activitySection(scimEvents, failures.events)}`,
    };
  },
};

export interface AuditEvent {
  id: string;
  at: string;
  action: string;
  actor: { type: string; id: string | null; label: string };
  target: { type: string; id: string | null; label: string } | null;
  details: Record<string, unknown>;
}
