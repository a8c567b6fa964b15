import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFilter, maxFilterDepth, maxFilterLength } from '../../src/scim/filter/parse.ts';
import { readListRequest } from '../../src/scim/list.ts';
import { ScimError } from '../../src/scim/errors.ts';
import { groupResourceType, userResourceType } from '../../src/scim/schema/registry.ts';
import type { TestApp } from '../support/app.ts';
import { seedOrg } from '../support/app.ts';
import { createScimTestApp, postGroup, postUser, scimRequest } from '../support/scim.ts';
import { check, mutated } from './support.ts';

/**
 * Issue 9, hostile input: the SCIM filter (RFC 7644 §3.4.2.2) is parsed from whatever an IdP
 * or an attacker sends. Whatever the text, the parser answers a value or `invalidFilter`
 * (never another error, never a hang), and every filter it accepts becomes SQL that
 * PostgreSQL runs: the HTTP properties send them to /scim/v2 and accept only 200 or 400.
 */

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const stringAttrs = [
  'userName', 'name.givenName', 'name.familyName', 'name.formatted', 'displayName', 'nickName', 'title', 'userType',
  'locale', 'externalId', 'emails.value', 'emails.type', 'phoneNumbers.value', 'addresses.locality', 'roles.value',
  `${ENTERPRISE}:department`, `${ENTERPRISE}:employeeNumber`, 'USERNAME', 'Emails.Value',
];
const booleanAttrs = ['active', 'emails.primary'];
const dateAttrs = ['meta.created', 'meta.lastModified'];
const uuidAttrs = ['id', 'groups.value'];
const stringOps = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
const orderOps = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

/** Any text as a JSON string literal: quotes, backslashes, LIKE wildcards, control characters, astral planes. */
const stringLiteral = fc
  .oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('%', '_', '\\', "'", '"', '', 'a%_\\b'))
  .map((s) => JSON.stringify(s));
const dateLiteral = fc
  .oneof(
    fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom('2024-02-29', '2024-01-01T10:00', '2024-01-01 10:00:00+02:00'),
  )
  .map((s) => JSON.stringify(s));

function compare(attrs: string[], ops: string[], value: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...attrs), fc.constantFrom(...ops), value).map(([a, op, v]) => `${a} ${op} ${v}`);
}

/** Comparisons that are right for the User schema: each attribute with an operator and literal of its type. */
const typedComparison = fc.oneof(
  compare(stringAttrs, stringOps, stringLiteral),
  compare(booleanAttrs, ['eq', 'ne'], fc.constantFrom('true', 'false')),
  compare(dateAttrs, orderOps, dateLiteral),
  compare(uuidAttrs, ['eq', 'ne'], fc.uuid().map((u) => JSON.stringify(u))),
  compare([...stringAttrs, ...booleanAttrs, ...dateAttrs, ...uuidAttrs, 'emails', 'name', 'groups', 'addresses'], ['pr'], fc.constant('')).map((s) => s.trimEnd()),
  compare(['userName', 'title', 'emails.value'], ['eq', 'ne'], fc.constant('null')),
  fc.tuple(fc.constantFrom(['emails', 'value'], ['phoneNumbers', 'value'], ['addresses', 'locality']), compare(['type'], ['eq', 'ne', 'sw'], stringLiteral), fc.constantFrom('pr', 'co "a"'))
    .map(([[a, sub], x, y]) => `${a}[${x} and ${sub} ${y}]`),
);

/** and/or/not/parentheses over leaves, as RFC 7644 §3.4.2.2's grammar allows. */
function grammar(leaf: fc.Arbitrary<string>, logical: fc.Arbitrary<string>) {
  return fc.letrec<{ node: string; pair: string; not: string; group: string }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('pair'), tie('not'), tie('group')),
    pair: fc.tuple(tie('node'), logical, tie('node')).map(([a, op, b]) => `${a} ${op} ${b}`),
    not: tie('node').map((n) => `not (${n})`),
    group: tie('node').map((n) => `(${n})`),
  })).node;
}

const typedFilter = grammar(typedComparison, fc.constantFrom('and', 'or'));

