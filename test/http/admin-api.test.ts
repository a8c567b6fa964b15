import assert from 'node:assert/strict';
import request from 'supertest';
import { createTestApp, seedOrg, testActor, type SeededOrg, type TestApp } from '../support/app.ts';
import { AuditEvent, ApiToken, Organization } from '../../src/db/entities/index.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { revokeApiToken } from '../../src/directory/tokens.ts';

describe('admin API core', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;

  before(async () => {
    t = await createTestApp({ config: { bodyLimit: '2kb' } });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
  });
  after(() => t.close());

  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('returns the org to an admin token of that org', async () => {
    const res = await request(t.app).get('/api/orgs/acme').set(auth(acme.tokens.admin)).expect(200);
    assert.equal(res.body.slug, 'acme');
    assert.equal(res.body.id, acme.id);
    assert.ok(res.headers['x-request-id']);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
  });

  it('accepts the Bearer scheme in any case', async () => {
    await request(t.app).get('/api/orgs/acme').set('Authorization', `bearer ${acme.tokens.admin}`).expect(200);
  });

  it('answers 401 with a JSON error and WWW-Authenticate when the token is missing', async () => {
    const res = await request(t.app).get('/api/orgs/acme').expect(401);
    assert.equal(res.body.error.code, 'unauthenticated');
    assert.match(res.headers['www-authenticate'] ?? '', /^Bearer/);
  });

  it('answers 401 for an unknown token', async () => {
    const res = await request(t.app).get('/api/orgs/acme').set(auth('gh_admin_nope')).expect(401);
    assert.equal(res.body.error.code, 'unauthenticated');
  });

  it('answers 401 when a SCIM token is used on the admin API', async () => {
    await request(t.app).get('/api/orgs/acme').set(auth(acme.tokens.scim)).expect(401);
  });

  it('answers 403 when an admin token of one org asks for another org', async () => {
    const res = await request(t.app).get('/api/orgs/globex').set(auth(acme.tokens.admin)).expect(403);
    assert.equal(res.body.error.code, 'forbidden');
    assert.doesNotMatch(JSON.stringify(res.body), /globex inc/);
  });

  it('answers 404 for an org that does not exist', async () => {
    const res = await request(t.app).get('/api/orgs/nope').set(auth(acme.tokens.admin)).expect(404);
    assert.equal(res.body.error.code, 'not_found');
  });

  it('answers 404 with a JSON error for an unknown route', async () => {
    const res = await request(t.app).get('/api/nothing-here').expect(404);
    assert.equal(res.body.error.code, 'route_not_found');
  });

  it('answers 400 invalid_json for a malformed body and writes nothing', async () => {
    const before = await t.container.fork().count(ApiToken, {});
    const res = await request(t.app)
      .post('/api/orgs/acme/tokens')
      .set(auth(acme.tokens.admin))
      .set('Content-Type', 'application/json')
      .send('{"scope": "scim",')
      .expect(400);
    assert.equal(res.body.error.code, 'invalid_json');
    assert.equal(await t.container.fork().count(ApiToken, {}), before);
  });

  it('answers a JSON scalar body as invalid_input naming body, as it answers an array, not as malformed JSON', async () => {
    // Before: 400 invalid_json "The request body is not valid JSON: Unexpected token 'n', "null" is not valid JSON".
    const res = await request(t.app)
      .post('/api/orgs/acme/tokens')
      .set(auth(acme.tokens.admin))
      .set('Content-Type', 'application/json')
      .send('null')
      .expect(400);
    assert.equal(res.body.error.code, 'invalid_input');
    assert.deepEqual(res.body.error.details.problems, [{ field: 'body', reason: 'must be a JSON object, got null' }]);
  });

  it('answers 413 for a body over the configured limit', async () => {
    const res = await request(t.app)
      .post('/api/orgs/acme/tokens')
      .set(auth(acme.tokens.admin))
      .send({ scope: 'scim', name: 'x'.repeat(5000) })
      .expect(413);
    assert.equal(res.body.error.code, 'payload_too_large');
  });

  it('answers 400 naming each bad field', async () => {
    const res = await request(t.app)
      .post('/api/orgs/acme/tokens')
      .set(auth(acme.tokens.admin))
      .send({ scope: 'root', colour: 'red' })
      .expect(400);
    assert.equal(res.body.error.code, 'invalid_input');
    const fields = res.body.error.details.problems.map((p: { field: string }) => p.field).sort();
    assert.deepEqual(fields, ['colour', 'scope']);
  });

  it('sets helmet security headers', async () => {
    const res = await request(t.app).get('/api/orgs/acme').set(auth(acme.tokens.admin));
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['content-security-policy']);
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.match(res.headers['strict-transport-security'] ?? '', /max-age=/, 'HSTS on an https PUBLIC_URL');
    assert.match(res.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
  });

  describe('tokens', () => {
    it('creates a token shown once, lists it without the secret, and revokes it', async () => {
      const created = await request(t.app)
        .post('/api/orgs/acme/tokens')
        .set(auth(acme.tokens.admin))
        .send({ scope: 'scim', name: 'Okta' })
        .expect(201);
      assert.match(created.body.token, /^gh_scim_/);
      const id = created.body.id as string;

      const listed = await request(t.app).get('/api/orgs/acme/tokens').set(auth(acme.tokens.admin)).expect(200);
      const entry = listed.body.tokens.find((x: { id: string }) => x.id === id);
      assert.equal(entry.name, 'Okta');
      assert.equal(entry.token, undefined);
      assert.doesNotMatch(JSON.stringify(listed.body), new RegExp(created.body.token));

      const stored = await t.container.fork().findOneOrFail(ApiToken, { id });
      assert.notEqual(stored.tokenHash, created.body.token);
      assert.equal(stored.tokenHash.length, 64);

      await request(t.app).delete(`/api/orgs/acme/tokens/${id}`).set(auth(acme.tokens.admin)).expect(200);
      const after = await request(t.app).get('/api/orgs/acme/tokens').set(auth(acme.tokens.admin));
      assert.ok(after.body.tokens.find((x: { id: string }) => x.id === id).revokedAt);
    });

    it('refuses a revoked admin token with 401', async () => {
      const created = await request(t.app).post('/api/orgs/acme/tokens').set(auth(acme.tokens.admin)).send({ scope: 'admin' }).expect(201);
      await request(t.app).get('/api/orgs/acme').set(auth(created.body.token)).expect(200);
      await request(t.app).delete(`/api/orgs/acme/tokens/${created.body.id}`).set(auth(acme.tokens.admin)).expect(200);
      await request(t.app).get('/api/orgs/acme').set(auth(created.body.token)).expect(401);
    });

    it('records lastUsedAt when a token is used', async () => {
      const created = await request(t.app).post('/api/orgs/acme/tokens').set(auth(acme.tokens.admin)).send({ scope: 'admin' }).expect(201);
      await request(t.app).get('/api/orgs/acme').set(auth(created.body.token)).expect(200);
      const stored = await t.container.fork().findOneOrFail(ApiToken, { id: created.body.id });
      assert.ok(stored.lastUsedAt instanceof Date);
    });

    it('cannot list, see or revoke the tokens of another org', async () => {
      const other = await request(t.app).get('/api/orgs/globex/tokens').set(auth(globex.tokens.admin)).expect(200);
      const globexTokenId = other.body.tokens[0].id as string;
      const mine = await request(t.app).get('/api/orgs/acme/tokens').set(auth(acme.tokens.admin)).expect(200);
      assert.ok(!mine.body.tokens.some((x: { id: string }) => x.id === globexTokenId));
      await request(t.app).delete(`/api/orgs/acme/tokens/${globexTokenId}`).set(auth(acme.tokens.admin)).expect(404);
      await request(t.app).delete(`/api/orgs/globex/tokens/${globexTokenId}`).set(auth(acme.tokens.admin)).expect(403);
      const still = await t.container.fork().findOneOrFail(ApiToken, { id: globexTokenId });
      assert.equal(still.revokedAt, null);
    });

    it('records one audit event per change with the actor and the request id', async () => {
      const res = await request(t.app)
        .post('/api/orgs/acme/tokens')
        .set(auth(acme.tokens.admin))
        .set('X-Request-Id', 'req-audit-1')
        .send({ scope: 'scim', name: 'Entra' })
        .expect(201);
      const events = await t.container.fork().find(AuditEvent, { requestId: 'req-audit-1' });
      assert.equal(events.length, 1);
      assert.equal(events[0]!.action, 'token.created');
      assert.equal(events[0]!.actorType, 'admin_token');
      assert.equal(events[0]!.actorLabel, 'acme admin');
      assert.equal(events[0]!.targetId, res.body.id);
      assert.equal(events[0]!.org.id, acme.id);
      assert.ok(events[0]!.ip);
    });
  });
});

