import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts';
import { IDP_ENTITY_ID, IDP_SSO_URL, idpKey } from './support/idp.ts';
import { configureSaml } from './support/sp.ts';

/** The admin API's PUT of a SAML connection: what a bad body is told, and two admins editing it at once. */
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
      idpMetadataUrl: 'ftp://idp.test/metadata',
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

  describe('optimistic concurrency (If-Match)', () => {
    const get = (slug: string, token: string, path = '/saml') => request(t.app).get(`/api/orgs/${slug}${path}`).set('Authorization', `Bearer ${token}`);

    it('answers GET with the version as a weak ETag, in the header and the body', async () => {
      const org = await seedOrg(t.container, 'etagget');
      const unconfigured = await get('etagget', org.tokens.admin).expect(200);
      assert.equal(unconfigured.headers.etag, undefined, 'no version before the connection exists');
      await configureSaml(t.app, org);
      const res = await get('etagget', org.tokens.admin).expect(200);
      // The version, and a digest of what the view shows from elsewhere (the other connections, certificates' days left).
      assert.match(res.headers.etag ?? '', new RegExp(`^W/"${res.body.version}\\.[0-9a-f]{12}"$`));
    });

    it('refuses a PUT whose If-Match is stale with 412 precondition_failed, keeping the other admin\'s change', async () => {
      const org = await seedOrg(t.container, 'lostupdate');
      await configureSaml(t.app, org, { jit: 'off' });
      const seen = (await get('lostupdate', org.tokens.admin).expect(200)).headers.etag!;
      // Another admin (or a script) changes the JIT policy meanwhile.
      const other = await put('lostupdate', org.tokens.admin, { jit: 'create' }).set('If-Match', seen).expect(200);
      assert.notEqual(other.headers.etag, seen);
      const stale = await put('lostupdate', org.tokens.admin, { jit: 'off', allowIdpInitiated: true }).set('If-Match', seen).expect(412);
      assert.equal(stale.body.error.code, 'precondition_failed');
      assert.match(stale.body.error.message, /SAML connection default was changed by someone else/);
      const now = await get('lostupdate', org.tokens.admin).expect(200);
      assert.equal(now.body.jit, 'create');
      assert.equal(now.body.allowIdpInitiated, false);
      assert.equal(now.headers.etag, other.headers.etag);
    });

    it('takes If-Match on a named connection, as a list (any current tag), as * and refuses a tag it never issued', async () => {
      const org = await seedOrg(t.container, 'ifmatchforms');
      await configureSaml(t.app, org, {}, 'staging');
      const etag = (await get('ifmatchforms', org.tokens.admin, '/saml/staging').expect(200)).headers.etag!;
      const listed = await put('ifmatchforms', org.tokens.admin, { jit: 'link' }, '/saml/staging').set('If-Match', `W/"999", ${etag}`).expect(200);
      await put('ifmatchforms', org.tokens.admin, { jit: 'off' }, '/saml/staging').set('If-Match', etag).expect(412);
      await put('ifmatchforms', org.tokens.admin, { jit: 'off' }, '/saml/staging').set('If-Match', '*').expect(200);
      await put('ifmatchforms', org.tokens.admin, { jit: 'off' }, '/saml/staging').set('If-Match', '"not-a-version"').expect(412);
      assert.match(listed.headers.etag ?? '', /^W\/"\d+\.[0-9a-f]{12}"$/);
    });

    it('does not answer 304 to a copy drawn before another connection was added (the view lists them), and still takes its tag as If-Match', async () => {
      const org = await seedOrg(t.container, 'etagfresh');
      await configureSaml(t.app, org);
      const before = await get('etagfresh', org.tokens.admin).expect(200);
      await get('etagfresh', org.tokens.admin).set('If-None-Match', before.headers.etag!).expect(304);
      await configureSaml(t.app, org, {}, 'staging');
      const after = await get('etagfresh', org.tokens.admin).set('If-None-Match', before.headers.etag!).expect(200);
      assert.deepEqual(after.body.connections, ['default', 'staging']);
      await put('etagfresh', org.tokens.admin, { jit: 'link' }).set('If-Match', before.headers.etag!).expect(200);
    });

    it('refuses If-Match naming a version of a connection that does not exist (deleted since it was read)', async () => {
      const org = await seedOrg(t.container, 'ifmatchgone');
      const res = await put('ifmatchgone', org.tokens.admin, { idpEntityId: IDP_ENTITY_ID, idpSsoUrl: IDP_SSO_URL, idpCertificates: [idpKey.cert] }).set('If-Match', 'W/"1"').expect(412);
      assert.equal(res.body.error.code, 'precondition_failed');
    });

    it('without If-Match, a PUT still replaces the connection whatever its version (last write wins, as README says)', async () => {
      const org = await seedOrg(t.container, 'noifmatch');
      await configureSaml(t.app, org, { jit: 'off' });
      await put('noifmatch', org.tokens.admin, { jit: 'create' }).expect(200);
      const res = await put('noifmatch', org.tokens.admin, { jit: 'link' }).expect(200);
      assert.equal(res.body.jit, 'link');
    });
  });
});
