import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { AuditEvent } from '../../src/db/entities/index.ts';
import { fetchIdpMetadata } from '../../src/saml/metadata-url.ts';
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts';
import { IDP_ENTITY_ID, IDP_SSO_URL, idpKey, nextIdpKey } from './support/idp.ts';
import { metadata } from './support/metadata.ts';
import { postAcs, responseFor } from './support/sp.ts';

/** The IdP's metadata URL, as Entra's "App Federation Metadata URL" serves it; what it serves is set per test. */
describe('SAML connection from an IdP metadata URL', () => {
  let t: TestApp;
  let server: Server;
  let base: string;
  let served = metadata([idpKey.cert]);
  /** Run once before /metadata answers (then cleared): an admin's edit landing while a refresh fetches. */
  let whileFetching: (() => Promise<unknown>) | null = null;

  before(async () => {
    t = await createTestApp();
    server = createServer((req, res) => {
      if (req.url === '/metadata') {
        const edit = whileFetching;
        whileFetching = null;
        return void (edit ?? (async () => {}))().then(() => res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(served));
      }
      if (req.url === '/moved') return res.writeHead(302, { location: '/metadata' }).end();
      if (req.url === '/to-file') return res.writeHead(301, { location: 'file:///etc/passwd' }).end();
      if (req.url === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      if (req.url === '/html') return res.writeHead(200, { 'content-type': 'text/html' }).end('Sign in to continue');
      if (req.url === '/not-saml') return res.writeHead(200).end('<html><body/></html>');
      if (req.url === '/huge') return res.writeHead(200).end(`<x>${'a'.repeat(1_100_000)}</x>`);
      if (req.url === '/slow') return;
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });
  beforeEach(() => {
    served = metadata([idpKey.cert]);
    whileFetching = null;
  });

  const put = (slug: string, token: string, body: object) => request(t.app).put(`/api/orgs/${slug}/saml`).set('Authorization', `Bearer ${token}`).send(body);
  const reasonOf = (res: request.Response) => (res.body.error.details.problems as Array<{ field: string; reason: string }>).map((p) => `${p.field} ${p.reason}`);

  it('configures the connection from the fetched metadata and keeps the URL, following a redirect', async () => {
    const org = await seedOrg(t.container, 'metaurl');
    const res = await put('metaurl', org.tokens.admin, { idpMetadataUrl: `${base}/moved`, jit: 'create' }).expect(201);
    assert.equal(res.body.idp.entityId, IDP_ENTITY_ID);
    assert.equal(res.body.idp.ssoUrl, IDP_SSO_URL);
    assert.equal(res.body.idp.metadataUrl, `${base}/moved`);
    assert.equal(res.body.idp.certificates.length, 1);
    assert.equal(res.body.jit, 'create');
  });

  for (const [path, reason] of [
    ['/html', /^idpMetadataUrl did not answer with XML$/],
    ['/not-saml', /^idpMetadataUrl is not SAML IdP metadata: no EntityDescriptor/],
    ['/huge', /^idpMetadataUrl is too large \(more than 1000000 bytes\)$/],
    ['/loop', /^idpMetadataUrl redirected more than 3 times$/],
    ['/gone', /^idpMetadataUrl answered HTTP 404$/],
    ['/to-file', /^idpMetadataUrl redirects to file:\/\/\/etc\/passwd: must be an http or https URL$/],
  ] as const) {
    it(`refuses with 400 naming idpMetadataUrl, writing nothing, when the URL ${path} does not give metadata`, async () => {
      const slug = `bad${path.replace(/\W/g, '')}`;
      const org = await seedOrg(t.container, slug);
      const res = await put(slug, org.tokens.admin, { idpMetadataUrl: `${base}${path}` }).expect(400);
      assert.equal(reasonOf(res).length, 1);
      assert.match(reasonOf(res)[0]!, reason);
      assert.equal(await t.container.fork().count(AuditEvent, { action: 'saml.configured', org: org.id }), 0);
    });
  }

  it('refuses an unreachable URL with 400 naming idpMetadataUrl', async () => {
    const org = await seedOrg(t.container, 'unreach');
    const res = await put('unreach', org.tokens.admin, { idpMetadataUrl: 'http://127.0.0.1:1/metadata' }).expect(400);
    assert.match(reasonOf(res)[0]!, /^idpMetadataUrl is unreachable \(ECONNREFUSED\)$/);
  });

  it('refuses a URL carrying a user name or password in words that fit an IdP metadata URL', async () => {
    const org = await seedOrg(t.container, 'metacreds');
    const res = await put('metacreds', org.tokens.admin, { idpMetadataUrl: `${base.replace('://', '://user:pw@')}/moved` }).expect(400);
    assert.match(reasonOf(res)[0]!, /^idpMetadataUrl must not contain a user name or password/);
    assert.doesNotMatch(reasonOf(res)[0]!, /webhook/);
  });

  it('gives up on a URL that does not answer within the timeout', async () => {
    const result = await fetchIdpMetadata(`${base}/slow`, { allowHttp: true, allowPrivateNetworks: true }, { timeoutMs: 300 });
    assert.deepEqual(result, { ok: false, code: 'metadata_url', detail: 'did not answer within 300 ms' });
  });

  it('names a failed fetch beside the other bad fields of the PUT', async () => {
    const org = await seedOrg(t.container, 'metaplus');
    const res = await put('metaplus', org.tokens.admin, { idpMetadataUrl: `${base}/html`, jit: 'sometimes', allowedRedirectUrls: ['nope'] }).expect(400);
    assert.deepEqual(reasonOf(res).map((r) => r.split(' ')[0]).sort(), ['allowedRedirectUrls.0', 'idpMetadataUrl', 'jit']);
  });

  it('refuses a loopback address and http unless the operator allows them', async () => {
    const strict = await createTestApp({ config: { webhooks: { ...t.container.config.webhooks, allowHttp: false, allowPrivateNetworks: false } } });
    try {
      const org = await seedOrg(strict.container, 'strictmeta');
      const http = await request(strict.app).put('/api/orgs/strictmeta/saml').set('Authorization', `Bearer ${org.tokens.admin}`).send({ idpMetadataUrl: `${base}/metadata` }).expect(400);
      assert.match(reasonOf(http)[0]!, /^idpMetadataUrl must be an https URL/);
      const literal = await request(strict.app).put('/api/orgs/strictmeta/saml').set('Authorization', `Bearer ${org.tokens.admin}`).send({ idpMetadataUrl: 'https://127.0.0.1/metadata' }).expect(400);
      assert.match(reasonOf(literal)[0]!, /^idpMetadataUrl must point to a public address: 127\.0\.0\.1 is loopback/);
      const loopback = await fetchIdpMetadata(`${base}/metadata`, { allowHttp: true, allowPrivateNetworks: false });
      assert.equal(loopback.ok, false);
      assert.match(loopback.ok ? '' : loopback.detail, /127\.0\.0\.1 is loopback/);
    } finally {
      await strict.close();
    }
  });

  describe('refresh', () => {
    const refresh = (slug: string, token: string, path = '/saml/refresh') => request(t.app).post(`/api/orgs/${slug}${path}`).set('Authorization', `Bearer ${token}`);
    const fingerprint = (res: request.Response, i: number) => res.body.idp.certificates[i].fingerprint256 as string;

    it('picks up the certificate the IdP publishes before a rollover, reports it and audits the change', async () => {
      const org = await seedOrg(t.container, 'rollover');
      const first = await put('rollover', org.tokens.admin, { idpMetadataUrl: `${base}/metadata`, jit: 'create', allowIdpInitiated: true }).expect(201);
      const oldPrint = fingerprint(first, 0);
      // Entra publishes the next certificate beside the current one, then drops the old one.
      served = metadata([idpKey.cert, nextIdpKey.cert]);
      const added = await refresh('rollover', org.tokens.admin).expect(200);
      assert.equal(added.body.changed, true);
      assert.equal(added.body.certificatesAdded.length, 1);
      assert.deepEqual(added.body.certificatesRemoved, []);
      assert.deepEqual([added.body.connection.jit, added.body.connection.allowIdpInitiated], ['create', true]);
      await postAcs(t.app, 'rollover', responseFor('rollover', { nameId: 'next@rollover.test', signing: { keys: nextIdpKey } })).expect(303);
      served = metadata([nextIdpKey.cert]);
      const removed = await refresh('rollover', org.tokens.admin).expect(200);
      assert.deepEqual(removed.body.certificatesRemoved, [oldPrint]);
      assert.deepEqual(removed.body.certificatesAdded, []);
      assert.equal(await t.container.fork().count(AuditEvent, { action: 'saml.configured', org: org.id }), 3);
    });

    it('writes and audits nothing when the metadata did not change', async () => {
      const org = await seedOrg(t.container, 'samemeta');
      const first = await put('samemeta', org.tokens.admin, { idpMetadataUrl: `${base}/metadata` }).expect(201);
      const res = await refresh('samemeta', org.tokens.admin).expect(200);
      assert.deepEqual([res.body.changed, res.body.certificatesAdded, res.body.certificatesRemoved], [false, [], []]);
      assert.equal(res.body.connection.version, first.body.version);
      assert.equal(await t.container.fork().count(AuditEvent, { action: 'saml.configured', org: org.id }), 1);
    });

    it('refreshes a named connection, and refuses one without a metadata URL or that does not exist', async () => {
      const org = await seedOrg(t.container, 'refreshnamed');
      await request(t.app).put('/api/orgs/refreshnamed/saml/staging').set('Authorization', `Bearer ${org.tokens.admin}`).send({ idpMetadataUrl: `${base}/metadata` }).expect(201);
      served = metadata([idpKey.cert, nextIdpKey.cert]);
      const res = await refresh('refreshnamed', org.tokens.admin, '/saml/staging/refresh').expect(200);
      assert.equal(res.body.connection.name, 'staging');
      assert.equal(res.body.certificatesAdded.length, 1);
      await refresh('refreshnamed', org.tokens.admin).expect(404);
      await request(t.app).put('/api/orgs/refreshnamed/saml/manual').set('Authorization', `Bearer ${org.tokens.admin}`)
        .send({ idpEntityId: IDP_ENTITY_ID, idpSsoUrl: IDP_SSO_URL, idpCertificates: [idpKey.cert] }).expect(201);
      const manual = await refresh('refreshnamed', org.tokens.admin, '/saml/manual/refresh').expect(400);
      assert.match(reasonOf(manual)[0]!, /^idpMetadataUrl is not set on this connection/);
    });

    it('takes the metadata over an admin’s edit made while it was fetched (no If-Match: no 412), keeping the edit', async () => {
      const org = await seedOrg(t.container, 'refreshrace');
      const first = await put('refreshrace', org.tokens.admin, { idpMetadataUrl: `${base}/metadata`, jit: 'off' }).expect(201);
      served = metadata([idpKey.cert, nextIdpKey.cert]);
      // The admin's PUT fetches the metadata too, as it was before the IdP added its next certificate.
      whileFetching = async () => {
        served = metadata([idpKey.cert]);
        await put('refreshrace', org.tokens.admin, { idpMetadataUrl: `${base}/metadata`, jit: 'create', allowIdpInitiated: true }).expect(200);
        served = metadata([idpKey.cert, nextIdpKey.cert]);
      };
      const res = await refresh('refreshrace', org.tokens.admin).expect(200);
      assert.equal(whileFetching, null, 'the edit ran during the fetch');
      assert.equal(res.body.changed, true);
      assert.equal(res.body.certificatesAdded.length, 1);
      assert.deepEqual([res.body.connection.jit, res.body.connection.allowIdpInitiated], ['create', true], 'the edit kept');
      assert.equal(res.body.connection.idp.certificates.length, 2);
      assert.ok(res.body.connection.version > first.body.version + 1, `version ${res.body.connection.version} after ${first.body.version}`);
    });

    it('keeps the connection as it was when the metadata URL fails, naming idpMetadataUrl', async () => {
      const org = await seedOrg(t.container, 'refreshfail');
      const first = await put('refreshfail', org.tokens.admin, { idpMetadataUrl: `${base}/metadata` }).expect(201);
      served = 'Service unavailable';
      const res = await refresh('refreshfail', org.tokens.admin).expect(400);
      assert.deepEqual(reasonOf(res), ['idpMetadataUrl did not answer with XML']);
      const now = await request(t.app).get('/api/orgs/refreshfail/saml').set('Authorization', `Bearer ${org.tokens.admin}`).expect(200);
      assert.equal(now.body.version, first.body.version);
    });
  });
});
