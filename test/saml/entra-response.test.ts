import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { IDP_ENTITY_ID, newId, sign } from './support/idp.ts';
import { configureSaml, cookieOf, endpointsOf, postAcs, seedUser, startSpLogin } from './support/sp.ts';

/**
 * A response shaped as Microsoft Entra ID sends it with the README's settings ("SAML with Microsoft
 * Entra ID"): default namespaces (no saml: prefix), the assertion alone signed, the NameID the UPN
 * in emailAddress format, Entra's default claims (tenant id, object id, display name, identity
 * provider, several authentication methods), a one-hour validity and its Password class.
 */
function entraResponse(o: { audience: string; acsUrl: string; inResponseTo: string; upn: string; objectId: string; email: string }): string {
  const now = new Date();
  const iso = (ms: number) => new Date(now.getTime() + ms).toISOString();
  const claim = (name: string, ...values: string[]) =>
    `<Attribute Name="${name}">${values.map((v) => `<AttributeValue>${v}</AttributeValue>`).join('')}</Attribute>`;
  return (
    `<samlp:Response ID="${newId()}" Version="2.0" IssueInstant="${iso(0)}" Destination="${o.acsUrl}" InResponseTo="${o.inResponseTo}" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">` +
    `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">${IDP_ENTITY_ID}</Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<Assertion ID="${newId()}" IssueInstant="${iso(0)}" Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion">` +
    `<Issuer>${IDP_ENTITY_ID}</Issuer>` +
    `<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${o.upn}</NameID>` +
    `<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData InResponseTo="${o.inResponseTo}" NotOnOrAfter="${iso(3_600_000)}" Recipient="${o.acsUrl}"/></SubjectConfirmation></Subject>` +
    `<Conditions NotBefore="${iso(-300_000)}" NotOnOrAfter="${iso(3_600_000)}"><AudienceRestriction><Audience>${o.audience}</Audience></AudienceRestriction></Conditions>` +
    `<AttributeStatement>` +
    claim('http://schemas.microsoft.com/identity/claims/tenantid', '9188040d-6c67-4c5b-b112-36a304b66dad') +
    claim('http://schemas.microsoft.com/identity/claims/objectidentifier', o.objectId) +
    claim('http://schemas.microsoft.com/identity/claims/displayname', 'Ada Lovelace') +
    claim('http://schemas.microsoft.com/identity/claims/identityprovider', 'https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/') +
    claim('http://schemas.microsoft.com/claims/authnmethodsreferences', 'http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password', 'http://schemas.microsoft.com/claims/multipleauthn') +
    claim('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname', 'Ada') +
    claim('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname', 'Lovelace') +
    claim('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', o.email) +
    claim('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', o.upn) +
    `</AttributeStatement>` +
    `<AuthnStatement AuthnInstant="${iso(-1000)}" SessionIndex="${newId()}"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef></AuthnContext></AuthnStatement>` +
    `</Assertion></samlp:Response>`
  );
}

describe('SAML with Microsoft Entra ID: a response as Entra shapes it', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    await configureSaml(t.app, acme, { allowIdpInitiated: false, jit: 'off' });
  });
  after(() => t.close());

  it('signs in a user SCIM provisioned with the object id as externalId, though the UPN is not their userName', async () => {
    // Entra's SCIM job matched on the object id; the UPN changed since, so only the objectidentifier claim finds them.
    const objectId = '5b1f4c02-7d1e-4b0c-9d43-3a7a0e2f1c11';
    await seedUser(t.container, acme, 'ada.old@contoso.example', { externalId: objectId });
    const authn = await startSpLogin(t.app, 'acme');
    const ep = endpointsOf('acme');
    const xml = sign(entraResponse({ audience: ep.spEntityId, acsUrl: ep.acsUrl, inResponseTo: authn.id, upn: 'ada@contoso.example', objectId, email: 'ada@contoso.example' }), 'assertion');
    const res = await postAcs(t.app, 'acme', xml, { cookie: authn.cookie });
    assert.equal(res.status, 303, res.text);
    const session = await request(t.app).get('/api/session').set('Cookie', cookieOf(res)).expect(200);
    assert.equal(session.body.user.email, 'ada.old@contoso.example');
    assert.equal(session.body.session.method, 'saml');
  });
});
