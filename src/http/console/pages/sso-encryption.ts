import { html, when, type Html } from '../html.ts';

/** GET /saml/default/encryption-keys: never the private key. */
export interface EncryptionKeys {
  requireEncryptedAssertions: boolean;
  keys: Array<{ id: string; createdAt: string; certificate: string; fingerprint256: string; notAfter: string }>;
}

function keyRow(apiBase: string, key: EncryptionKeys['keys'][number], i: number, last: boolean, required: boolean): Html {
  const remove = last && required
    ? html`<span class="hint">Needed while encrypted assertions are required</span>`
    : html`<form data-api="DELETE /saml/default/encryption-keys/${key.id}" data-then="reload" data-confirm="Remove this encryption key? Sign-ins whose assertion is encrypted to it are refused from then on." data-success="Encryption key removed."><button type="submit" class="link" aria-label="Remove encryption key ${i + 1}">Remove</button></form>`;
  return html`<tr>
<td>${when(key.createdAt)}</td>
<td>${when(key.notAfter)}</td>
<td><code class="fingerprint">${key.fingerprint256}</code></td>
<td><details><summary>Certificate ${i + 1}</summary><pre id="encryption-cert-${i}">${key.certificate}</pre><button type="button" class="secondary" data-copy="encryption-cert-${i}" aria-label="Copy certificate ${i + 1}">Copy</button> <a href="${apiBase}/saml/default/encryption-keys/${key.id}/certificate" download aria-label="Download certificate ${i + 1}">Download (.cer)</a></details></td>
<td class="actions">${remove}</td>
</tr>`;
}

/**
 * The keys an IdP encrypts assertions to (Okta's Assertion Encryption, Entra's
 * Token encryption): add one, copy its certificate to the IdP, remove the old
 * one after a change. Shown once the connection is configured.
 */
export function encryptionSection(apiBase: string, encryption: EncryptionKeys | null): Html {
  if (!encryption) return html``;
  const { keys, requireEncryptedAssertions: required } = encryption;
  const table = keys.length
    ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="Encryption keys"><table>
<caption class="visually-hidden">Encryption keys, newest first</caption>
<thead><tr><th scope="col">Added</th><th scope="col">Valid until</th><th scope="col">SHA-256 fingerprint</th><th scope="col">Certificate</th><th scope="col">Actions</th></tr></thead>
<tbody>${keys.map((key, i) => keyRow(apiBase, key, i, keys.length === 1, required))}</tbody>
</table></div>`
    : html`<p class="empty">No encryption key: your identity provider sends assertions unencrypted.</p>`;
  return html`<section aria-labelledby="encryption-heading">
<h2 id="encryption-heading">Assertion encryption</h2>
<p class="hint">Optional. Add a key, then upload its certificate at your identity provider: Okta “Assertion Encryption” (AES256-GCM, RSA-OAEP), Entra “Token encryption”. To change keys, add the new one, upload it, then remove the old one. Encrypted assertions are ${required ? 'required' : 'accepted, not required'}.</p>
${table}
<form id="encryption-key-form" data-api="POST /saml/default/encryption-keys" data-then="reload" data-success="Encryption key added: upload its certificate at your identity provider."><button type="submit">Add an encryption key</button></form>
</section>`;
}