/** Syntactically valid, semantically anything: unknown attributes, wrong types, Entra's unquoted values, any case. */
const word = fc.stringMatching(/^[A-Za-z][\w$.:-]{0,14}$/);
const anyLiteral = fc.oneof(stringLiteral, fc.constantFrom('true', 'false', 'null', '1', '-0.5', '1e999', '00123', '"x"', '"2024-13-45T99:99:99Z"', '"0000-00-00"'), word, fc.double().map(String));
const looseComparison = fc
  .tuple(fc.oneof(fc.constantFrom(...stringAttrs, ...booleanAttrs, ...dateAttrs, ...uuidAttrs, 'members', 'members.value', 'groups', 'meta', 'password', 'x509Certificates.value'), word),
    fc.constantFrom(...stringOps, 'pr', 'EQ', 'Co', 'PR', 'xx'), anyLiteral)
  .map(([a, op, v]) => (op.toLowerCase() === 'pr' ? `${a} ${op}` : `${a} ${op} ${v}`));
const looseFilter = grammar(fc.oneof(looseComparison, typedComparison), fc.constantFrom('and', 'or', 'AND', 'Or', 'xor'));

/** Token soup: the filter's own vocabulary in random order, and raw characters. */
const tokens = fc.constantFrom('(', ')', '[', ']', '"', '\\', ' ', '.', ':', 'eq', 'ne', 'co', 'pr', 'and', 'or', 'not', 'userName', 'emails', 'value', '"x"', 'true', 'null', '1', 'urn:ietf:params:scim:schemas:core:2.0:User:', '\u0000', '\u2028');
const soup = fc.oneof(
  fc.array(tokens, { maxLength: 40 }).map((t) => t.join('')),
  fc.array(tokens, { maxLength: 40 }).map((t) => t.join(' ')),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 80 }),
);
const hostileFilter = fc.oneof(typedFilter, looseFilter, soup, mutated(fc.oneof(typedFilter, looseFilter), fc.constantFrom('(', ')', '"', '[', ']', ' ', 'a', 'and', '\\')));

/** The full SCIM entry point a list request goes through; returns the 400's detail or null. */
function listRequestOutcome(filter: string, type = userResourceType): string | null {
  try {
    readListRequest({ filter }, type, type === userResourceType ? 'u' : 'g', 1000);
    return null;
  } catch (error) {
    assert.ok(error instanceof ScimError, `not a ScimError for ${JSON.stringify(filter)}: ${String(error)}`);
    assert.equal(error.status, 400);
    assert.equal(error.scimType, 'invalidFilter', `${error.scimType}: ${error.message}`);
    assert.ok(error.message.length > 0);
    return error.message;
  }
}

