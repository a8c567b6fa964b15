import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts';
import { configureSaml } from './support/sp.ts';

/** The admin API's PUT of a SAML connection: what a bad body is told. */
describe('SAML connection administration', () => {
  let t: TestApp;

  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const put = (slug: string, token: string, body: unknown, path = '/saml') =>
    request(t.app).put(`/api/orgs/${slug}${path}`).set('Authorization', `Bearer ${token}`).send(body as object);
  const fieldsOf = (res: request.Response) => (res.body.error.details.problems as Array<{ field: string }>).map((p) => p.field).sort();

  it('names every bad field of a new connection in one 400, type errors and IdP values alike', async () => {
    const org = await seedOrg(t.container, 'everyfield');
    const res = await put('everyfield', org.tokens.admin, {
      idpEntityId: 'https://idp.test',
      idpSsoUrl: 'nope',
      idpCertificates: ['junk'],
      idpMetadataUrl: 'http://idp.test/metadata',
      jit: 'maybe',
      allowedRedirectUrls: ['not a url'],
    }).expect(400);
    assert.equal(res.body.error.code, 'invalid_input');
    assert.deepEqual(fieldsOf(res), ['allowedRedirectUrls.0', 'idpCertificates.0', 'idpMetadataUrl', 'idpSsoUrl', 'jit']);
  });

  it('names the missing IdP values and the bad options together', async () => {
    const org = await seedOrg(t.container, 'missingidp');
    const res = await put('missingidp', org.tokens.admin, { idpSsoUrl: 'https://idp.test/sso', allowSha1: 'yes', allowedRedirectUrls: ['ftp://x'] }).expect(400);
    assert.deepEqual(fieldsOf(res), ['allowSha1', 'allowedRedirectUrls.0', 'idpCertificates', 'idpEntityId']);
    const reasons = Object.fromEntries((res.body.error.details.problems as Array<{ field: string; reason: string }>).map((p) => [p.field, p.reason]));
    assert.equal(reasons.idpEntityId, 'is required unless idpMetadataXml is given');
  });

  it('names bad metadata and bad options together', async () => {
    const org = await seedOrg(t.container, 'badmeta');
    const res = await put('badmeta', org.tokens.admin, { idpMetadataXml: '<x/>', jit: 'sometimes', idpMetadataUrl: 'ftp://idp.test' }).expect(400);
    assert.deepEqual(fieldsOf(res), ['idpMetadataUrl', 'idpMetadataXml', 'jit']);
  });

  it('names every bad option of an options-only PUT to an existing connection', async () => {
    const org = await seedOrg(t.container, 'badoptions');
    await configureSaml(t.app, org);
    const res = await put('badoptions', org.tokens.admin, { jit: 'maybe', allowIdpInitiated: 'no', allowedRedirectUrls: ['https://ok.test/', 'bad'], idpMetadataUrl: 'http://x' }).expect(400);
    assert.deepEqual(fieldsOf(res), ['allowIdpInitiated', 'allowedRedirectUrls.1', 'idpMetadataUrl', 'jit']);
  });
});
