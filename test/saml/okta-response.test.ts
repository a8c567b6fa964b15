import assert from 'node:assert/strict';
import request from 'supertest';
import { User } from '../../src/db/entities/index.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { idpKey, newId, sign } from './support/idp.ts';
import { cookieOf, endpointsOf, postAcs, seedUser, startSpLogin } from './support/sp.ts';

/**
 * Okta, set up as the README's "SAML with Okta" says: its metadata as the app's Sign On tab serves
 * it, and responses as Okta shapes them by default — saml2/saml2p prefixes, an Issuer with its
 * entity Format, the Response and the Assertion both signed, `xs:string`-typed attribute values,
 * the attribute statements email/firstName/lastName and a groups statement with several values.
 */
const OKTA_ENTITY_ID = 'http://www.okta.com/exk1fcia6d6EMsf331d8';
const OKTA_SSO_URL = 'https://acme.okta.com/app/acme_gatehouse_1/exk1fcia6d6EMsf331d8/sso/saml';

function oktaMetadata(): string {
  const cert = idpKey.cert.replace(/-----[A-Z ]+-----|\s/g, '');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${OKTA_ENTITY_ID}">` +
    '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">' +
    `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
    '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>' +
    '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>' +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${OKTA_SSO_URL}"/>` +
    `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${OKTA_SSO_URL}"/>` +
    '</md:IDPSSODescriptor></md:EntityDescriptor>'
  );
}

interface OktaResponse {
  audience: string;
  acsUrl: string;
  inResponseTo?: string;
  nameId: string;
  nameIdFormat?: string;
  attributes: Record<string, string[]>;
}

/** Okta's ids are "id" and digits, never the "_" other IdPs start theirs with. */
const oktaId = () => `id${newId().slice(1).replace(/[a-f]/g, '7')}`;

function oktaResponse(o: OktaResponse): string {
  const now = new Date();
  const iso = (ms: number) => new Date(now.getTime() + ms).toISOString().replace(/\.\d+Z$/, '.000Z');
  const irt = o.inResponseTo ? ` InResponseTo="${o.inResponseTo}"` : '';
  const issuer = `<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${OKTA_ENTITY_ID}</saml2:Issuer>`;
  const attribute = (name: string, values: string[]) =>
    `<saml2:Attribute Name="${name}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">` +
    values.map((v) => `<saml2:AttributeValue xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${v}</saml2:AttributeValue>`).join('') +
    '</saml2:Attribute>';
  return (
    `<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" Destination="${o.acsUrl}" ID="${oktaId()}"${irt} IssueInstant="${iso(0)}" Version="2.0" xmlns:xs="http://www.w3.org/2001/XMLSchema">` +
    issuer +
    '<saml2p:Status xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol"><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>' +
    `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="${oktaId()}" IssueInstant="${iso(0)}" Version="2.0" xmlns:xs="http://www.w3.org/2001/XMLSchema">` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">${OKTA_ENTITY_ID}</saml2:Issuer>` +
    `<saml2:Subject xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"><saml2:NameID Format="${o.nameIdFormat ?? 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'}">${o.nameId}</saml2:NameID>` +
    `<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData${irt} NotOnOrAfter="${iso(300_000)}" Recipient="${o.acsUrl}"/></saml2:SubjectConfirmation></saml2:Subject>` +
    `<saml2:Conditions NotBefore="${iso(-300_000)}" NotOnOrAfter="${iso(300_000)}" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"><saml2:AudienceRestriction><saml2:Audience>${o.audience}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>` +
    `<saml2:AuthnStatement AuthnInstant="${iso(-1000)}" SessionIndex="${oktaId()}" xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>` +
    `<saml2:AttributeStatement xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">${Object.entries(o.attributes).map(([n, v]) => attribute(n, v)).join('')}</saml2:AttributeStatement>` +
    '</saml2:Assertion></saml2p:Response>'
  );
}

/** Okta's default: the assertion signed, then the response around it. */
const signedByOkta = (xml: string) => sign(sign(xml, 'assertion'), 'response');

