import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { api } from '../people/support.ts';
import { configureSaml } from '../saml/support/sp.ts';

/**
 * Two admins (or an admin and a script) writing the same record: the admin API's GETs answer the
 * row version as a weak ETag, and a write carrying a stale one in If-Match is refused 412
 * precondition_failed, naming the record, with nothing written. Without If-Match, as before.
 */
describe('admin API: If-Match on webhooks, settings, groups and SAML deletes', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const tagOf = (res: Response) => {
    assert.match(res.headers.etag ?? '', /^W\/"\d+"$/, `a version tag, not a hash of the body: ${res.headers.etag}`);
    return res.headers.etag!;
  };
  function assertStale(res: Response, message: RegExp): void {
    assert.equal(res.status, 412, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'precondition_failed');
    assert.match(res.body.error.message, message);
  }
  const newWebhook = async () => (await api(t, acme).post('/webhooks', { url: 'https://hooks.acme.test/in', description: 'first' }).expect(201)).body as { id: string; version: number };

  describe('webhook endpoints', () => {
    it('answers GET and PATCH with the version as a weak ETag', async () => {
      const hook = await newWebhook();
      const read = await api(t, acme).get(`/webhooks/${hook.id}`).expect(200);
      assert.equal(tagOf(read), `W/"${read.body.version}"`);
      const changed = await api(t, acme).patch(`/webhooks/${hook.id}`, { description: 'second' }).set('If-Match', tagOf(read)).expect(200);
      assert.equal(tagOf(changed), `W/"${read.body.version + 1}"`);
    });

    it('refuses a PATCH with a stale If-Match with 412 naming the webhook, keeping the other change', async () => {
      const hook = await newWebhook();
      const seen = tagOf(await api(t, acme).get(`/webhooks/${hook.id}`).expect(200));
      await api(t, acme).patch(`/webhooks/${hook.id}`, { description: 'theirs' }).expect(200);
      assertStale(await api(t, acme).patch(`/webhooks/${hook.id}`, { enabled: false }).set('If-Match', seen), new RegExp(`Webhook ${hook.id} was changed by someone else`));
      const now = (await api(t, acme).get(`/webhooks/${hook.id}`).expect(200)).body;
      assert.deepEqual([now.description, now.enabled], ['theirs', true]);
    });

    it('refuses a stale PATCH even when it would change nothing', async () => {
      const hook = await newWebhook();
      await api(t, acme).patch(`/webhooks/${hook.id}`, { description: 'theirs' }).expect(200);
      assertStale(await api(t, acme).patch(`/webhooks/${hook.id}`, { description: 'theirs' }).set('If-Match', `W/"${hook.version}"`), /was changed by someone else/);
    });

    it('refuses a DELETE and a secret rotation with a stale If-Match, and does neither', async () => {
      const hook = await newWebhook();
      await api(t, acme).patch(`/webhooks/${hook.id}`, { url: 'https://hooks.acme.test/moved' }).expect(200);
      const stale = `W/"${hook.version}"`;
      assertStale(await api(t, acme).delete(`/webhooks/${hook.id}`).set('If-Match', stale), /Webhook .* was changed by someone else/);
      assertStale(await api(t, acme).post(`/webhooks/${hook.id}/rotate-secret`, { graceHours: 0 }).set('If-Match', stale), /Webhook .* was changed by someone else/);
      const now = await api(t, acme).get(`/webhooks/${hook.id}`).expect(200);
      assert.equal(now.body.version, hook.version + 1, 'not rotated');
      const rotated = await api(t, acme).post(`/webhooks/${hook.id}/rotate-secret`, { graceHours: 0 }).set('If-Match', tagOf(now)).expect(200);
      await api(t, acme).delete(`/webhooks/${hook.id}`).set('If-Match', tagOf(rotated)).expect(204);
    });

    it('adds a digest to the tag while a rolled secret still signs (its end changes the view, not the version), and If-Match takes it', async () => {
      const hook = await newWebhook();
      const rotated = await api(t, acme).post(`/webhooks/${hook.id}/rotate-secret`, { graceHours: 24 }).expect(200);
      assert.match(rotated.headers.etag ?? '', /^W\/"\d+\.[0-9a-f]{12}"$/);
      const read = await api(t, acme).get(`/webhooks/${hook.id}`).expect(200);
      assert.equal(read.headers.etag, rotated.headers.etag);
      await api(t, acme).get(`/webhooks/${hook.id}`).set('If-None-Match', `W/"${read.body.version}"`).expect(200);
      await api(t, acme).patch(`/webhooks/${hook.id}`, { description: 'after the roll' }).set('If-Match', read.headers.etag!).expect(200);
    });

    it('without If-Match, writes as before whatever the version', async () => {
      const hook = await newWebhook();
      await api(t, acme).patch(`/webhooks/${hook.id}`, { description: 'one' }).expect(200);
      await api(t, acme).patch(`/webhooks/${hook.id}`, { description: 'two' }).expect(200);
      await api(t, acme).post(`/webhooks/${hook.id}/rotate-secret`, {}).expect(200);
      await api(t, acme).delete(`/webhooks/${hook.id}`).expect(204);
    });
  });

  describe('org settings', () => {
    it('answers GET and PATCH with the settings version as a weak ETag', async () => {
      const read = await api(t, acme).get('/settings').expect(200);
      const changed = await api(t, acme).patch('/settings', { sessionCap: 4 }).set('If-Match', tagOf(read)).expect(200);
      assert.notEqual(tagOf(changed), tagOf(read));
      assert.equal(tagOf(await api(t, acme).get('/settings').expect(200)), tagOf(changed));
    });

    it('refuses a PATCH with a stale If-Match with 412 naming the settings, keeping the other change', async () => {
      const seen = tagOf(await api(t, acme).get('/settings').expect(200));
      await api(t, acme).patch('/settings', { invitationTtlDays: 10 }).expect(200);
      assertStale(await api(t, acme).patch('/settings', { invitationTtlDays: 3, sessionCap: 5 }).set('If-Match', seen), /Settings of organization acme was changed by someone else/);
      const now = (await api(t, acme).get('/settings').expect(200)).body;
      assert.notEqual(now.sessionCap, 5);
      assert.equal(now.invitationTtlDays, 10);
    });

    it('without If-Match, a PATCH applies as before', async () => {
      const seen = tagOf(await api(t, acme).get('/settings').expect(200));
      await api(t, acme).patch('/settings', { invitationTtlDays: 8 }).expect(200);
      await api(t, acme).patch('/settings', { invitationTtlDays: 9 }).expect(200);
      await api(t, acme).patch('/settings', { invitationTtlDays: 7 }).set('If-Match', `W/"999999", ${tagOf(await api(t, acme).get('/settings'))}`).expect(200);
      assert.notEqual(seen, tagOf(await api(t, acme).get('/settings')));
    });
  });

  describe('groups', () => {
    const newGroup = async (displayName: string) => (await api(t, acme).post('/groups', { displayName }).expect(201)).body as { id: string; version: number };

    it('answers GET and PATCH with the version (and a digest of the members shown), and If-Match on PATCH takes it', async () => {
      const group = await newGroup('Tagged');
      const read = await api(t, acme).get(`/groups/${group.id}`).expect(200);
      assert.match(read.headers.etag ?? '', new RegExp(`^W/"${read.body.version}\\.[0-9a-f]{12}"$`));
      const renamed = await api(t, acme).patch(`/groups/${group.id}`, { displayName: 'Tagged again' }).set('If-Match', read.headers.etag!).expect(200);
      assert.match(renamed.headers.etag ?? '', new RegExp(`^W/"${read.body.version + 1}\\.[0-9a-f]{12}"$`));
    });

    it('refuses a rename and a delete with a stale If-Match with 412 naming the group, keeping the other rename', async () => {
      const group = await newGroup('Original');
      const seen = (await api(t, acme).patch(`/groups/${group.id}`, { description: 'mine' }).expect(200)).headers.etag!;
      await api(t, acme).patch(`/groups/${group.id}`, { displayName: 'Theirs' }).expect(200);
      assertStale(await api(t, acme).patch(`/groups/${group.id}`, { displayName: 'Mine' }).set('If-Match', seen), new RegExp(`Group ${group.id} was changed by someone else`));
      assertStale(await api(t, acme).delete(`/groups/${group.id}`).set('If-Match', seen), /was changed by someone else/);
      assert.equal((await api(t, acme).get(`/groups/${group.id}`).expect(200)).body.displayName, 'Theirs');
      await api(t, acme).patch(`/groups/${group.id}`, { displayName: 'Mine' }).expect(200);
      await api(t, acme).delete(`/groups/${group.id}`).expect(204);
    });
  });

  describe('SAML connection delete', () => {
    it('refuses a DELETE with a stale If-Match with 412 naming the connection, and keeps it', async () => {
      await configureSaml(t.app, acme, { jit: 'off' }, 'staging');
      const seen = (await api(t, acme).get('/saml/staging').expect(200)).headers.etag!;
      await configureSaml(t.app, acme, { jit: 'create' }, 'staging');
      assertStale(await api(t, acme).delete('/saml/staging').set('If-Match', seen), /SAML connection staging was changed by someone else/);
      assert.equal((await api(t, acme).get('/saml/staging').expect(200)).body.configured, true);
      const current = (await api(t, acme).get('/saml/staging').expect(200)).headers.etag!;
      await api(t, acme).delete('/saml/staging').set('If-Match', current).expect(200);
    });

    it('refuses If-Match on the default connection when it is gone, and deletes it without If-Match as before', async () => {
      await configureSaml(t.app, acme);
      const seen = (await api(t, acme).get('/saml').expect(200)).headers.etag!;
      await api(t, acme).delete('/saml').expect(200);
      assertStale(await api(t, acme).delete('/saml').set('If-Match', seen), /SAML connection default was changed by someone else/);
    });
  });
});
