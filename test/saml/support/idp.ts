import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes, X509Certificate } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { SignedXml } from 'xml-crypto';
import xmlenc from 'xml-encryption';

/**
 * A small test IdP: builds SAML Responses the way Okta and Entra shape them and
 * signs them with xml-crypto, using the committed test keys (test/fixtures/saml).
 */
const fixtures = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'saml');
const read = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');

export interface KeyPair {
  key: string;
  cert: string;
}
export const idpKey: KeyPair = { key: read('idp.key'), cert: read('idp.crt') };
export const nextIdpKey: KeyPair = { key: read('idp-next.key'), cert: read('idp-next.crt') };
export const attackerKey: KeyPair = { key: read('attacker.key'), cert: read('attacker.crt') };
export const shortLivedCert = read('short-lived.crt');

export const IDP_ENTITY_ID = 'http://www.okta.com/exk-test-idp';
export const IDP_SSO_URL = 'https://idp.example.test/app/sso/saml';

export const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const ENTRA = {
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  groups: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups',
};

export interface ResponseOptions {
  /** The SP: entity ID and ACS URL the IdP was configured with. */
  audience: string;
  acsUrl: string;
  issuer?: string;
  responseIssuer?: string | null;
  recipient?: string;
  destination?: string | null;
  inResponseTo?: string | null;
  nameId?: string;
  nameIdFormat?: string;
  attributes?: Record<string, string | string[]>;
  now?: Date;
  notBefore?: Date;
  notOnOrAfter?: Date;
  assertionId?: string;
  responseId?: string;
  status?: string;
}

const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
export const newId = () => `_${randomBytes(16).toString('hex')}`;

export function buildResponse(o: ResponseOptions): string {
  const now = o.now ?? new Date();
  const iso = (d: Date) => d.toISOString();
  const notBefore = o.notBefore ?? new Date(now.getTime() - 60_000);
  const notOnOrAfter = o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
  const issuer = o.issuer ?? IDP_ENTITY_ID;
  const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : '';
  const destination = o.destination === null ? '' : ` Destination="${esc(o.destination ?? o.acsUrl)}"`;
  const responseIssuer = o.responseIssuer === null ? '' : `<saml:Issuer>${esc(o.responseIssuer ?? issuer)}</saml:Issuer>`;
  const attributes = Object.entries(o.attributes ?? {})
    .map(([name, value]) => `<saml:Attribute Name="${esc(name)}">${(Array.isArray(value) ? value : [value]).map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
    .join('');
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.responseId ?? newId()}" Version="2.0" IssueInstant="${iso(now)}"${destination}${irt}>` +
    responseIssuer +
    `<samlp:Status><samlp:StatusCode Value="${o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success'}"/></samlp:Status>` +
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.assertionId ?? newId()}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${o.nameIdFormat ?? EMAIL_FORMAT}">${esc(o.nameId ?? 'alice@acme.test')}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(o.recipient ?? o.acsUrl)}"${irt}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${newId()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '') +
    `</saml:Assertion></samlp:Response>`
  );
}

export interface SignOptions {
  keys?: KeyPair;
  algorithm?: 'sha256' | 'sha1';
}

const ALG = {
  sha256: { sig: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', digest: 'http://www.w3.org/2001/04/xmlenc#sha256' },
  sha1: { sig: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1' },
};

/** Enveloped signature on the Assertion or the Response, placed after its Issuer as the schema wants. */
export function sign(xml: string, target: 'assertion' | 'response', options: SignOptions = {}): string {
  const keys = options.keys ?? idpKey;
  const alg = ALG[options.algorithm ?? 'sha256'];
  const element = target === 'assertion' ? 'Assertion' : 'Response';
  const sig = new SignedXml({
    privateKey: keys.key,
    publicCert: keys.cert,
    signatureAlgorithm: alg.sig,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: `//*[local-name(.)='${element}']`,
    digestAlgorithm: alg.digest,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, {
    location: { reference: `//*[local-name(.)='${element}']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return sig.getSignedXml();
}

export const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/** The AuthnRequest inside an HTTP-Redirect URL (deflated, base64, URL-encoded). */
export function readAuthnRequest(location: string): { id: string; xml: string; relayState: string | null; url: URL } {
  const url = new URL(location);
  const xml = inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest') ?? '', 'base64')).toString('utf8');
  const id = /\bID="([^"]+)"/.exec(xml)?.[1] ?? '';
  return { id, xml, relayState: url.searchParams.get('RelayState'), url };
}

export interface EncryptOptions {
  /** Okta offers AES-256-GCM and AES-256-CBC; Entra encrypts with AES-256-CBC. */
  algorithm?: 'aes256-gcm' | 'aes128-gcm' | 'aes256-cbc' | 'aes128-cbc' | 'tripledes-cbc';
  keyTransport?: 'rsa-oaep-mgf1p' | 'rsa-1_5';
  /** What is encrypted instead of the Assertion as written (an attack: something else inside). */
  plaintext?: (assertion: string) => string;
}

const DATA_ALG = {
  'aes256-gcm': 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'aes128-gcm': 'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'aes256-cbc': 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'aes128-cbc': 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'tripledes-cbc': 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
} as const;

/**
 * The Response with its (signed) Assertion encrypted to `certificate` as an IdP does it:
 * the Assertion element, as written, becomes the EncryptedData of a saml:EncryptedAssertion
 * in its place. Sign the Response afterwards, as Okta does, for a signature over the encryption.
 */
export async function encryptAssertion(xml: string, certificate: string, options: EncryptOptions = {}): Promise<string> {
  const match = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml);
  if (!match) throw new Error('no saml:Assertion to encrypt');
  const encrypted = await new Promise<string>((resolve, reject) =>
    xmlenc.encrypt(options.plaintext ? options.plaintext(match[0]) : match[0], {
      rsa_pub: new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'pem' }),
      pem: certificate,
      encryptionAlgorithm: DATA_ALG[options.algorithm ?? 'aes256-gcm'],
      keyEncryptionAlgorithm: `http://www.w3.org/2001/04/xmlenc#${options.keyTransport ?? 'rsa-oaep-mgf1p'}`,
      warnInsecureAlgorithm: false,
    }, (error, result) => (error ? reject(error) : resolve(result))),
  );
  return xml.replace(match[0], `<saml:EncryptedAssertion>${encrypted}</saml:EncryptedAssertion>`);
}