describe('fuzz: SCIM filter parser', () => {
  it('answers every input with an AST or invalidFilter, never another error, and never hangs', async () => {
    await check('filter parse (pure)', fc.property(hostileFilter, (filter) => {
      const started = performance.now();
      const parsed = parseFilter(filter);
      if (!parsed.ok) {
        assert.equal(parsed.code, 'invalidFilter');
        assert.ok(parsed.detail.length > 0);
      }
      listRequestOutcome(filter, userResourceType);
      listRequestOutcome(filter, groupResourceType);
      // A hang (catastrophic backtracking, runaway recursion) costs seconds; a loaded CI box, milliseconds.
      assert.ok(performance.now() - started < 1000, `slow filter (${Math.round(performance.now() - started)} ms): ${JSON.stringify(filter)}`);
    }), 9001, 2000);
  });

  it('reads every string value as JSON.parse reads the same JSON string (RFC 8259 §7)', async () => {
    // Each text as JSON.stringify spells it, and with every code unit as a \uXXXX escape.
    const spelled = fc.string({ unit: 'binary', maxLength: 40 }).chain((s) =>
      fc.constantFrom(JSON.stringify(s), `"${[...Array(s.length).keys()].map((i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`));
    await check('filter string literals (pure)', fc.property(spelled, (literal) => {
      const parsed = parseFilter(`title eq ${literal} or userName sw ${literal}`);
      assert.ok(parsed.ok, `${literal}: ${parsed.ok ? '' : parsed.detail}`);
      const value = JSON.parse(literal) as string;
      assert.deepEqual(parsed.value, { op: 'or', filters: [{ op: 'eq', attrPath: 'title', compValue: value }, { op: 'sw', attrPath: 'userName', compValue: value }] });
    }), 9006, 1000);
  });

  // A value holding U+0000 (`"\u0000"`) is refused by name: no stored text can hold it (src/lib/text.ts).
  const typedRefusal = /maxFilterDepth|must not contain the NUL character/;

  it('accepts every well-typed filter within the depth limit, unless a value holds U+0000', async () => {
    await check('filter typed (pure)', fc.property(typedFilter, (filter) => {
      const detail = listRequestOutcome(filter);
      if (detail !== null) assert.match(detail, typedRefusal, `${JSON.stringify(filter)} refused: ${detail}`);
    }), 9002, 1000);
  });

  it('refuses nesting beyond the limit by name, whatever the mix of not, parentheses and value paths', async () => {
    const level = fc.constantFrom((f: string) => `not (${f})`, (f: string) => `(title pr or ${f})`, (f: string) => `(userName pr and (${f}))`);
    const deep = fc.array(level, { minLength: maxFilterDepth + 1, maxLength: maxFilterDepth * 4 }).map((wraps) => wraps.reduce((f, wrap) => wrap(f), 'userName pr'));
    await check('filter depth limit (pure)', fc.property(deep, (filter) => {
      fc.pre(filter.length <= maxFilterLength);
      assert.match(listRequestOutcome(filter) ?? 'accepted', /deeper than 16 levels \(maxFilterDepth\)/);
    }), 9003, 300);
  });

  describe('over HTTP, on the real database', () => {
    let t: TestApp;
    let token: string;

    before(async () => {
      t = await createScimTestApp();
      const org = await seedOrg(t.container, 'acme');
      token = org.tokens.scim;
      // Rows in every table a filter reaches, so each EXISTS and json path really runs.
      const a = await postUser(t, token, 'ann@example.com', { title: 'Boss', phoneNumbers: [{ value: '+1 555', type: 'work' }], addresses: [{ locality: 'Paris', type: 'work' }], roles: [{ value: 'admin' }], [ENTERPRISE]: { department: 'Sales', employeeNumber: '7' } });
      const b = await postUser(t, token, 'bob%_\\@example.com', { active: false });
      await postGroup(t, token, 'Staff', [String(a.id), String(b.id)]);
    });
    after(() => t.close());

    it('runs every well-typed filter on PostgreSQL: 200 with a list, or 400 naming the depth limit or a U+0000', async () => {
      await check('filter typed (HTTP)', fc.asyncProperty(typedFilter, async (filter) => {
        const res = await scimRequest(t, token, 'get', '/Users').query({ filter, count: 5 });
        if (res.status === 400) assert.match(res.body.detail, typedRefusal, `${JSON.stringify(filter)}: ${res.body.detail}`);
        else assert.equal(res.status, 200, `${JSON.stringify(filter)}: ${res.status} ${JSON.stringify(res.body)}`);
      }), 9004, 200);
    });

    it('answers hostile filters on Users, Groups and /.search with 200 or 400 invalidFilter, never 5xx', async () => {
      const target = fc.constantFrom('get /Users', 'get /Groups', 'post /.search', 'post /Groups/.search');
      await check('filter hostile (HTTP)', fc.asyncProperty(hostileFilter, target, async (filter, where) => {
        const [method, path] = where.split(' ') as ['get' | 'post', string];
        const res = method === 'get'
          ? await scimRequest(t, token, 'get', path).query({ filter })
          : await scimRequest(t, token, 'post', path, { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter, count: 3 });
        assert.ok(res.status === 200 || (res.status === 400 && res.body.scimType === 'invalidFilter'), `${where} ${JSON.stringify(filter)}: ${res.status} ${JSON.stringify(res.body)}`);
      }), 9005, 200);
    });
  });
});
