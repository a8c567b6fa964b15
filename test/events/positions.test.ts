import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { createScimTestApp, postUser } from '../support/scim.ts';
import { api } from '../people/support.ts';
import { startReceiver, type Receiver } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * Feed positions are numbered per org: a tenant's positions say nothing about
 * how much any other tenant did (a global numbering showed it in the gaps).
 */
describe('events: positions per org', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let receiver: Receiver;

  before(async () => {
    t = await createScimTestApp({ scim: { rateLimit: { requestsPerSecond: 100000, burst: 100000 } } });
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    receiver = await startReceiver();
  });
  after(async () => {
    await receiver.close();
    await t.close();
  });

  async function positions(org: SeededOrg): Promise<string[]> {
    await t.container.events.publishAll();
    const res = await api(t, org).get('/events?limit=1000');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.events as Json[]).map((e) => String(e.position));
  }

  it("numbers an org's events 1, 2, 3… in commit order, whatever other orgs write meanwhile", async () => {
    await postUser(t, acme.tokens.scim, 'a1@acme.test');
    for (let i = 0; i < 5; i++) await postUser(t, globex.tokens.scim, `g${i}@globex.test`);
    await t.container.events.publishAll();
    await postUser(t, acme.tokens.scim, 'a2@acme.test');
    await postUser(t, globex.tokens.scim, 'g5@globex.test');
    await postUser(t, acme.tokens.scim, 'a3@acme.test');
    assert.deepEqual(await positions(acme), ['1', '2', '3']);
    assert.deepEqual(await positions(globex), ['1', '2', '3', '4', '5', '6']);
  });

  it("refuses a cursor past the org's own last position, however far other orgs' feeds have gone", async () => {
    const last = (await positions(acme)).at(-1)!;
    for (let i = 6; i < 9; i++) await postUser(t, globex.tokens.scim, `g${i}@globex.test`);
    await t.container.events.publishAll();
    assert.equal((await api(t, acme).get(`/events?after=${last}`)).status, 200);
    const ahead = await api(t, acme).get(`/events?after=${BigInt(last) + 1n}`);
    assert.equal(ahead.status, 400, JSON.stringify(ahead.body));
    assert.match(ahead.body.error.message, /past the end of the feed/);
  });

  it("starts a new endpoint at its own org's newest position, so its org's next event is sent", async () => {
    for (let i = 0; i < 10; i++) await postUser(t, globex.tokens.scim, `h${i}@globex.test`);
    await t.container.events.publishAll();
    const hook = await api(t, acme).post('/webhooks', { url: receiver.url });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const made = await postUser(t, acme.tokens.scim, 'a4@acme.test');
    await t.container.events.publishAll();
    await t.container.events.deliverDue();
    await receiver.waitFor(1, 5000);
    const body = JSON.parse(receiver.received[0]!.body) as Json;
    assert.equal(body.resource.id, made.id);
    assert.equal(body.position, '4');
    const deliveries = await api(t, acme).get(`/webhooks/${hook.body.id}/deliveries`);
    assert.deepEqual((deliveries.body.deliveries as Json[]).map((d) => d.eventPosition), ['4']);
  });
});
