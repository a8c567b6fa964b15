import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addGroup, addUser, api } from '../people/support.ts';

/**
 * A cursor given empty (`?after=`) is a cursor given, not an absent one: read as
 * absent it would restart a paging client from the first page (or a webhook's
 * replay from the oldest event) with no word. Like an empty `?limit=`
 * (query-numbers.test.ts), it gets the answer a junk cursor gets: 400 naming it.
 */
describe('admin API: an empty cursor in the query string', () => {
  let t: TestApp;
  let acme: SeededOrg;
  let hook: string;
  let user: string;
  let group: string;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    hook = (await api(t, acme).post('/webhooks', { url: 'https://hooks.acme.test/in' }).expect(201)).body.id;
    user = await addUser(t, acme, { userName: 'cursor@acme.test' });
    group = await addGroup(t, acme, 'Cursors', [user]);
  });
  after(() => t.close());

  const cases = (): Array<[method: 'get' | 'post', path: string, field: string]> => [
    ['get', '/events?after=', 'after'],
    ['get', '/events?after=%20', 'after'],
    ['post', `/webhooks/${hook}/replay?from=`, 'from'],
    ['post', `/webhooks/${hook}/resume?from=`, 'from'],
    ['get', `/webhooks/${hook}/deliveries?before=`, 'before'],
    ['get', '/audit?cursor=', 'cursor'],
    ['get', `/users/${user}/activity?cursor=`, 'cursor'],
    ['get', '/users?cursor=', 'cursor'],
    ['get', '/invitations?cursor=', 'cursor'],
    ['get', '/groups?cursor=', 'cursor'],
    ['get', `/groups/${group}?membersCursor=`, 'membersCursor'],
    ['get', `/groups/${group}/members?cursor=`, 'cursor'],
    ['get', '/imports?cursor=', 'cursor'],
  ];

  it('answers each with 400 invalid_input naming the parameter, and reads nothing', async () => {
    const wrong: string[] = [];
    for (const [method, path, field] of cases()) {
      const res = await api(t, acme)[method](path);
      const fields = (res.body.error?.details?.problems ?? []).map((p: { field: string }) => p.field);
      if (res.status !== 400 || res.body.error.code !== 'invalid_input' || fields.join() !== field) wrong.push(`${method.toUpperCase()} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
    }
    assert.deepEqual(wrong, []);
  });

  it('still reads an absent cursor as the first page', async () => {
    await api(t, acme).get('/events').expect(200);
    await api(t, acme).get('/audit').expect(200);
    await api(t, acme).get(`/webhooks/${hook}/deliveries`).expect(200);
    await api(t, acme).post(`/webhooks/${hook}/replay`).expect(202);
  });
});
