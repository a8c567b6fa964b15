import assert from 'node:assert/strict';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { api } from '../people/support.ts';

/**
 * Every admin route that takes a number in its query string refuses one that
 * is not a number — an empty one included (`?limit=`, not read as 0) — by naming
 * the parameter and its whole rule (one place: http/validate.ts), not with zod's
 * "expected number, received NaN".
 */
describe('admin API: a query number that is not a number', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const someId = '00000000-0000-7000-8000-000000000001';
  for (const [method, path, field, rule] of [
    ['get', '/users?limit=abc', 'limit', 'must be a whole number between 1 and 200'],
    ['get', '/events?limit=abc', 'limit', 'must be a whole number between 1 and 1000'],
    ['get', '/audit?limit=ten', 'limit', 'must be a whole number between 1 and 200'],
    ['get', '/groups?limit=', 'limit', 'must be a whole number between 1 and 200'],
    ['get', '/users?limit=', 'limit', 'must be a whole number between 1 and 200'],
    ['get', '/users?limit=%20', 'limit', 'must be a whole number between 1 and 200'],
    ['get', '/invitations?limit=', 'limit', 'must be a whole number between 1 and 200'],
    ['get', '/events?limit=', 'limit', 'must be a whole number between 1 and 1000'],
    ['get', '/audit?limit=', 'limit', 'must be a whole number between 1 and 200'],
    ['get', `/users/${someId}/activity?limit=`, 'limit', 'must be a whole number between 1 and 200'],
    ['get', `/groups/${someId}?membersLimit=`, 'membersLimit', 'must be a whole number between 1 and 1000'],
    ['get', '/imports?limit=', 'limit', 'must be a whole number between 1 and 100'],
    ['get', `/imports/${someId}/rows?cursor=`, 'cursor', 'must be a whole number, 0 or more'],
    ['get', `/imports/${someId}/rows?limit=`, 'limit', 'must be a whole number between 1 and 1000'],
    ['get', `/webhooks/${someId}/deliveries?limit=`, 'limit', 'must be a whole number between 1 and 200'],
    ['post', `/webhooks/${someId}/replay?limit=`, 'limit', 'must be a whole number between 1 and 10000'],
    ['get', '/imports?limit=NaN', 'limit', 'must be a whole number between 1 and 100'],
    ['get', `/imports/${someId}/rows?cursor=first`, 'cursor', 'must be a whole number, 0 or more'],
    ['get', `/imports/${someId}/rows?limit=0`, 'limit', 'must be a whole number between 1 and 1000'],
    ['post', `/webhooks/${someId}/replay?limit=all`, 'limit', 'must be a whole number between 1 and 10000'],
  ] as const) {
    it(`answers ${method.toUpperCase()} ${path} with 400 invalid_input: ${field} ${rule}`, async () => {
      const res = await api(t, acme)[method](path);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'invalid_input');
      assert.deepEqual(res.body.error.details.problems, [{ field, reason: rule }]);
      assert.equal(res.body.error.message, `${field}: ${rule}`);
      assert.doesNotMatch(JSON.stringify(res.body), /expected|received|NaN/);
    });
  }
});
