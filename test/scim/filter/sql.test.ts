import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseFilter } from '../../../src/scim/filter/parse.ts';
import { filterToSql } from '../../../src/scim/filter/sql.ts';
import { groupResourceType, userResourceType } from '../../../src/scim/schema/registry.ts';
import type { ResourceTypeDef } from '../../../src/scim/schema/types.ts';
import { createTestDatabase, type TestDatabase } from '../../support/db.ts';

/**
 * Filters run against real rows on the real migrations (PGlite, or PostgreSQL with
 * DATABASE_URL): what matters is which users a filter selects, not the SQL's spelling.
 */
const ids = {
  org: randomUUID(),
  otherOrg: randomUUID(),
  alice: randomUUID(),
  bob: randomUUID(),
  carol: randomUUID(),
  dave: randomUUID(),
  stranger: randomUUID(),
  eng: randomUUID(),
  ops: randomUUID(),
  empty: randomUUID(),
};

interface UserRow {
  id: string;
  org?: string;
  userName: string;
  externalId?: string;
  givenName?: string;
  familyName?: string;
  title?: string;
  department?: string;
  state: string;
  created: string;
  emails?: unknown[];
  scim?: Record<string, unknown>;
}

const users: UserRow[] = [
  {
    id: ids.alice,
    userName: 'Alice@Example.com',
    externalId: 'ext-Alice',
    givenName: 'Alice',
    familyName: 'Smith',
    title: 'Engineer',
    department: 'Sales',
    state: 'active',
    created: '2020-01-01T00:00:00Z',
    emails: [
      { value: 'Alice@Work.com', type: 'work', primary: true },
      { value: 'alice@home.org', type: 'home' },
    ],
    scim: { addresses: [{ type: 'work', locality: 'Paris' }], name: { formatted: 'Alice Smith' } },
  },
  {
    id: ids.bob,
    userName: 'bob@example.com',
    externalId: 'jyoung',
    givenName: 'Bob',
    familyName: "O'Brien",
    department: 'Eng',
    state: 'disabled',
    created: '2021-06-01T12:00:00Z',
    emails: [{ value: 'bob@work.com', type: 'home' }],
  },
  {
    id: ids.carol,
    userName: 'carol_100%@example.com',
    externalId: '12345',
    givenName: 'Carol',
    title: 'Manager',
    department: '1e3',
    state: 'invited',
    // PostgreSQL keeps microseconds; SCIM shows milliseconds (2022-01-01T00:00:00.123Z).
    created: '2022-01-01T00:00:00.123456Z',
    // Not an array: filters must read it as "no addresses", not make PostgreSQL throw.
    scim: { addresses: 'not-an-array' },
  },
  { id: ids.dave, userName: 'dave@example.com', state: 'deleted', created: '2020-01-01T00:00:00Z' },
  { id: ids.stranger, org: ids.otherOrg, userName: 'alice@example.com', state: 'active', created: '2020-01-01T00:00:00Z' },
];

const names: Record<string, string> = {
  [ids.alice]: 'alice',
  [ids.bob]: 'bob',
  [ids.carol]: 'carol',
  [ids.eng]: 'eng',
  [ids.ops]: 'ops',
  [ids.empty]: 'empty',
};

let db: TestDatabase;

async function execute(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  return db.store.orm.em.fork().getConnection().execute(sql, params);
}

before(async () => {
  db = await createTestDatabase();
  for (const org of [ids.org, ids.otherOrg]) {
    await execute(`insert into organizations (id, created_at, updated_at, slug, name) values (?, now(), now(), ?, ?)`, [org, org, 'Org']);
  }
  for (const u of users) {
    await execute(
      `insert into users (id, created_at, updated_at, org_id, user_name, external_id, given_name, family_name, title, department, state, source, emails, scim_attributes)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'scim', ?::jsonb, ?::jsonb)`,
      [u.id, u.created, u.created, u.org ?? ids.org, u.userName, u.externalId ?? null, u.givenName ?? null, u.familyName ?? null,
        u.title ?? null, u.department ?? null, u.state, JSON.stringify(u.emails ?? []), JSON.stringify(u.scim ?? {})],
    );
  }
  for (const [id, name] of [[ids.eng, 'Engineering'], [ids.ops, 'Ops'], [ids.empty, 'Empty']] as const) {
    await execute(`insert into groups (id, created_at, updated_at, org_id, display_name, source) values (?, now(), now(), ?, ?, 'scim')`, [id, ids.org, name]);
  }
  for (const [group, user] of [[ids.eng, ids.alice], [ids.eng, ids.bob], [ids.ops, ids.dave]]) {
    await execute(`insert into memberships (id, org_id, group_id, user_id, source, added_at) values (?, ?, ?, ?, 'scim', now())`, [randomUUID(), ids.org, group, user]);
  }
});

