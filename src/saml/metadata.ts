import type { SpEndpoints } from '../directory/saml-connections.ts';
import { fail, ok, type Result } from '../lib/result.ts';
import { NS, parseXml, refuseDoctype } from './checks.ts';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** NameID formats we accept; we link by a stored subject, so any of them works. */
export const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
];

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/**
 * SP metadata for one connection: entity ID, the ACS with the POST binding and
 * the NameID formats. AuthnRequests are not signed, so no SP certificate is
 * published (AuthnRequestsSigned="false"). WantAssertionsSigned="true" is what
 * the ACS enforces (checks.ts requireSignature): a response whose assertion is
 * unsigned is refused even when the Response around it is signed.
 */
export function spMetadataXml(endpoints: SpEndpoints): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="${MD}" entityID="${escapeXml(endpoints.spEntityId)}">`,
    `  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="${NS.protocol}">`,
    ...NAME_ID_FORMATS.map((f) => `    <md:NameIDFormat>${f}</md:NameIDFormat>`),
    `    <md:AssertionConsumerService Binding="${POST}" Location="${escapeXml(endpoints.acsUrl)}" index="0" isDefault="true"/>`,
    '  </md:SPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
}

export interface IdpMetadata {
  entityId: string;
  ssoUrl: string;
  certificates: string[];
}

/**
 * IdP metadata (Okta's "Identity Provider metadata", Entra's "Federation
 * Metadata XML") → entity ID, the HTTP-Redirect SSO URL and the signing
 * certificates. Untrusted text: no DTDs, a Result with a precise reason.
 */
export function parseIdpMetadata(xml: string): Result<IdpMetadata, 'invalid_metadata'> {
  const bad = (detail: string) => fail('invalid_metadata' as const, detail);
  if (!refuseDoctype(xml).ok) return bad('metadata must not contain a DOCTYPE');
  const doc = parseXml(xml);
  if (!doc.ok) return bad(doc.detail);
  const root = doc.value.documentElement;
  const descriptors =
    root.localName === 'EntityDescriptor' ? [root] : Array.from(doc.value.getElementsByTagNameNS(MD, 'EntityDescriptor'));
  const entity = descriptors.find((d) => d.getElementsByTagNameNS(MD, 'IDPSSODescriptor').length > 0);
  if (!entity || entity.namespaceURI !== MD) return bad('no EntityDescriptor with an IDPSSODescriptor');
  const idp = entity.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0]!;
  const entityId = entity.getAttribute('entityID')?.trim();
  if (!entityId) return bad('EntityDescriptor has no entityID');
  const services = Array.from(idp.getElementsByTagNameNS(MD, 'SingleSignOnService'));
  const ssoUrl = (services.find((s) => s.getAttribute('Binding') === REDIRECT) ?? services.find((s) => s.getAttribute('Binding') === POST))
    ?.getAttribute('Location')
    ?.trim();
  if (!ssoUrl) return bad('no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding');
  const certificates = Array.from(idp.getElementsByTagNameNS(MD, 'KeyDescriptor'))
    .filter((k) => !k.getAttribute('use') || k.getAttribute('use') === 'signing')
    .flatMap((k) => Array.from(k.getElementsByTagNameNS(NS.dsig, 'X509Certificate')))
    .map((c) => (c.textContent ?? '').replace(/\s+/g, ''))
    .filter(Boolean);
  if (!certificates.length) return bad('no signing certificate (KeyDescriptor use="signing")');
  return ok({ entityId, ssoUrl, certificates: [...new Set(certificates)] });
}