describe('security headers on a plain-http PUBLIC_URL', () => {
  it('sends neither HSTS nor upgrade-insecure-requests, so local forms keep working', async () => {
    const t = await createTestApp({ config: { publicUrl: 'http://localhost:3000' } });
    try {
      const res = await request(t.app).get('/healthz').expect(200);
      assert.equal(res.headers['strict-transport-security'], undefined);
      assert.doesNotMatch(res.headers['content-security-policy'] ?? '', /upgrade-insecure-requests/);
    } finally {
      await t.close();
    }
  });
});

describe('bearer token cache', () => {
  let t: TestApp;
  let acme: SeededOrg;
  const clock = fixedClock(new Date('2026-11-23T12:00:00Z'));
  before(async () => {
    t = await createTestApp({ config: { auth: { tokenCacheMs: 5000 } }, clock });
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  it('drops a token revoked through the admin API at once', async () => {
    const created = await request(t.app).post('/api/orgs/acme/tokens').set(auth(acme.tokens.admin)).send({ scope: 'scim' }).expect(201);
    await request(t.app).get('/scim/v2/Users').set(auth(created.body.token)).expect(200);
    await request(t.app).delete(`/api/orgs/acme/tokens/${created.body.id}`).set(auth(acme.tokens.admin)).expect(200);
    await request(t.app).get('/scim/v2/Users').set(auth(created.body.token)).expect(401);
  });

  it('stops accepting a token revoked elsewhere (another instance, the CLI) once the cache entry expires', async () => {
    const created = await request(t.app).post('/api/orgs/acme/tokens').set(auth(acme.tokens.admin)).send({ scope: 'scim' }).expect(201);
    await request(t.app).get('/scim/v2/Users').set(auth(created.body.token)).expect(200);
    const org = await t.container.fork().findOneOrFail(Organization, { slug: 'acme' });
    await revokeApiToken(t.container.fork(), { orgId: org.id, orgSlug: 'acme', actor: testActor }, created.body.id, clock.now());
    await request(t.app).get('/scim/v2/Users').set(auth(created.body.token)).expect(200);
    clock.advance(5001);
    await request(t.app).get('/scim/v2/Users').set(auth(created.body.token)).expect(401);
  });

  it('never caches a token for the wrong scope', async () => {
    await request(t.app).get('/scim/v2/Users').set(auth(acme.tokens.scim)).expect(200);
    await request(t.app).get('/api/orgs/acme').set(auth(acme.tokens.scim)).expect(401);
  });
});