after(async () => db?.close());

/** The rows of the test org a filter selects, by short name; deleted users are never visible. */
async function select(filter: string, resourceType: ResourceTypeDef = userResourceType): Promise<string[]> {
  const parsed = parseFilter(filter);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
  const table = resourceType.table;
  const translated = filterToSql(parsed.value, resourceType, { alias: 't', params: [ids.org] });
  assert.ok(translated.ok, translated.ok ? '' : translated.detail);
  const visible = table === 'users' ? ` and t.state <> 'deleted'` : '';
  const rows = await execute(`select t.id from ${table} t where t.org_id = ?${visible} and (${translated.value.sql})`, translated.value.params);
  return rows.map((r) => names[r.id as string] ?? String(r.id)).sort();
}

const userCases: Array<[string, string, string[]]> = [
  ['matches userName case-insensitively (Okta R9)', 'userName eq "ALICE@example.COM"', ['alice']],
  ['keeps the other org out of a userName match', 'userName eq "alice@example.com"', ['alice']],
  ['matches externalId exactly', 'externalId eq "ext-Alice"', ['alice']],
  ['does not match externalId in another case (caseExact)', 'externalId eq "EXT-ALICE"', []],
  ["matches Entra's unquoted externalId", 'externalId eq jyoung', ['bob']],
  ['matches an unknown userName with nothing (Okta R3)', 'userName eq "nobody@example.com"', []],
  ['matches co case-insensitively', 'userName co "EXAMPLE"', ['alice', 'bob', 'carol']],
  ['treats % in a co value literally', 'userName co "100%"', ['carol']],
  ['treats _ in a sw value literally', 'userName sw "carol_"', ['carol']],
  ['does not let _ match any character', 'userName sw "alice_"', []],
  ['matches ew', 'userName ew "@EXAMPLE.COM"', ['alice', 'bob', 'carol']],
  ['matches a sub-attribute column', 'name.familyName eq "smith"', ['alice']],
  ['matches a value with a quote in it', 'name.familyName eq "o\'brien"', ['bob']],
  ['matches a sub-attribute kept in scim_attributes', 'name.formatted co "alice s"', ['alice']],
  ['matches any email value case-insensitively', 'emails.value eq "alice@work.COM"', ['alice']],
  ['matches a non-primary email', 'emails eq "alice@home.org"', ['alice']],
  ['matches an email value path', 'emails[type eq "work" and value co "work.com"]', ['alice']],
  ["matches Entra's value path with a sub-attribute on the same element", 'emails[type eq "work"].value eq "alice@work.com"', ['alice']],
  ['does not match when type and value are on different elements', 'emails[type eq "home"].value eq "alice@work.com"', []],
  ['matches primary eq true in a value path', 'emails[primary eq true]', ['alice']],
  ['reads Entra\'s "True" on a boolean sub-attribute as true, as PATCH paths do', 'emails[primary eq "True"]', ['alice']],
  ['matches emails pr only for non-empty arrays', 'emails pr', ['alice', 'bob']],
  ['matches emails.value ne as "no element equals"', 'emails.value ne "bob@work.com"', ['alice', 'carol']],
  ['matches a jsonb value path in scim_attributes', 'addresses[type eq "work" and locality eq "paris"]', ['alice']],
  ['reads a non-array jsonb value as empty', 'addresses pr', ['alice']],
  ['matches active eq true for active and invited users', 'active eq true', ['alice', 'carol']],
  ['matches active eq false for disabled users', 'active eq false', ['bob']],
  ['matches Entra\'s active eq "False" (a string) as active eq false', 'active eq "False"', ['bob']],
  ['matches meta.created gt a date', 'meta.created gt "2021-01-01T00:00:00Z"', ['bob', 'carol']],
  ['matches meta.created le an exact instant', 'meta.created le "2021-06-01T12:00:00Z"', ['alice', 'bob']],
  ['reads a dateTime without an offset as UTC', 'meta.created ge "2021-06-01T12:00:00"', ['bob', 'carol']],
  ['matches meta.lastModified', 'meta.lastModified lt "2020-06-01"', ['alice']],
  // Compared at the millisecond precision responses show, so a value the server returned finds its resource.
  ['matches meta.created eq the millisecond value a response shows', 'meta.created eq "2022-01-01T00:00:00.123Z"', ['carol']],
  ['matches meta.created ne the shown value with everyone else', 'meta.created ne "2022-01-01T00:00:00.123Z"', ['alice', 'bob']],
  ['does not match meta.lastModified gt the value a response shows', 'meta.lastModified gt "2022-01-01T00:00:00.123Z"', []],
  ['matches meta.lastModified ge the value a response shows', 'meta.lastModified ge "2022-01-01T00:00:00.123Z"', ['carol']],
  ['matches meta.lastModified le the value a response shows', 'meta.lastModified le "2022-01-01T00:00:00.123Z"', ['alice', 'bob', 'carol']],
  ['does not match meta.lastModified lt the value a response shows', 'meta.lastModified lt "2022-01-01T00:00:00.123Z"', ['alice', 'bob']],
  ['matches meta.lastModified gt the millisecond before', 'meta.lastModified gt "2022-01-01T00:00:00.122Z"', ['carol']],
  ['reads a filter value finer than a millisecond at millisecond precision', 'meta.created eq "2022-01-01T00:00:00.123999Z"', ['carol']],
  ['matches title pr', 'title pr', ['alice', 'carol']],
  ['matches eq null', 'title eq null', ['bob']],
  ['matches ne and keeps absent values', 'title ne "Engineer"', ['bob', 'carol']],
  ['matches not and keeps absent values', 'not (title eq "Engineer")', ['bob', 'carol']],
  ['applies and before or', 'title eq "Manager" or title eq "Engineer" and active eq false', ['carol']],
  ['applies parentheses before and', '(title eq "Manager" or title eq "Engineer") and active eq true', ['alice', 'carol']],
  // Entra sends ids unquoted (IDP-NOTES §1.3): a number on a string attribute is its source text.
  ["matches Entra's unquoted numeric externalId as text", 'externalId eq 12345', ['carol']],
  ['keeps a number as written: 12345.0 is not "12345"', 'externalId eq 12345.0', []],
  ['keeps an exponent as written on a string attribute', 'department eq 1e3', ['carol']],
  ['does not read a string attribute\'s "1e3" as 1000', 'department eq 1000', []],
  ['compares ne with a number as text', 'externalId ne 12345', ['alice', 'bob']],
  ['compares sw with a number as text', 'externalId sw 123', ['carol']],
  ['orders a number on a string attribute as text ("12345" < "2")', 'externalId lt 2', ['carol']],
  ['compares co with a number on userName as text', 'userName co 100', ['carol']],
  ['matches a fully qualified enterprise attribute', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"', ['alice']],
  ['matches an unqualified enterprise attribute', 'department eq "Eng"', ['bob']],
  ['matches a dotted enterprise path (dottedSchemaUrn)', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department eq "sales"', ['alice']],
  ['matches a fully qualified core attribute', 'urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@example.com"', ['bob']],
  ['reads attribute names case-insensitively', 'USERNAME eq "bob@example.com" and Name.GivenName eq "bob"', ['bob']],
  ['matches users by group membership', `groups eq "${ids.eng}"`, ['alice', 'bob']],
  ['matches users by groups.value', `groups.value eq "${ids.eng}" and active eq true`, ['alice']],
  ['matches a user id', `id eq "${ids.carol}"`, ['carol']],
  ['matches a bogus uuid with nothing', 'id eq "not-a-uuid"', []],
  ['matches ne a bogus uuid with everyone', 'id ne "not-a-uuid"', ['alice', 'bob', 'carol']],
  ['matches groups eq a bogus uuid with nothing', 'groups eq "nope"', []],
];

const groupCases: Array<[string, string, string[]]> = [
  ['matches displayName case-insensitively (Okta Group Push)', 'displayName eq "engineering"', ['eng']],
  ["answers Entra's membership check", `id eq "${ids.eng}" and members eq "${ids.alice}"`, ['eng']],
  ["answers Entra's membership check with no match", `id eq "${ids.ops}" and members eq "${ids.alice}"`, []],
  ['matches members.value', `members.value eq "${ids.bob}"`, ['eng']],
  ['matches a members value path', `members[value eq "${ids.alice}"]`, ['eng']],
  ['does not count deleted users as members', `members eq "${ids.dave}"`, []],
  ['matches members pr only for groups with visible members', 'members pr', ['eng']],
  ['matches not members pr', 'not (members pr)', ['empty', 'ops']],
  ['matches a bogus member id with nothing', 'members eq "u"', []],
];

describe('filterToSql on the database', () => {
  describe('Users', () => {
    for (const [behaviour, filter, expected] of userCases) {
      it(behaviour, async () => assert.deepEqual(await select(filter), expected));
    }
  });
  describe('Groups', () => {
    for (const [behaviour, filter, expected] of groupCases) {
      it(behaviour, async () => assert.deepEqual(await select(filter, groupResourceType), expected));
    }
  });
});

describe('filterToSql refusals', () => {
  const refusals: Array<[string, string, RegExp, ResourceTypeDef?]> = [
    ['rejects an unknown attribute with invalidFilter', 'foo eq "x"', /^Unknown attribute 'foo' in filter$/],
    ['rejects an unknown sub-attribute', 'name.nope eq "x"', /Unknown attribute 'name.nope'/],
    ['rejects an unknown attribute inside a value path', 'emails[nope eq "x"]', /Unknown attribute 'emails.nope'/],
    ['rejects a filter on password', 'password eq "x"', /^attribute 'password' cannot be filtered$/],
    ['rejects a string for a boolean attribute', 'active eq "yes"', /'active' is a boolean attribute.*string "yes"/],
    ['rejects co on a boolean attribute with invalidFilter', 'active co "t"', /Operator 'co' cannot be applied to 'active', which is a boolean/],
    ['rejects gt on a boolean sub-attribute', 'emails[primary gt true]', /Operator 'gt'.*'emails.primary'/],
    ['rejects sw on a dateTime', 'meta.created sw "2020"', /Operator 'sw'.*dateTime/],
    ['rejects a malformed dateTime', 'meta.created gt "yesterday"', /not an RFC 3339 date-time/],
    ['rejects a number for a dateTime attribute', 'meta.created gt 2020', /'meta.created' is a dateTime attribute.*number 2020/],
    ['rejects a number for a boolean attribute', 'active eq 1', /'active' is a boolean attribute.*number 1/],
    ['rejects gt null', 'title gt null', /cannot compare 'title' with null/],
    ['rejects a complex attribute without a value sub-attribute', 'name eq "x"', /'name' is a complex attribute/],
    ['rejects a value path on a simple attribute', 'title[value eq "x"]', /'title' is not a complex attribute/],
    ['rejects nested value paths', 'emails[type[value eq "x"]]', /cannot be nested/],
    ['rejects an attribute of another schema prefix', 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"', /Unknown attribute/],
    ['rejects members on Users', 'members eq "x"', /Unknown attribute 'members'/],
    ['rejects a dotted path naming no attribute of that schema', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.nickName eq "x"', /Unknown attribute/],
    ['rejects comparisons on binary values', 'x509Certificates.value eq "AAA"', /Operator 'eq'.*binary/],
    ['rejects a filter on members.display', 'members.display eq "Alice"', /attribute 'members.display' cannot be filtered/, groupResourceType],
  ];
  for (const [behaviour, filter, detail, resourceType] of refusals) {
    it(behaviour, () => {
      const parsed = parseFilter(filter);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
      const result = filterToSql(parsed.value, resourceType ?? userResourceType, { alias: 'u' });
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.code, 'invalidFilter');
      assert.match(result.detail, detail);
    });
  }

  it('compares userName through lower() so the (org_id, lower(user_name)) index serves it', () => {
    const parsed = parseFilter('userName eq "A"');
    assert.ok(parsed.ok);
    const result = filterToSql(parsed.value, userResourceType, { alias: 'u', params: ['org'] });
    assert.deepEqual(result, { ok: true, value: { sql: 'lower(u.user_name) = lower(?)', params: ['org', 'A'] } });
  });
});
