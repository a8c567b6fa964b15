import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { ENTERPRISE_SCHEMA, assertScimError, createScimTestApp, patchOps, postUser, scimRequest, userBody } from '../../support/scim.ts';

/**
 * RFC 7643 §2.1: attribute names are case-insensitive, so "userName" and "USERNAME" in one
 * object name one attribute twice; RFC 8259 §4 leaves a repeated name's meaning to the parser.
 * Either way the request is ambiguous: a 400 naming the attribute, never one value silently winning.
 */
describe('SCIM bodies naming an attribute twice', () => {
  let t: TestApp;
  let acme: SeededOrg;

  before(async () => {
    t = await createScimTestApp();
    acme = await seedOrg(t.container, 'acme');
  });
  after(() => t.close());

  const post = (text: string) => scimRequest(t, acme.tokens.scim, 'post', '/Users', text);
  const count = async (userName: string) => (await scimRequest(t, acme.tokens.scim, 'get', `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body.totalResults;

  it('refuses two "userName" keys with 400 invalidSyntax naming userName, and creates nobody', async () => {
    const res = await post('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"twice-a@example.com","userName":"twice-b@example.com"}');
    assertScimError(res, 400, 'invalidSyntax');
    assert.match(res.body.detail, /"userName"/);
    assert.equal(await count('twice-a@example.com'), 0);
    assert.equal(await count('twice-b@example.com'), 0);
  });

  it('refuses "userName" and "USERNAME" in one body, naming both spellings', async () => {
    const res = await post(JSON.stringify({ ...userBody('case-a@example.com'), USERNAME: 'case-b@example.com' }));
    assertScimError(res, 400, 'invalidSyntax');
    assert.match(res.body.detail, /"userName".*"USERNAME"/);
    assert.match(res.body.detail, /case-insensitive/);
    assert.equal(await count('case-a@example.com'), 0);
  });

  it('names the path of a repeated sub-attribute or extension attribute', async () => {
    const nested = await post(JSON.stringify({ ...userBody('nested@example.com'), name: { givenName: 'A', GivenName: 'B' } }));
    assertScimError(nested, 400, 'invalidSyntax');
    assert.match(nested.body.detail, /"givenName".*"GivenName" in name/);
    const extension = await post(JSON.stringify({ ...userBody('ext@example.com'), [ENTERPRISE_SCHEMA]: { department: 'R&D', Department: 'Sales' } }));
    assertScimError(extension, 400, 'invalidSyntax');
    assert.match(extension.body.detail, /"department".*"Department"/);
  });

  it('refuses a path-less PATCH value setting active twice, and leaves the user as it was', async () => {
    const user = await postUser(t, acme.tokens.scim, 'patched@example.com');
    const body = JSON.stringify(patchOps({ op: 'replace', value: { active: false } })).replace('"active":false', '"active":false,"Active":true');
    const res = await scimRequest(t, acme.tokens.scim, 'patch', `/Users/${String(user.id)}`, body);
    assertScimError(res, 400, 'invalidSyntax');
    assert.match(res.body.detail, /"active".*"Active" in Operations\[0\]\.value/);
    const after = await scimRequest(t, acme.tokens.scim, 'get', `/Users/${String(user.id)}`);
    assert.equal(after.body.active, true);
    assert.equal(after.body.meta.version, user.meta && (user.meta as Record<string, unknown>).version);
  });

  it('accepts the same attribute name in different values, as every multi-valued attribute has', async () => {
    const res = await post(JSON.stringify(userBody('emails@example.com', { emails: [{ value: 'a@example.com', type: 'work', primary: true }, { value: 'b@example.com', type: 'home' }] })));
    assert.equal(res.status, 201, JSON.stringify(res.body));
  });
});
