import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { SCIM_JSON, createScimTestApp, scimRequest, userBody } from '../../support/scim.ts';

const PLAIN_JSON = /^application\/json; charset=utf-8$/;

/**
 * RFC 7644 §3.8: a service provider MUST support `Accept: application/scim+json`, SHOULD support
 * `Accept: application/json`, and answers application/scim+json when the client names no format.
 */
describe('SCIM response media type', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const as = (accept: string | undefined): Record<string, string> => (accept === undefined ? {} : { Accept: accept });

  it('answers application/json to a client that accepts only application/json: resources, lists, creates and errors', async () => {
    const accept = as('application/json');
    const created = await scimRequest(t, acme.tokens.scim, 'post', '/Users', userBody('plain@example.com'), accept);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const answers = [
      created,
      await scimRequest(t, acme.tokens.scim, 'get', `/Users/${String(created.body.id)}`, undefined, accept),
      await scimRequest(t, acme.tokens.scim, 'get', '/Users?count=1', undefined, accept),
      await scimRequest(t, acme.tokens.scim, 'get', '/ServiceProviderConfig', undefined, accept),
      await scimRequest(t, acme.tokens.scim, 'get', '/Users/not-there', undefined, accept),
      await scimRequest(t, undefined, 'get', '/Users', undefined, accept),
    ];
    for (const res of answers) {
      assert.match(res.headers['content-type'] ?? '', PLAIN_JSON, `${res.status} ${res.headers['content-type']}`);
      assert.match(res.headers.vary ?? '', /\bAccept\b/i);
    }
  });

  for (const accept of [undefined, '*/*', 'application/*', 'application/scim+json', 'application/json;q=0.5, application/scim+json', 'text/html']) {
    it(`answers application/scim+json to Accept ${JSON.stringify(accept ?? null)}`, async () => {
      const res = await scimRequest(t, acme.tokens.scim, 'get', '/Users?count=1', undefined, as(accept));
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'] ?? '', SCIM_JSON);
      assert.match(res.headers.vary ?? '', /\bAccept\b/i);
    });
  }
});
