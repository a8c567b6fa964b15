import assert from 'node:assert/strict';
import request from 'supertest';
import { AuditEvent, User } from '../../src/db/entities/index.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { shortLivedCert, idpKey, nextIdpKey, IDP_ENTITY_ID, IDP_SSO_URL } from './support/idp.ts';
import { configureSaml, cookieOf, postAcs, responseFor, seedUser } from './support/sp.ts';
import { X509Certificate } from 'node:crypto';
import { fixedClock } from '../../src/lib/clock.ts';

describe('SAML sign-in: identity linking, JIT policies and sessions', () => {
  let t: TestApp;
  let off: SeededOrg;
  let link: SeededOrg;
  let create: SeededOrg;
  const auth = (org: SeededOrg) => ({ Authorization: `Bearer ${org.tokens.admin}` });

  before(async () => {
    t = await createTestApp();
    off = await seedOrg(t.container, 'off');
    link = await seedOrg(t.container, 'link');
    create = await seedOrg(t.container, 'create');
    await configureSaml(t.app, off, { allowIdpInitiated: true, jit: 'off' });
    await configureSaml(t.app, link, { allowIdpInitiated: true, jit: 'link' });
    await configureSaml(t.app, create, { allowIdpInitiated: true, jit: 'create' });
  });
  after(() => t.close());

  const invite = async (org: SeededOrg, userName: string, expiresInMs: number) => {
    const user = await seedUser(t.container, org, userName, { source: 'admin' });
    await t.container.fork().execute(`update users set state = 'invited', invite_expires_at = ? where id = ?`, [new Date(Date.now() + expiresInMs), user.id]);
    return user;
  };

  describe('JIT off', () => {
    it('refuses an unknown person with a clear page (403)', async () => {
      const res = await postAcs(t.app, 'off', responseFor('off', { nameId: 'stranger@off.test' })).expect(403);
      assert.match(res.text, /not set up in this organization/);
      assert.equal(await t.container.fork().count(User, { userName: 'stranger@off.test' }), 0);
    });

    it('refuses a pending invitee', async () => {
      await invite(off, 'pending@off.test', 86_400_000);
      await postAcs(t.app, 'off', responseFor('off', { nameId: 'pending@off.test' })).expect(403);
    });

    it('finds a known user by externalId, case-insensitive userName and email', async () => {
      await seedUser(t.container, off, 'Carol@Off.test', { externalId: 'okta-00carol' });
      await postAcs(t.app, 'off', responseFor('off', { nameId: 'okta-00carol', nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' })).expect(303);
      await postAcs(t.app, 'off', responseFor('off', { nameId: 'CAROL@off.TEST' })).expect(303);
      await seedUser(t.container, off, 'ivan', { email: 'Ivan.Petrov@off.test' });
      await postAcs(t.app, 'off', responseFor('off', { nameId: 'opaque-1', attributes: { email: 'ivan.petrov@OFF.test' } })).expect(303);
      const events = await t.container.fork().find(AuditEvent, { action: 'sso.login' });
      const matched = events.map((e) => e.details.matchedBy);
      assert.ok(matched.includes('externalId') && matched.includes('userName') && matched.includes('email'));
    });

    it('uses the stored NameID link first, even after the email changed at the IdP', async () => {
      await seedUser(t.container, off, 'dave@off.test');
      await postAcs(t.app, 'off', responseFor('off', { nameId: 'dave-stable-id', attributes: { email: 'dave@off.test' } })).expect(303);
      const res = await postAcs(t.app, 'off', responseFor('off', { nameId: 'dave-stable-id', attributes: { email: 'david.new@off.test' } })).expect(303);
      const me = await request(t.app).get('/api/session').set('Cookie', cookieOf(res)).expect(200);
      assert.equal(me.body.user.email, 'dave@off.test');
    });
  });

  describe('JIT link', () => {
    it('activates a pending invitee through the lifecycle accept transition', async () => {
      const user = await invite(link, 'erin@link.test', 86_400_000);
      await postAcs(t.app, 'link', responseFor('link', { nameId: 'erin@link.test' })).expect(303);
      const em = t.container.fork();
      assert.equal((await em.findOneOrFail(User, { id: user.id })).state, 'active');
      assert.equal(await em.count(AuditEvent, { action: 'user.activated', targetId: user.id }), 1);
    });

    it('gives an invitee signing in the planned groups with one membership.added event each (source saml)', async () => {
      const api = (method: 'get' | 'post', path: string) => request(t.app)[method](`/api/orgs/link${path}`).set(auth(link));
      const group = (await api('post', '/groups').send({ displayName: 'Wards' }).expect(201)).body.id as string;
      const invited = await api('post', '/invitations').send({ emails: 'gwen@link.test', groups: [{ id: group, role: 'editor' }] }).expect(201);
      const userId = invited.body.sent[0].userId as string;
      await t.container.events.publishAll();
      const start = (await api('get', '/events?limit=1000').expect(200)).body.cursor as string;
      await postAcs(t.app, 'link', responseFor('link', { nameId: 'gwen@link.test' })).expect(303);
      await t.container.events.publishAll();
      const events = (await api('get', `/events?after=${start}&limit=1000`).expect(200)).body.events as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.deepEqual(events.map((e) => e.type), ['membership.added', 'invitation.accepted', 'session.started']);
      assert.equal(events[0]!.resource.group.id, group);
      assert.equal(events[0]!.resource.user.id, userId);
      assert.equal(events[0]!.resource.role, 'editor');
      assert.equal(events[0]!.source, 'saml');
      // The acceptance renders the invitation with its user, as a registration's does.
      assert.equal(events[1]!.resource.id, invited.body.sent[0].invitationId);
      assert.equal(events[1]!.resource.user.id, userId);
      assert.equal(events[1]!.resource.user.status, 'active');
      assert.deepEqual(events[1]!.data, { via: 'saml' });
      assert.equal(await t.container.fork().count(AuditEvent, { action: 'membership.added', targetId: userId }), 1);
    });

    it('refuses an invitee whose invitation expired', async () => {
      await invite(link, 'late@link.test', -1000);
      const res = await postAcs(t.app, 'link', responseFor('link', { nameId: 'late@link.test' })).expect(403);
      assert.match(res.text, /invitation .* expired/);
    });

    it('does not create unknown people', async () => {
      await postAcs(t.app, 'link', responseFor('link', { nameId: 'new@link.test' })).expect(403);
    });
  });

  describe('JIT create', () => {
    it('creates a missing user with source saml-jit and records user.created', async () => {
      await postAcs(t.app, 'create', responseFor('create', { nameId: 'fresh@create.test', attributes: { firstName: 'Fresh', lastName: 'Person' } })).expect(303);
      const em = t.container.fork();
      const user = await em.findOneOrFail(User, { userName: 'fresh@create.test' });
      assert.equal(user.source, 'saml-jit');
      assert.equal(user.givenName, 'Fresh');
      assert.equal(await em.count(AuditEvent, { action: 'user.created', targetId: user.id }), 1);
    });

    it('gives the user it creates one time as created and last active (users.csv never shows them active before created)', async () => {
      await postAcs(t.app, 'create', responseFor('create', { nameId: 'same-time@create.test' })).expect(303);
      const [row] = await t.container.fork().execute(`select id, created_at, last_active_at from users where user_name = 'same-time@create.test'`);
      assert.equal(new Date(String(row!.last_active_at)).toISOString(), new Date(String(row!.created_at)).toISOString());
      const view = (await request(t.app).get(`/api/orgs/create/users/${String(row!.id)}`).set(auth(create)).expect(200)).body;
      assert.equal(view.lastActiveAt, view.createdAt);
    });

    it('refuses a user SCIM disabled, and does not create a replacement', async () => {
      await seedUser(t.container, create, 'gone@create.test', { active: false });
      const res = await postAcs(t.app, 'create', responseFor('create', { nameId: 'gone@create.test' })).expect(403);
      assert.match(res.text, /disabled/);
      assert.equal(await t.container.fork().count(User, { userName: 'gone@create.test' }), 1);
    });

    it('refuses a user SCIM deleted, and does not create a replacement', async () => {
      const user = await seedUser(t.container, create, 'deleted@create.test');
      await t.container.fork().execute(`update users set state = 'deleted', deleted_at = now() where id = ?`, [user.id]);
      await postAcs(t.app, 'create', responseFor('create', { nameId: 'deleted@create.test' })).expect(403);
      assert.equal(await t.container.fork().count(User, { userName: 'deleted@create.test' }), 1);
    });

    it('leaves a SCIM-managed profile as SCIM wrote it', async () => {
      const user = await seedUser(t.container, create, 'scimmed@create.test', { givenName: 'FromScim' });
      await postAcs(t.app, 'create', responseFor('create', { nameId: 'scimmed@create.test', attributes: { firstName: 'FromSaml' } })).expect(303);
      const after = await t.container.fork().findOneOrFail(User, { id: user.id });
      assert.equal(after.givenName, 'FromScim');
      assert.equal(after.version, user.version);
    });

    it('refuses a new person with a clear page (403, reason no_seat) when every seat is taken, not a 500', async () => {
      const full = await seedOrg(t.container, 'full');
      await configureSaml(t.app, full, { allowIdpInitiated: true, jit: 'create' });
      await seedUser(t.container, full, 'first@full.test');
      await request(t.app).patch('/api/orgs/full/settings').set(auth(full)).send({ seatLimit: 1 }).expect(200);

      const page = await postAcs(t.app, 'full', responseFor('full', { nameId: 'second@full.test' })).expect(403);
      assert.match(page.text, /no free seat/);
      const json = await postAcs(t.app, 'full', responseFor('full', { nameId: 'second@full.test' }), { json: true }).expect(403);
      assert.equal(json.body.error.code, 'sso_refused');
      assert.equal(await t.container.fork().count(User, { userName: 'second@full.test' }), 0);
      const failed = await t.container.fork().find(AuditEvent, { action: 'sso.failed', org: full.id });
      assert.deepEqual(failed.map((e) => e.details.reason), ['no_seat', 'no_seat']);
    });
  });

  describe('JIT create without an email (an opaque persistent NameID and no email attribute)', () => {
    const PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';

    it('refuses to create the person: 403 sso_refused, a page saying the IdP sent no email, sso.failed missing_email naming the attributes looked for', async () => {
      const mailless = await seedOrg(t.container, 'mailless');
      await configureSaml(t.app, mailless, { allowIdpInitiated: true, jit: 'create', attributeMapping: { email: 'workEmail' } });
      const opaque = { nameId: '00u1a2b3c4OpaqueOkta', nameIdFormat: PERSISTENT, attributes: { firstName: 'Olga', lastName: 'Opaque' } };

      const page = await postAcs(t.app, 'mailless', responseFor('mailless', opaque)).expect(403);
      assert.match(page.text, /did not send your email address/);
      const json = await postAcs(t.app, 'mailless', responseFor('mailless', opaque), { json: true }).expect(403);
      assert.equal(json.body.error.code, 'sso_refused');

      const em = t.container.fork();
      assert.equal(await em.count(User, { org: mailless.id }), 0);
      const failed = await em.find(AuditEvent, { action: 'sso.failed', org: mailless.id });
      assert.deepEqual(failed.map((e) => e.details.reason), ['missing_email', 'missing_email']);
      const detail = String(failed[0]!.details.detail);
      for (const name of ['workEmail', 'email', 'mail', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'urn:oid:0.9.2342.19200300.100.1.3']) {
        assert.ok(detail.includes(name), `${detail} names ${name}`);
      }
    });

    it('keeps the default attribute names and the whole sentence in sso.failed when the mapped email attribute name is very long', async () => {
      // Before, the detail was cut at 500 characters: a long mapped name pushed the defaults and the NameID clause out.
      const longName = `https://attributes.example.test/${'department/'.repeat(40)}workEmail`;
      const verbose = await seedOrg(t.container, 'verbose');
      await configureSaml(t.app, verbose, { allowIdpInitiated: true, jit: 'create', attributeMapping: { email: longName } });
      await postAcs(t.app, 'verbose', responseFor('verbose', { nameId: '00u-opaque', nameIdFormat: PERSISTENT })).expect(403);
      const [failed] = await t.container.fork().find(AuditEvent, { action: 'sso.failed', org: verbose.id });
      const detail = String(failed!.details.detail);
      assert.ok(detail.length <= 500, `${detail.length} characters`);
      for (const name of ['email', 'mail', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'urn:oid:0.9.2342.19200300.100.1.3']) {
        assert.ok(detail.includes(`, ${name}`), `${detail} names ${name}`);
      }
      assert.ok(detail.includes(`${longName.slice(0, 60)}…`), `${detail} starts the mapped name`);
      assert.ok(detail.includes(`(${longName.length} characters)`), `${detail} says how long the mapped name is`);
      assert.match(detail, /and its NameID is not an email address$/);
    });

    it('creates the person when the mapped email attribute is sent, whatever the NameID', async () => {
      const mapped = await seedOrg(t.container, 'mapped');
      await configureSaml(t.app, mapped, { allowIdpInitiated: true, jit: 'create', attributeMapping: { email: 'workEmail' } });
      await postAcs(t.app, 'mapped', responseFor('mapped', { nameId: '00u9opaque', nameIdFormat: PERSISTENT, attributes: { workEmail: 'Pat@Mapped.test' } })).expect(303);
      const user = await t.container.fork().findOneOrFail(User, { org: mapped.id });
      assert.equal(user.email, 'pat@mapped.test');
      assert.equal(user.source, 'saml-jit');
    });

    it('still signs in a person who already exists, found by the opaque NameID as externalId', async () => {
      await seedUser(t.container, create, 'known@create.test', { externalId: '00u-known-opaque' });
      await postAcs(t.app, 'create', responseFor('create', { nameId: '00u-known-opaque', nameIdFormat: PERSISTENT })).expect(303);
    });
  });

  describe('sessions', () => {
    it('keeps at most 3 sessions per user: the oldest ends first', async () => {
      await seedUser(t.container, off, 'frank@off.test');
      const cookies: string[] = [];
      for (let i = 0; i < 4; i++) cookies.push(cookieOf(await postAcs(t.app, 'off', responseFor('off', { nameId: 'frank@off.test' })).expect(303)));
      await request(t.app).get('/api/session').set('Cookie', cookies[0]!).expect(401);
      for (const cookie of cookies.slice(1)) await request(t.app).get('/api/session').set('Cookie', cookie).expect(200);
    });

    it('answers 401 JSON without a session', async () => {
      const res = await request(t.app).get('/api/session').expect(401);
      assert.equal(res.body.error.code, 'unauthenticated');
    });

    it('ends the session on POST /auth/logout', async () => {
      const cookie = cookieOf(await postAcs(t.app, 'off', responseFor('off', { nameId: 'frank@off.test' })).expect(303));
      const res = await request(t.app).post('/auth/logout').set('Cookie', cookie).expect(204);
      assert.match(String(res.headers['set-cookie']), /Max-Age=0/);
      await request(t.app).get('/api/session').set('Cookie', cookie).expect(401);
    });

    it('lists a user\'s sessions and lets an admin revoke one, recording session.revoked', async () => {
      const cookie = cookieOf(await postAcs(t.app, 'off', responseFor('off', { nameId: 'frank@off.test' })).expect(303));
      const me = await request(t.app).get('/api/session').set('Cookie', cookie).expect(200);
      const list = await request(t.app).get(`/api/orgs/off/users/${me.body.user.id}/sessions`).set(auth(off)).expect(200);
      assert.ok(list.body.sessions.some((s: { id: string; active: boolean }) => s.id === me.body.session.id && s.active));
      assert.equal(JSON.stringify(list.body).includes('token'), false);
      await request(t.app).delete(`/api/orgs/link/sessions/${me.body.session.id}`).set(auth(link)).expect(404);
      await request(t.app).delete(`/api/orgs/off/sessions/${me.body.session.id}`).set(auth(off)).expect(200);
      await request(t.app).get('/api/session').set('Cookie', cookie).expect(401);
      assert.equal(await t.container.fork().count(AuditEvent, { action: 'session.revoked', targetId: me.body.session.id }), 1);
    });

    it('ends sessions when SCIM disables the user', async () => {
      const user = await seedUser(t.container, off, 'gina@off.test');
      const cookie = cookieOf(await postAcs(t.app, 'off', responseFor('off', { nameId: 'gina@off.test' })).expect(303));
      await t.container.fork().execute(`update users set state = 'disabled' where id = ?`, [user.id]);
      await request(t.app).get('/api/session').set('Cookie', cookie).expect(401);
    });
  });

  describe('admin configuration', () => {
    it('answers what the IdP admin must enter before the IdP side is known', async () => {
      const org = await seedOrg(t.container, 'fresh');
      const res = await request(t.app).get('/api/orgs/fresh/saml').set(auth(org)).expect(200);
      assert.equal(res.body.configured, false);
      assert.equal(res.body.spEntityId, 'https://gatehouse.test/saml/fresh');
      assert.equal(res.body.acsUrl, 'https://gatehouse.test/saml/fresh/acs');
      assert.equal(res.body.loginUrl, 'https://gatehouse.test/saml/fresh/login');
      assert.equal(res.body.metadataUrl, 'https://gatehouse.test/saml/fresh/metadata');
      assert.equal(res.body.scimBaseUrl, 'https://gatehouse.test/scim/v2');
    });

    it('serves SP metadata before the IdP side is known, so Entra can be given it first', async () => {
      await seedOrg(t.container, 'early');
      for (const [path, base] of [['/saml/early/metadata', 'https://gatehouse.test/saml/early'], ['/saml/early/staging/metadata', 'https://gatehouse.test/saml/early/staging']]) {
        const res = await request(t.app).get(path!).expect(200);
        assert.match(res.headers['content-type'] ?? '', /samlmetadata\+xml/);
        assert.match(res.text, new RegExp(`entityID="${base}"`));
        assert.match(res.text, new RegExp(`Location="${base}/acs"`));
      }
      // No org, or a name no connection can have: still 404.
      await request(t.app).get('/saml/nobody/metadata').expect(404);
      await request(t.app).get('/saml/early/Not_A_Name/metadata').expect(404);
      // Sign-in itself still needs the IdP side.
      await request(t.app).get('/saml/early/login').expect(404);
    });

    it('changes only the options when a PUT gives no IdP side, keeping the stored entity ID, SSO URL and certificates', async () => {
      const org = await seedOrg(t.container, 'options');
      const none = await request(t.app).put('/api/orgs/options/saml').set(auth(org)).send({ jit: 'link' }).expect(400);
      assert.deepEqual(none.body.error.details.problems.map((p: { field: string }) => p.field).sort(), ['idpCertificates', 'idpEntityId', 'idpSsoUrl']);
      await configureSaml(t.app, org, { jit: 'off' });
      const res = await request(t.app).put('/api/orgs/options/saml').set(auth(org)).send({ jit: 'link', allowIdpInitiated: true }).expect(200);
      assert.equal(res.body.jit, 'link');
      assert.equal(res.body.allowIdpInitiated, true);
      assert.equal(res.body.idp.entityId, IDP_ENTITY_ID);
      assert.equal(res.body.idp.ssoUrl, IDP_SSO_URL);
      assert.equal(res.body.idp.certificates.length, 1);
    });

    it('configures from IdP metadata XML and records saml.configured', async () => {
      const org = await seedOrg(t.container, 'meta');
      const b64 = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');
      const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${IDP_ENTITY_ID}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${b64(idpKey.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${b64(nextIdpKey.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${IDP_SSO_URL}"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
      const res = await request(t.app).put('/api/orgs/meta/saml').set(auth(org)).send({ idpMetadataXml: metadata, allowIdpInitiated: true, jit: 'create' }).expect(201);
      assert.equal(res.body.idp.entityId, IDP_ENTITY_ID);
      assert.equal(res.body.idp.certificates.length, 2);
      assert.ok(res.body.idp.certificates[0].notAfter);
      assert.equal(await t.container.fork().count(AuditEvent, { action: 'saml.configured', org: org.id }), 1);
      // Certificate rollover: a response signed with the next key is accepted too.
      await postAcs(t.app, 'meta', responseFor('meta', { nameId: 'roll@meta.test', signing: { keys: nextIdpKey } })).expect(303);
    });

    it('refuses metadata and manual fields together, and names bad fields', async () => {
      const res = await request(t.app).put('/api/orgs/off/saml').set(auth(off)).send({ idpMetadataXml: '<x/>', idpEntityId: 'x' }).expect(400);
      assert.equal(res.body.error.code, 'invalid_input');
      const bad = await request(t.app).put('/api/orgs/off/saml').set(auth(off)).send({ idpEntityId: 'x', idpSsoUrl: 'nope', idpCertificates: ['junk'], jit: 'maybe' }).expect(400);
      const fields = bad.body.error.details.problems.map((p: { field: string }) => p.field).sort();
      assert.deepEqual(fields, ['idpCertificates.0', 'idpSsoUrl', 'jit']);
    });

    it("names metadata that is not well-formed XML with the parser's reason alone, without its log prefix and empty locator", async () => {
      // Before: 'not well-formed XML: [xmldom error]\tunexpected end of input\n@#[line:undefined,col:undefined]'.
      const res = await request(t.app).put('/api/orgs/off/saml').set(auth(off)).send({ idpMetadataXml: '<md:EntityDescriptor' }).expect(400);
      assert.deepEqual(res.body.error.details.problems, [{ field: 'idpMetadataXml', reason: 'not well-formed XML: unexpected end of input' }]);
    });

    it('serves a second connection of one org on its own entity ID and ACS', async () => {
      await configureSaml(t.app, off, { allowIdpInitiated: true }, 'staging');
      const view = await request(t.app).get('/api/orgs/off/saml/staging').set(auth(off)).expect(200);
      assert.equal(view.body.spEntityId, 'https://gatehouse.test/saml/off/staging');
      await seedUser(t.container, off, 'hank@off.test');
      await postAcs(t.app, 'off', responseFor('off', { nameId: 'hank@off.test', connection: 'staging' }), { connection: 'staging' }).expect(303);
      // The default connection's audience is not this one's.
      await postAcs(t.app, 'off', responseFor('off', { nameId: 'hank@off.test' }), { connection: 'staging' }).expect(400);
    });

    it('lists certificates expiring within 60 days', async () => {
      const notBefore = new Date(new X509Certificate(shortLivedCert).validFrom);
      const clock = fixedClock(new Date(notBefore.getTime() + 86_400_000));
      const other = await createTestApp({ clock });
      try {
        const org = await seedOrg(other.container, 'soon');
        const res = await request(other.app).put('/api/orgs/soon/saml').set(auth(org))
          .send({ idpEntityId: IDP_ENTITY_ID, idpSsoUrl: IDP_SSO_URL, idpCertificates: [idpKey.cert, shortLivedCert] }).expect(201);
        assert.equal(res.body.expiringCertificates.length, 1);
        assert.equal(res.body.expiringCertificates[0].subject, 'CN=gatehouse-test-short-lived');
        assert.ok(res.body.expiringCertificates[0].expiresInDays < 60);
      } finally {
        await other.close();
      }
    });
  });
});
