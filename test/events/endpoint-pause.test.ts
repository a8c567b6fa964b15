import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { postUser } from '../support/scim.ts';
import { api } from '../people/support.ts';
import { startReceiver, type Receiver } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * An admin disables an endpoint while its receiver is down (maintenance), then enables it again.
 * The README: "An endpoint gets the events published while it is enabled". An event published
 * while it was enabled, still waiting for a retry when it was disabled, is one of those.
 */
describe('events: disabling a webhook endpoint pauses its retries', () => {
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

  async function deliveries(hookId: string): Promise<Json[]> {
    return (await api(t, acme).get(`/webhooks/${hookId}/deliveries`)).body.deliveries as Json[];
  }

  it('keeps a failed delivery waiting while the endpoint is disabled, and sends it once it is enabled again', async () => {
    const hook = (await api(t, acme).post('/webhooks', { url: receiver.url })).body as Json;
    receiver.respond = () => 503;
    await postUser(t, acme.tokens.scim, 'paused@acme.test');
    const start = new Date();
    await t.container.events.publishAll(start);
    assert.deepEqual(await t.container.events.deliverDue(start), { delivered: 0, retried: 1, dead: 0 });
    assert.equal((await api(t, acme).patch(`/webhooks/${hook.id}`, { enabled: false })).status, 200);

    // Well past its next attempt, while disabled: nothing is sent, and the delivery is not given up.
    const later = new Date(start.getTime() + 5 * 60_000);
    assert.deepEqual(await t.container.events.deliverDue(later), { delivered: 0, retried: 0, dead: 0 });
    assert.equal(receiver.received.length, 1, 'nothing sent to a disabled endpoint');
    const [waiting] = await deliveries(hook.id);
    assert.equal(waiting!.status, 'pending');

    receiver.respond = () => 200;
    assert.equal((await api(t, acme).patch(`/webhooks/${hook.id}`, { enabled: true })).status, 200);
    assert.deepEqual(await t.container.events.deliverDue(new Date(later.getTime() + 1000)), { delivered: 1, retried: 0, dead: 0 });
    const [sent] = await deliveries(hook.id);
    assert.equal(sent!.status, 'delivered');
    assert.equal(receiver.received.length, 2);
  });
});
