import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { scimRequest, userBody } from '../support/scim.ts';
import { seedPerson, sessionCookieOf } from '../auth/support/people.ts';
import { encode, newId } from '../saml/support/idp.ts';
import { configureSaml, postAcs, responseFor, seedUser } from '../saml/support/sp.ts';

/**
 * Issue 9: tokens, passwords, reset and invitation links, session cookies and SAML assertions
 * never reach the logs. A full run (every flow that handles one of them, successes and
 * refusals) logs at `trace` into memory; each secret is then looked for in the captured text.
 * Mail goes to DATA_DIR/outbox (no SMTP), the mode whose log line once carried the links.
 */
describe('secrets in logs', () => {
  let t: TestApp;
  let org: SeededOrg;
  let dataDir: string;
  const lines: string[] = [];
  const secrets = new Map<string, string>();
  const keep = (name: string, value: string) => {
    assert.ok(value.length >= 8, `${name} is too short to look for`);
    secrets.set(name, value);
  };

  /** The newest mail to `address` in DATA_DIR/outbox, quoted-printable soft breaks undone. */
  async function mailTo(address: string): Promise<string> {
    await t.container.outbox.deliverDue();
    const dir = path.join(dataDir, 'outbox');
    const files = (await readdir(dir)).sort().reverse();
    for (const file of files) {
      const text = (await readFile(path.join(dir, file), 'utf8')).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      if (text.includes(address)) return text;
    }
    throw new Error(`no mail to ${address} in ${files.join(', ')}`);
  }

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'gatehouse-secrets-'));
    t = await createTestApp({
      logger: createLogger('trace', { write: (line: string) => void lines.push(line) }),
      config: { dataDir, auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } }, scim: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } } },
    });
    org = await seedOrg(t.container, 'acme');
    keep('admin token', org.tokens.admin);
    keep('SCIM token', org.tokens.scim);
  });
  after(async () => {
    await t.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates and uses tokens over the admin API and SCIM', async () => {
    const created = await request(t.app).post(`/api/orgs/${org.slug}/tokens`).set('Authorization', `Bearer ${org.tokens.admin}`).send({ scope: 'scim', name: 'okta' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    keep('created token', created.body.token);
    keep('SCIM password attribute', 'Scim-Password-Attr-9');
    const user = await scimRequest(t, created.body.token, 'post', '/Users', userBody('scim@acme.test', { password: 'Scim-Password-Attr-9' }));
    assert.equal(user.status, 201, JSON.stringify(user.body));
    await scimRequest(t, created.body.token, 'get', '/Users').query({ filter: 'userName eq "scim@acme.test"' }).expect(200);
    await scimRequest(t, created.body.token, 'patch', `/Users/${user.body.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'bogus' }] }).expect(400);
    // A password of the wrong type is refused naming the attribute, without echoing the value (detail and debug log).
    keep('SCIM password of the wrong type', 'Scim-Password-Array-7');
    const wrongType = await scimRequest(t, created.body.token, 'post', '/Users', userBody('wrong@acme.test', { password: ['Scim-Password-Array-7'] }));
    assert.equal(wrongType.status, 400, JSON.stringify(wrongType.body));
    assert.match(wrongType.body.detail, /"password" must be a string/);
    keep('SCIM password patched with the wrong type', 'Scim-Password-Object-8');
    const patched = await scimRequest(t, created.body.token, 'patch', `/Users/${user.body.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'password', value: { value: 'Scim-Password-Object-8' } }],
    });
    assert.equal(patched.status, 400, JSON.stringify(patched.body));
    for (const detail of [wrongType.body.detail, patched.body.detail]) assert.doesNotMatch(detail, /Scim-Password/);
    // A refused bearer is a secret too: it may be a real token of another org, mistyped.
    keep('refused bearer', 'gh_scim_NotARealTokenButShapedLikeOne0123456789abcdef');
    await scimRequest(t, 'gh_scim_NotARealTokenButShapedLikeOne0123456789abcdef', 'get', '/Users').expect(401);
    await request(t.app).delete(`/api/orgs/${org.slug}/tokens/${created.body.id}`).set('Authorization', `Bearer ${org.tokens.admin}`).expect(200);
    await scimRequest(t, created.body.token, 'get', '/Users').expect(401);
  });

  it('creates a webhook endpoint, rolls its secret and replaces it, over the admin API', async () => {
    const admin = (req: request.Test) => req.set('Authorization', `Bearer ${org.tokens.admin}`);
    const created = await admin(request(t.app).post(`/api/orgs/${org.slug}/webhooks`)).send({ url: 'http://127.0.0.1:9/hook' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    keep('webhook secret', created.body.secret);
    const rolled = await admin(request(t.app).post(`/api/orgs/${org.slug}/webhooks/${created.body.id}/rotate-secret`)).send({ graceHours: 1 });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    keep('rolled webhook secret', rolled.body.secret);
    const given = 'whsec_given-by-the-team-in-a-patch-0123456789';
    keep('patched webhook secret', given);
    assert.equal((await admin(request(t.app).patch(`/api/orgs/${org.slug}/webhooks/${created.body.id}`)).send({ secret: given })).status, 200);
  });

  it('signs in with a password, fails once, and resets it by the mailed link', async () => {
    keep('password', 'Blue-Harbor-Lamp-42');
    keep('wrong password', 'Wrong-Guess-Pass-13');
    keep('new password', 'Green-Meadow-Kite-77');
    await seedPerson(t.container, org, 'ann@acme.test', { password: 'Blue-Harbor-Lamp-42' });
    await request(t.app).post('/auth/password/login').send({ email: 'ann@acme.test', password: 'Wrong-Guess-Pass-13' }).expect(401);
    const login = await request(t.app).post('/auth/password/login').send({ email: 'ann@acme.test', password: 'Blue-Harbor-Lamp-42' }).expect(200);
    keep('password session cookie', sessionCookieOf(login).split('=')[1]!);
    await request(t.app).get('/api/session').set('Cookie', sessionCookieOf(login)).expect(200);

    await request(t.app).post('/auth/password/reset-request').send({ email: 'ann@acme.test' }).expect(202);
    const token = /\/auth\/password\/reset\/(gh_reset_[A-Za-z0-9_-]+)/.exec(await mailTo('ann@acme.test'))?.[1];
    assert.ok(token, 'the reset mail has a link');
    keep('reset token', token);
    await request(t.app).get(`/auth/password/reset/${token}`).expect(200);
    await request(t.app).post(`/auth/password/reset/${token}`).send({ password: 'Green-Meadow-Kite-77' }).expect(200);
    await request(t.app).get(`/auth/password/reset/${token}`).expect(410);
  });

  it('invites a person who registers by the mailed link', async () => {
    await request(t.app).post(`/api/orgs/${org.slug}/invitations`).set('Authorization', `Bearer ${org.tokens.admin}`).send({ emails: ['ivy@acme.test'] }).expect(201);
    const token = /\/invitations\/(gh_invite_[A-Za-z0-9_-]+)/.exec(await mailTo('ivy@acme.test'))?.[1];
    assert.ok(token, 'the invitation mail has a link');
    keep('invitation token', token);
    keep('invitee password', 'Quiet-River-Stone-58');
    await request(t.app).get(`/invitations/${token}`).expect(200);
    const registered = await request(t.app)
      .post(`/invitations/${token}`)
      .type('form')
      .send({ givenName: 'Ivy', familyName: 'Lee', password: 'Quiet-River-Stone-58', confirmPassword: 'Quiet-River-Stone-58', eula: 'accepted' });
    assert.ok(registered.status === 303 || registered.status === 200, `${registered.status} ${registered.text.slice(0, 300)}`);
    keep('invitee session cookie', sessionCookieOf(registered).split('=')[1]!);
  });

  it('signs in over SAML with a signed assertion, and refuses its replay', async () => {
    await configureSaml(t.app, org, { allowIdpInitiated: true });
    await seedUser(t.container, org, 'sam@acme.test');
    const assertionId = newId();
    const xml = responseFor(org.slug, { nameId: 'sam@acme.test', assertionId });
    keep('assertion ID', assertionId);
    keep('SAMLResponse', encode(xml));
    keep('SAMLResponse (start)', encode(xml).slice(0, 60));
    keep('signature value', /<ds:SignatureValue>([^<]{20,})</.exec(xml)?.[1] ?? /SignatureValue>([^<]{20,})</.exec(xml)![1]!);
    const res = await postAcs(t.app, org.slug, xml).expect(303);
    keep('SAML session cookie', sessionCookieOf(res).split('=')[1]!);
    await postAcs(t.app, org.slug, xml).expect(400);
  });

  it('logs none of them, at trace level, anywhere in the run', () => {
    const log = lines.join('');
    assert.ok(lines.length > 20, `only ${lines.length} log lines: is the logger wired?`);
    assert.match(log, /"msg":"request"/);
    // The link pages were logged, with their token replaced (http/context.ts loggablePath).
    assert.match(log, /"path":"\/invitations\/:token"/);
    assert.match(log, /"path":"\/auth\/password\/reset\/:token"/);
    const leaks = [...secrets].filter(([, value]) => log.includes(value) || log.includes(encodeURIComponent(value)));
    assert.deepEqual(leaks.map(([name]) => name), [], `secrets in the logs:\n${leaks.map(([name, value]) => `${name}: ${lines.find((l) => l.includes(value))}`).join('\n')}`);
  });
});
