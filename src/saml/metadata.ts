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

/** What decrypt.ts accepts, strongest first (RSA 1.5 and 3DES are refused there). */
export const ENCRYPTION_METHODS = [
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
];

/** SAML metadata §2.4.1.1: one KeyDescriptor per encryption certificate, with the algorithms we take. */
function encryptionKeyDescriptor(pem: string): string[] {
  const base64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  return [
    '    <md:KeyDescriptor use="encryption">',
    `      <ds:KeyInfo xmlns:ds="${NS.dsig}"><ds:X509Data><ds:X509Certificate>${base64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>`,
    ...ENCRYPTION_METHODS.map((m) => `      <md:EncryptionMethod Algorithm="${m}"/>`),
    '    </md:KeyDescriptor>',
  ];
}

/**
 * SP metadata for one connection: entity ID, the ACS with the POST binding,
 * the NameID formats, and the certificates of its encryption keys (newest
 * first: the one to encrypt to) when it has any. AuthnRequests are not signed,
 * so no signing certificate is published (AuthnRequestsSigned="false").
 * WantAssertionsSigned="true" is what the ACS enforces (checks.ts
 * requireSignature): a response whose assertion is unsigned is refused even
 * when the Response around it is signed, encrypted or not.
 */
export function spMetadataXml(endpoints: SpEndpoints, encryptionCertificates: string[] = []): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="${MD}" entityID="${escapeXml(endpoints.spEntityId)}">`,
    `  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="${NS.protocol}">`,
    ...encryptionCertificates.flatMap(encryptionKeyDescriptor),
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
