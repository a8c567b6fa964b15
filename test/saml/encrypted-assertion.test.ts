import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import request from 'supertest';
import { AuditEvent } from '../../src/db/entities/index.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { attackerKey, encryptAssertion, newId, sign } from './support/idp.ts';
import { configureSaml, cookieOf, postAcs, responseFor, seedUser } from './support/sp.ts';

/**
 * Okta's "Assertion Encryption" and Entra's "Token encryption": the admin adds a key, uploads its
 * certificate at the IdP (or the IdP reads it from the SP metadata), and the IdP encrypts the
 * signed assertion to it. Every response here is built, signed and encrypted for real.
 */
describe('SAML encrypted assertions', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let initech: SeededOrg;

  before(async () => {
    t = await createTestApp({ config: { saml: { failureLimit: { perClient: { requestsPerSecond: 0.5, burst: 1000 }, perOrgAudit: { requestsPerSecond: 1, burst: 1000 } } } } });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    initech = await seedOrg(t.container, 'initech');
    for (const org of [acme, globex, initech]) {
      await configureSaml(t.app, org, { allowIdpInitiated: true });
      await seedUser(t.container, org, `alice@${org.slug}.test`);
    }
  });
  after(() => t.close());

  const keysPath = (org: SeededOrg, name = 'default') => `/api/orgs/${org.slug}/saml/${name}/encryption-keys`;
  const admin = (org: SeededOrg) => ({ Authorization: `Bearer ${org.tokens.admin}` });

  async function addKey(org: SeededOrg): Promise<{ id: string; certificate: string; fingerprint256: string }> {
    const res = await request(t.app).post(keysPath(org)).set(admin(org)).expect(201);
    return res.body;
  }

  async function removeKey(org: SeededOrg, id: string): Promise<void> {
    await request(t.app).delete(`${keysPath(org)}/${id}`).set(admin(org)).expect(204);
  }

  /** A response for alice, its assertion signed by the IdP, then encrypted to `certificate`. */
  const encryptedFor = (org: SeededOrg, certificate: string, options: Parameters<typeof encryptAssertion>[2] = {}) =>
    encryptAssertion(responseFor(org.slug, { nameId: `alice@${org.slug}.test` }), certificate, options);

  const failures = async (org: SeededOrg, reason: string) =>
    (await t.container.fork().find(AuditEvent, { action: 'sso.failed', org: org.id })).filter((e) => e.details.reason === reason).length;

  async function expectRefused(org: SeededOrg, xml: string, reason: string) {
    const before = await failures(org, reason);
    const res = await postAcs(t.app, org.slug, xml, { json: true });
    assert.equal(res.status, 400, res.text);
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal(await failures(org, reason), before + 1, `expected an sso.failed audit event with reason ${reason}`);
  }

  async function expectSignedIn(org: SeededOrg, xml: string) {
    const res = await postAcs(t.app, org.slug, xml).expect(303);
    const session = await request(t.app).get('/api/session').set('Cookie', cookieOf(res)).expect(200);
    assert.equal(session.body.user.email, `alice@${org.slug}.test`);
  }

  describe('keys', () => {
    it('publishes each key\'s certificate in the SP metadata, newest first, with the algorithms it decrypts', async () => {
      const before = await request(t.app).get('/saml/globex/metadata').expect(200);
      assert.doesNotMatch(before.text, /KeyDescriptor/);
      const first = await addKey(globex);
      const second = await addKey(globex);
      const metadata = (await request(t.app).get('/saml/globex/metadata').expect(200)).text;
      const published = [...metadata.matchAll(/<md:KeyDescriptor use="encryption">[\s\S]*?<ds:X509Certificate>([^<]+)<\/ds:X509Certificate>/g)].map((m) => m[1]);
      const base64 = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');
      assert.deepEqual(published, [base64(second.certificate), base64(first.certificate)]);
      assert.match(metadata, /<md:EncryptionMethod Algorithm="http:\/\/www\.w3\.org\/2009\/xmlenc11#aes256-gcm"\/>/);
      assert.match(metadata, /<md:EncryptionMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmlenc#rsa-oaep-mgf1p"\/>/);
      assert.doesNotMatch(metadata, /rsa-1_5|tripledes/);
    });

    it('makes a self-signed RSA-2048 certificate valid for ten years, and never shows the private key', async () => {
      const key = await addKey(acme);
      const cert = new X509Certificate(key.certificate);
      assert.ok(cert.verify(cert.publicKey), 'self-signed');
      assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.match(cert.subject, /CN=Gatehouse acme\/default SAML encryption/);
      const years = (new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()) / (365.25 * 86_400_000);
      assert.ok(years > 9.9 && years < 10.1, String(years));
      assert.equal(key.fingerprint256, cert.fingerprint256);
      const list = await request(t.app).get(keysPath(acme)).set(admin(acme)).expect(200);
      assert.ok(list.body.keys.some((k: { id: string }) => k.id === key.id));
      assert.doesNotMatch(JSON.stringify(list.body) + JSON.stringify(key), /PRIVATE KEY/);
      const audit = await t.container.fork().findOneOrFail(AuditEvent, { action: 'saml.encryption_key_added', org: acme.id }, { orderBy: { at: 'desc' } });
      assert.equal(audit.details.fingerprint256, cert.fingerprint256);
      const download = await request(t.app).get(`${keysPath(acme)}/${key.id}/certificate`).set(admin(acme)).expect(200);
      assert.equal(download.text, key.certificate);
      assert.match(download.headers['content-type']!, /^application\/x-pem-file/);
      assert.match(download.headers['content-disposition']!, /^attachment; filename="gatehouse-acme-default-encryption-\d{4}-\d\d-\d\d\.cer"$/);
      await request(t.app).get(`${keysPath(initech)}/${key.id}/certificate`).set(admin(initech)).expect(404);
      await removeKey(acme, key.id);
      const removed = await t.container.fork().findOneOrFail(AuditEvent, { action: 'saml.encryption_key_removed', org: acme.id });
      assert.equal(removed.details.keyId, key.id);
    });

    it('keeps at most three keys a connection: the fourth is 403 limit_exceeded', async () => {
      const keys = [await addKey(initech), await addKey(initech), await addKey(initech)];
      const res = await request(t.app).post(keysPath(initech)).set(admin(initech)).expect(403);
      assert.equal(res.body.error.code, 'limit_exceeded');
      assert.equal(res.body.error.details.limit, 3);
      for (const key of keys) await removeKey(initech, key.id);
    });

    it('belong to their org: another org\'s key id is 404, and so is a connection that does not exist', async () => {
      const key = await addKey(acme);
      const res = await request(t.app).delete(`${keysPath(initech)}/${key.id}`).set(admin(initech)).expect(404);
      assert.equal(res.body.error.code, 'not_found');
      await request(t.app).get(keysPath(acme)).set(admin(initech)).expect(403);
      await request(t.app).get(keysPath(acme, 'elsewhere')).set(admin(acme)).expect(404);
      await request(t.app).post(keysPath(acme, 'elsewhere')).set(admin(acme)).expect(404);
      assert.ok((await request(t.app).get(keysPath(acme)).set(admin(acme)).expect(200)).body.keys.some((k: { id: string }) => k.id === key.id));
      await removeKey(acme, key.id);
    });
  });

  describe('sign-in', () => {
    let current: { id: string; certificate: string };
    before(async () => {
      current = await addKey(acme);
    });

    it('signs in with an assertion signed, then encrypted with AES-256-GCM and RSA-OAEP (Okta)', async () => {
      await expectSignedIn(acme, await encryptedFor(acme, current.certificate));
    });

    it('says in each sso.login whether the assertion came encrypted, so an admin sees it before requiring it', async () => {
      const lastLogin = async () => (await t.container.fork().find(AuditEvent, { action: 'sso.login', org: acme.id }, { orderBy: { at: 'desc', id: 'desc' }, limit: 1 }))[0]!;
      await expectSignedIn(acme, await encryptedFor(acme, current.certificate));
      assert.equal((await lastLogin()).details.encrypted, true);
      await expectSignedIn(acme, responseFor('acme', { nameId: 'alice@acme.test' }));
      assert.equal((await lastLogin()).details.encrypted, false);
    });

    it('signs in with AES-256-CBC (Entra\'s token encryption) and with the 128-bit ciphers', async () => {
      for (const algorithm of ['aes256-cbc', 'aes128-cbc', 'aes128-gcm'] as const) {
        await expectSignedIn(acme, await encryptedFor(acme, current.certificate, { algorithm }));
      }
    });

    it('signs in when the Response is signed over the encrypted assertion too (Okta signs both)', async () => {
      await expectSignedIn(acme, sign(await encryptedFor(acme, current.certificate), 'response'));
    });

    it('refuses a Response whose signature over the encrypted assertion no longer holds', async () => {
      const signed = sign(await encryptedFor(acme, current.certificate), 'response');
      await expectRefused(acme, signed.replace(/IssueInstant="[^"]+"/, 'IssueInstant="2020-01-01T00:00:00.000Z"'), 'bad_signature');
    });

    it('refuses a SHA-1 signature over the encrypted assertion, as over a plain one', async () => {
      await expectRefused(acme, sign(await encryptedFor(acme, current.certificate), 'response', { algorithm: 'sha1' }), 'weak_algorithm');
    });

    it('refuses an encrypted assertion that is not signed inside, even in a signed Response', async () => {
      const unsigned = responseFor('acme', { nameId: 'alice@acme.test', signed: false });
      await expectRefused(acme, sign(await encryptAssertion(unsigned, current.certificate), 'response'), 'unsigned');
    });

    it('refuses an encrypted assertion signed with a key the connection does not trust', async () => {
      const forged = responseFor('acme', { nameId: 'alice@acme.test', signing: { keys: attackerKey } });
      await expectRefused(acme, await encryptAssertion(forged, current.certificate), 'bad_signature');
    });

    it('refuses an assertion encrypted to a key the connection does not have', async () => {
      await expectRefused(acme, await encryptedFor(acme, attackerKey.cert), 'decryption_failed');
    });

    it('refuses RSA 1.5 key transport (Bleichenbacher), even to the right key', async () => {
      await expectRefused(acme, await encryptedFor(acme, current.certificate, { keyTransport: 'rsa-1_5' }), 'decryption_failed');
    });

    it('refuses XML Encryption 1.1\'s rsa-oaep key transport, naming the algorithm in the audited detail', async () => {
      const xml = (await encryptedFor(acme, current.certificate)).replace('http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p', 'http://www.w3.org/2009/xmlenc11#rsa-oaep');
      await expectRefused(acme, xml, 'decryption_failed');
      const [last] = await t.container.fork().find(AuditEvent, { action: 'sso.failed', org: acme.id }, { orderBy: { at: 'desc', id: 'desc' }, limit: 1 });
      assert.match(String(last!.details.detail), /xmlenc11#rsa-oaep/);
    });

    it('refuses a plain assertion beside the encrypted one (the signed one could be swapped in)', async () => {
      const plain = responseFor('acme', { nameId: 'alice@acme.test' });
      const encrypted = await encryptAssertion(plain, current.certificate);
      const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(plain)![0].replace(/ID="[^"]+"/, `ID="${newId()}"`);
      await expectRefused(acme, encrypted.replace('</samlp:Response>', `${assertion}</samlp:Response>`), 'assertion_count');
    });

    it('refuses an EncryptedAssertion holding something other than one Assertion, or a DOCTYPE', async () => {
      const status = (assertion: string) => assertion.replace(/^<saml:Assertion/, '<saml:Statement').replace(/<\/saml:Assertion>$/, '</saml:Statement>');
      await expectRefused(acme, await encryptedFor(acme, current.certificate, { plaintext: status }), 'malformed');
      const entity = (assertion: string) => `<!DOCTYPE x [<!ENTITY e "alice">]>${assertion}`;
      await expectRefused(acme, await encryptedFor(acme, current.certificate, { plaintext: entity }), 'doctype');
      const two = (assertion: string) => `${assertion}${assertion}`;
      await expectRefused(acme, await encryptedFor(acme, current.certificate, { plaintext: two }), 'malformed');
    });

    it('refuses the same encrypted assertion twice (replay)', async () => {
      const xml = await encryptedFor(acme, current.certificate);
      await expectSignedIn(acme, xml);
      await expectRefused(acme, xml, 'replay');
    });

    it('refuses an encrypted assertion at a connection without keys, naming it', async () => {
      const key = await addKey(initech);
      const xml = await encryptedFor(initech, key.certificate);
      await removeKey(initech, key.id);
      await expectRefused(initech, xml, 'encrypted_assertion');
    });

    it('decrypts with the older key during a rollover, and refuses it once that key is removed', async () => {
      const next = await addKey(acme);
      await expectSignedIn(acme, await encryptedFor(acme, current.certificate));
      await expectSignedIn(acme, await encryptedFor(acme, next.certificate));
      await removeKey(acme, current.id);
      await expectRefused(acme, await encryptedFor(acme, current.certificate), 'decryption_failed');
      await expectSignedIn(acme, await encryptedFor(acme, next.certificate));
      current = next;
    });
  });

  describe('requireEncryptedAssertions', () => {
    it('cannot be switched on without a key: 400 naming the field, nothing changed', async () => {
      const res = await request(t.app).put(`/api/orgs/${initech.slug}/saml`).set(admin(initech)).send({ allowIdpInitiated: true, requireEncryptedAssertions: true }).expect(400);
      assert.ok(res.body.error.details.problems.some((p: { field: string }) => p.field === 'requireEncryptedAssertions'), JSON.stringify(res.body));
      const view = await request(t.app).get(`/api/orgs/${initech.slug}/saml`).set(admin(initech)).expect(200);
      assert.equal(view.body.requireEncryptedAssertions, false);
    });

    it('refuses plain assertions once on, signs in with encrypted ones, and keeps the last key (409)', async () => {
      const key = await addKey(initech);
      const on = await request(t.app).put(`/api/orgs/${initech.slug}/saml`).set(admin(initech)).send({ allowIdpInitiated: true, requireEncryptedAssertions: true }).expect(200);
      assert.equal(on.body.requireEncryptedAssertions, true);
      await expectRefused(initech, responseFor('initech', { nameId: 'alice@initech.test' }), 'unencrypted_assertion');
      await expectSignedIn(initech, await encryptedFor(initech, key.certificate));
      const res = await request(t.app).delete(`${keysPath(initech)}/${key.id}`).set(admin(initech)).expect(409);
      assert.equal(res.body.error.details.field, 'requireEncryptedAssertions');
      const list = await request(t.app).get(keysPath(initech)).set(admin(initech)).expect(200);
      assert.equal(list.body.requireEncryptedAssertions, true);
      assert.deepEqual(list.body.keys.map((k: { id: string }) => k.id), [key.id]);
    });
  });
});
