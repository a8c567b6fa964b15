import assert from 'node:assert/strict';
import { etagOf, ifMatchVersions, matchesIfNoneMatch, versionFromIfMatch } from '../../../src/lib/etag.ts';
import { RateLimiter } from '../../../src/scim/rate-limit.ts';
import { project, wants } from '../../../src/scim/projection.ts';
import { readListRequest, encodeCursor } from '../../../src/scim/list.ts';
import { userResourceType, groupResourceType } from '../../../src/scim/schema/registry.ts';
import { ScimError } from '../../../src/scim/errors.ts';
import { checkMediaType } from '../../../src/scim/media-type.ts';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
  id: 'u1',
  userName: 'ada',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ value: 'ada@x', type: 'work', primary: true }],
  active: true,
  groups: [{ value: 'g1', display: 'Eng' }],
  [ENT]: { department: 'R&D', employeeNumber: '7' },
  meta: { resourceType: 'User' },
};

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CUSTOM = 'urn:example:custom:2.0:User';
const custom = {
  ...user,
  schemas: [CORE, ENT, CUSTOM],
  name: { ...user.name, phonetic: 'a-da' },
  favouriteColour: 'teal',
  [CUSTOM]: { badge: 'B-1', floor: 3 },
};

describe('SCIM helpers', () => {
  describe('ETags', () => {
    it('issues weak tags from the version', () => assert.equal(etagOf(3), 'W/"3"'));
    it('reads If-Match in weak and strong form, and treats * or absence as no condition', () => {
      assert.equal(versionFromIfMatch('W/"4"'), 4);
      assert.equal(versionFromIfMatch('"5"'), 5);
      assert.equal(versionFromIfMatch('*'), undefined);
      assert.equal(versionFromIfMatch(undefined), undefined);
    });
    it('treats an If-Match tag it never issued as stale', () => assert.equal(versionFromIfMatch('"abc"'), null));
    it('lists every version an If-Match list names, in order; * anywhere means any version', () => {
      assert.deepEqual(ifMatchVersions('W/"7", W/"1"'), [7, 1]);
      assert.deepEqual(ifMatchVersions('"3",W/"4" , "junk"'), [3, 4]);
      assert.deepEqual(ifMatchVersions('"junk"'), []);
      assert.equal(ifMatchVersions('W/"1", *'), undefined);
      assert.equal(ifMatchVersions(undefined), undefined);
    });
    it('matches If-None-Match against the current tag, weakly', () => {
      assert.equal(matchesIfNoneMatch('W/"2"', 'W/"2"'), true);
      assert.equal(matchesIfNoneMatch('W/"1", "2"', 'W/"2"'), true);
      assert.equal(matchesIfNoneMatch('W/"1"', 'W/"2"'), false);
      assert.equal(matchesIfNoneMatch('W/"2"', etagOf(2, ['boss'])), false);
    });
    it('adds a digest of what a representation shows from other rows, and reads If-Match by the version alone', () => {
      const renamed = [etagOf(4, [['m1', 'Ann']]), etagOf(4, [['m1', 'Anne']])];
      assert.match(renamed[0]!, /^W\/"4\.[0-9a-f]{12}"$/);
      assert.notEqual(renamed[0], renamed[1]);
      assert.equal(etagOf(4, [['m1', 'Ann']]), renamed[0]);
      assert.deepEqual(ifMatchVersions(`${renamed[0]!}, ${renamed[1]!.slice(2)}`), [4, 4]);
      assert.equal(versionFromIfMatch('W/"4.xyz"'), null);
    });
  });

  describe('request media type', () => {
    const body = { 'content-length': '2' };
    for (const type of ['application/scim+json', 'application/json', 'Application/SCIM+JSON ; charset=utf-8']) {
      it(`accepts a body of ${type}`, () => assert.equal(checkMediaType({ ...body, 'content-type': type }), undefined));
    }
    for (const headers of [{ ...body, 'content-type': 'text/plain' }, { 'transfer-encoding': 'chunked', 'content-type': 'application/xml' }, body]) {
      it(`refuses ${JSON.stringify(headers)} with 415`, () => assert.equal(checkMediaType(headers)?.status, 415));
    }
    it('lets a request without a body through whatever it labels', () => {
      assert.equal(checkMediaType({ 'content-type': 'text/plain' }), undefined);
      assert.equal(checkMediaType({ 'content-type': 'text/plain', 'content-length': '0' }), undefined);
    });
  });

  describe('rate limiter', () => {
    it('allows a burst, then asks to wait, then refills with time', () => {
      let now = 0;
      const limiter = new RateLimiter({ requestsPerSecond: 2, burst: 3 }, () => now);
      assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 0]);
      assert.equal(limiter.take('a'), 1);
      assert.equal(limiter.take('b'), 0, 'another org has its own bucket');
      now += 500;
      assert.equal(limiter.take('a'), 0);
    });
  });

  describe('projection', () => {
    it('returns everything by default', () => assert.deepEqual(project(user, userResourceType, {}), user));
    it('keeps id (returned always) and only the named attributes', () => {
      const out = project(user, userResourceType, { attributes: ['userName'] });
      assert.deepEqual(Object.keys(out).sort(), ['id', 'schemas', 'userName']);
    });
    it('keeps only the named sub-attributes of a multi-valued attribute', () => {
      const out = project(user, userResourceType, { attributes: ['emails.value'] });
      assert.deepEqual(out.emails, [{ value: 'ada@x' }]);
    });
    it('drops excluded attributes and sub-attributes, including extension ones by URN', () => {
      const out = project(user, userResourceType, { excludedAttributes: ['emails', 'name.givenName', `${ENT}:department`] });
      assert.equal(out.emails, undefined);
      assert.deepEqual(out.name, { familyName: 'Lovelace' });
      assert.deepEqual(out[ENT], { employeeNumber: '7' });
    });
    it('never drops id even when excluded', () => {
      assert.equal(project(user, userResourceType, { excludedAttributes: ['id'] }).id, 'u1');
    });
    it('selects a whole extension by its schema URN alone (RFC 7644 §3.10 "fully qualified")', () => {
      const out = project(user, userResourceType, { attributes: [ENT] });
      assert.deepEqual(out, { schemas: user.schemas, id: 'u1', [ENT]: user[ENT] });
    });
    it('selects every core attribute by the core schema URN, and no extension', () => {
      const out = project(user, userResourceType, { attributes: [CORE] });
      const { [ENT]: _dropped, ...core } = user;
      assert.deepEqual(out, core);
      assert.equal(wants(userResourceType, { attributes: [CORE] }, 'groups'), true);
      assert.equal(wants(userResourceType, { attributes: [ENT] }, 'groups'), false);
      assert.equal(wants(groupResourceType, { attributes: ['urn:ietf:params:scim:schemas:core:2.0:Group'] }, 'members'), true);
    });
    it('drops a whole extension excluded by its schema URN', () => {
      const { [ENT]: _dropped, ...rest } = user;
      assert.deepEqual(project(user, userResourceType, { excludedAttributes: [ENT.toUpperCase()] }), rest);
    });
    it('selects and excludes stored attributes the schema does not know, when present', () => {
      assert.deepEqual(project(custom, userResourceType, { attributes: ['favouriteColour'] }), { schemas: custom.schemas, id: 'u1', favouriteColour: 'teal' });
      assert.deepEqual(project(custom, userResourceType, { attributes: ['FAVOURITECOLOUR', 'userName'] }), { schemas: custom.schemas, id: 'u1', userName: 'ada', favouriteColour: 'teal' });
      assert.deepEqual(project(user, userResourceType, { attributes: ['favouriteColour'] }), { schemas: user.schemas, id: 'u1' });
      const { favouriteColour: _f, ...rest } = custom;
      assert.deepEqual(project(custom, userResourceType, { excludedAttributes: ['favouriteColour'] }), rest);
    });
    it('selects and excludes a custom extension by its URN, or one attribute of it', () => {
      assert.deepEqual(project(custom, userResourceType, { attributes: [CUSTOM] }), { schemas: custom.schemas, id: 'u1', [CUSTOM]: { badge: 'B-1', floor: 3 } });
      assert.deepEqual(project(custom, userResourceType, { attributes: [`${CUSTOM}:badge`] }), { schemas: custom.schemas, id: 'u1', [CUSTOM]: { badge: 'B-1' } });
      assert.deepEqual(project(custom, userResourceType, { excludedAttributes: [`${CUSTOM}:floor`] })[CUSTOM], { badge: 'B-1' });
      assert.equal(project(custom, userResourceType, { excludedAttributes: [CUSTOM] })[CUSTOM], undefined);
    });
    it('selects an unknown sub-attribute of a known complex attribute when present', () => {
      assert.deepEqual(project(custom, userResourceType, { attributes: ['name.phonetic'] }), { schemas: custom.schemas, id: 'u1', name: { phonetic: 'a-da' } });
    });
    it('ignores schemas in attributes and excludedAttributes: it is always returned', () => {
      assert.deepEqual(project(user, userResourceType, { excludedAttributes: ['schemas'] }), user);
      assert.deepEqual(project(user, userResourceType, { attributes: ['schemas', 'userName'] }), { schemas: user.schemas, id: 'u1', userName: 'ada' });
    });
    for (const bad of ['shoe size', 'name..givenName', '1abc', 'name.givenName.x', 'userName.first', 'urn:', 'user"Name', '']) {
      it(`refuses ${JSON.stringify(bad)} with 400 invalidValue`, () => {
        const isBadRequest = (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'invalidValue';
        assert.throws(() => project(user, userResourceType, { attributes: [bad] }), isBadRequest);
        assert.throws(() => wants(userResourceType, { excludedAttributes: [bad] }, 'groups'), isBadRequest);
      });
    }
    it('tells whether members are wanted, so Entra\'s excludedAttributes=members skips loading them', () => {
      assert.equal(wants(groupResourceType, { excludedAttributes: ['members'] }, 'members'), false);
      assert.equal(wants(groupResourceType, { attributes: ['id'] }, 'members'), false);
      assert.equal(wants(groupResourceType, {}, 'members'), true);
    });
  });

  describe('list requests', () => {
    const read = (q: Record<string, unknown>) => readListRequest(q, userResourceType, 'u', 1000);
    it('defaults to startIndex 1 and count 100', () => {
      const r = read({});
      assert.equal(r.startIndex, 1);
      assert.equal(r.count, 100);
    });
    it('clamps count to [0, max] and startIndex to ≥ 1 (RFC 7644 §3.4.2.4)', () => {
      assert.equal(read({ count: '5000' }).count, 1000);
      assert.equal(read({ count: '-3' }).count, 0);
      assert.equal(read({ startIndex: '0' }).startIndex, 1);
    });
    it('refuses a non-integer count with invalidValue', () => {
      assert.throws(() => read({ count: 'ten' }), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidValue');
    });
    // RFC 7644 §3.4.2.4: both are integers; a query string spells one in decimal digits.
    for (const [name, value] of [['count', '1e2'], ['startIndex', '1e2'], ['count', '10.0'], ['count', ' 5'], ['count', '5 '], ['count', '0x10'], ['startIndex', '+2']] as const) {
      it(`refuses ${name}=${JSON.stringify(value)} with 400 invalidValue naming ${name}`, () => {
        assert.throws(() => read({ [name]: value }), (e: unknown) => e instanceof ScimError && e.status === 400 && e.scimType === 'invalidValue' && e.message.startsWith(`${name} must be`));
      });
    }
    it('reads the integers Okta and Entra send, in a query string or a SearchRequest body', () => {
      assert.deepEqual([read({ startIndex: '1', count: '2' }).startIndex, read({ startIndex: '1', count: '2' }).count], [1, 2]);
      assert.equal(read({ count: '100' }).count, 100);
      assert.equal(read({ count: '007' }).count, 7);
      assert.equal(read({ count: 10 }).count, 10);
      assert.equal(read({ startIndex: 21 }).startIndex, 21);
      assert.equal(read({ startIndex: '99999999999999999999' }).startIndex, 2 ** 31 - 1);
    });
    it('refuses a bad filter with invalidFilter', () => {
      assert.throws(() => read({ filter: 'userName eq' }), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidFilter');
    });
    it('reads the cursor it issued and refuses one it did not', () => {
      const id = '01a20000-0000-7000-8000-000000000001';
      assert.deepEqual(read({ cursor: encodeCursor(id) }).cursor, { after: id });
      assert.deepEqual(read({ cursor: '' }).cursor, { after: undefined });
      assert.throws(() => read({ cursor: 'garbage' }), (e: unknown) => e instanceof ScimError && e.scimType === 'invalidCursor');
    });
    it('refuses cursor together with startIndex or sortBy', () => {
      assert.throws(() => read({ cursor: '', startIndex: '2' }), ScimError);
      assert.throws(() => read({ cursor: '', sortBy: 'userName' }), ScimError);
    });
  });
});