describe('SAML with Okta: metadata and responses as Okta shapes them', () => {
  let t: TestApp;
  let acme: SeededOrg;
  const ep = endpointsOf('acme');
  const admin = () => ({ Authorization: `Bearer ${acme.tokens.admin}` });

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  it("configures the connection from Okta's metadata (both SSO bindings, two NameID formats)", async () => {
    const res = await request(t.app)
      .put('/api/orgs/acme/saml')
      .set(admin())
      .send({ idpMetadataXml: oktaMetadata(), allowIdpInitiated: true, jit: 'create', allowedRedirectUrls: ['https://app.acme.test/*'] });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.idp.entityId, OKTA_ENTITY_ID);
    assert.equal(res.body.idp.ssoUrl, OKTA_SSO_URL);
    assert.equal(res.body.idp.certificates.length, 1);
  });

  it('signs in SP-initiated with a response and assertion both signed, to the RelayState asked for', async () => {
    await seedUser(t.container, acme, 'ada@acme.test', { externalId: '00u1ada' });
    const authn = await startSpLogin(t.app, 'acme', { relayState: 'https://app.acme.test/projects/7' });
    assert.equal(authn.url.origin + authn.url.pathname, OKTA_SSO_URL);
    const xml = signedByOkta(oktaResponse({
      audience: ep.spEntityId,
      acsUrl: ep.acsUrl,
      inResponseTo: authn.id,
      nameId: 'ada@acme.test',
      attributes: { email: ['ada@acme.test'], firstName: ['Ada'], lastName: ['Lovelace'], groups: ['Everyone', 'Engineering'] },
    }));
    const res = await postAcs(t.app, 'acme', xml, { cookie: authn.cookie, relayState: authn.relayState ?? undefined });
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, 'https://app.acme.test/projects/7');
    const session = await request(t.app).get('/api/session').set('Cookie', cookieOf(res)).expect(200);
    assert.equal(session.body.user.email, 'ada@acme.test');
  });

  it("signs in IdP-initiated from the Okta tile, to the app's Default RelayState", async () => {
    await seedUser(t.container, acme, 'grace@acme.test', { externalId: '00u1grace' });
    const xml = signedByOkta(oktaResponse({
      audience: ep.spEntityId,
      acsUrl: ep.acsUrl,
      nameId: 'grace@acme.test',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      attributes: { email: ['grace@acme.test'], firstName: ['Grace'], lastName: ['Hopper'], groups: ['Everyone'] },
    }));
    const res = await postAcs(t.app, 'acme', xml, { relayState: 'https://app.acme.test/home' });
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, 'https://app.acme.test/home');
  });

  it('finds the SCIM user by an externalId statement (user.id) when their Okta username changed since', async () => {
    // Okta's SCIM sends its user id as externalId; the username (the NameID here) changed after provisioning.
    await seedUser(t.container, acme, 'edsger.old@acme.test', { externalId: '00u1edsger' });
    const xml = signedByOkta(oktaResponse({
      audience: ep.spEntityId,
      acsUrl: ep.acsUrl,
      nameId: 'edsger@acme.test',
      attributes: { email: ['edsger@acme.test'], firstName: ['Edsger'], lastName: ['Dijkstra'], externalId: ['00u1edsger'] },
    }));
    const res = await postAcs(t.app, 'acme', xml);
    assert.equal(res.status, 303, res.text);
    const session = await request(t.app).get('/api/session').set('Cookie', cookieOf(res)).expect(200);
    assert.equal(session.body.user.email, 'edsger.old@acme.test');
  });

  it("creates a new person from Okta's attribute statements (email, firstName, lastName)", async () => {
    const xml = signedByOkta(oktaResponse({
      audience: ep.spEntityId,
      acsUrl: ep.acsUrl,
      nameId: 'alan',
      attributes: { email: ['alan@acme.test'], firstName: ['Alan'], lastName: ['Turing'], groups: ['Everyone', 'Research'] },
    }));
    const res = await postAcs(t.app, 'acme', xml);
    assert.equal(res.status, 303, res.text);
    const user = await t.container.fork().findOneOrFail(User, { org: acme.id, userName: 'alan@acme.test' });
    assert.equal(user.givenName, 'Alan');
    assert.equal(user.familyName, 'Turing');
    assert.equal(user.source, 'saml-jit');
  });
});
