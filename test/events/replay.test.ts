import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { postUser } from '../support/scim.ts';
import { api } from '../people/support.ts';
import { startReceiver, type Receiver } from './support.ts';

/** Replay as a product team uses it to catch an endpoint up: from a cursor its feed reader stored. */
describe('events: webhook replay from a feed cursor', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let receiver: Receiver;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  it('refuses a cursor past the end of the feed with 400 naming from, as the feed does, queuing nothing', async () => {
    await postUser(t, acme.tokens.scim, 'ann@acme.test');
    await t.container.events.publishAll();
    const hook = await api(t, acme).post('/webhooks', { url: receiver.url });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const end = (await api(t, acme).get('/events?limit=1000')).body.cursor as string;
    // A cursor the feed never handed out (a store gone wrong): replaying "after" it would quietly queue nothing.
    const ahead = (BigInt(end) + 1000n).toString();
    const feed = await api(t, acme).get(`/events?after=${ahead}`);
    assert.equal(feed.status, 400, 'the feed refuses it');
    const replay = await api(t, acme).post(`/webhooks/${hook.body.id}/replay?from=${ahead}`);
    assert.equal(replay.status, 400, JSON.stringify(replay.body));
    assert.deepEqual(replay.body.error.details.problems.map((p: { field: string }) => p.field), ['from']);
    assert.match(replay.body.error.message, /past the end of the feed/);
    const deliveries = await api(t, acme).get(`/webhooks/${hook.body.id}/deliveries`);
    assert.deepEqual(deliveries.body.deliveries, []);
    // The end itself is a cursor the feed returned: nothing after it, nothing queued, no error.
    const atEnd = await api(t, acme).post(`/webhooks/${hook.body.id}/replay?from=${end}`);
    assert.equal(atEnd.status, 202, JSON.stringify(atEnd.body));
    assert.deepEqual(atEnd.body, { queued: 0, lastPosition: null });
  });
});
