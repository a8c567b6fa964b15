import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sortToSql, type SortOrder } from '../../../src/scim/filter/sort.ts';
import { groupResourceType, userResourceType } from '../../../src/scim/schema/registry.ts';
import { createTestDatabase, type TestDatabase } from '../../support/db.ts';

const org = randomUUID();
let db: TestDatabase;

const execute = (sql: string, params: unknown[] = []) => db.store.orm.em.fork().getConnection().execute(sql, params);

// [userName, familyName, created, emails]
const rows: Array<[string, string | null, string, unknown[]]> = [
  ['bravo', 'Zed', '2021-01-01T00:00:00Z', [{ value: 'z@x.com' }, { value: 'a@x.com', primary: true }]],
  ['Alpha', null, '2022-01-01T00:00:00Z', [{ value: 'M@x.com' }]],
  ['charlie', 'adams', '2020-01-01T00:00:00Z', []],
];

before(async () => {
  db = await createTestDatabase();
  await execute(`insert into organizations (id, created_at, updated_at, slug, name) values (?, now(), now(), 'o', 'O')`, [org]);
  for (const [userName, familyName, created, emails] of rows) {
    await execute(
      `insert into users (id, created_at, updated_at, org_id, user_name, family_name, source, emails) values (?, ?, ?, ?, ?, ?, 'scim', ?::jsonb)`,
      [randomUUID(), created, created, org, userName, familyName, JSON.stringify(emails)],
    );
  }
});

after(async () => db?.close());

async function sorted(path: string, order?: SortOrder): Promise<string[]> {
  const result = sortToSql(path, order, userResourceType, { alias: 'u' });
  assert.ok(result.ok, result.ok ? '' : result.detail);
  const found = await execute(`select u.user_name from users u where u.org_id = ? order by ${result.value}, u.id`, [org]);
  return found.map((r: Record<string, unknown>) => String(r.user_name));
}

describe('sortToSql', () => {
  const cases: Array<[string, string, SortOrder | undefined, string[]]> = [
    ['sorts userName case-insensitively, ascending by default', 'userName', undefined, ['Alpha', 'bravo', 'charlie']],
    ['sorts descending', 'userName', 'descending', ['charlie', 'bravo', 'Alpha']],
    ['puts missing values last when ascending (RFC 7644 §3.4.2.3)', 'name.familyName', 'ascending', ['charlie', 'bravo', 'Alpha']],
    ['puts missing values first when descending', 'name.familyName', 'descending', ['Alpha', 'bravo', 'charlie']],
    ['sorts by meta.created', 'meta.created', 'ascending', ['charlie', 'bravo', 'Alpha']],
    ['sorts emails by the primary value, else the first', 'emails.value', 'ascending', ['bravo', 'Alpha', 'charlie']],
    ['sorts a multi-valued attribute by its value', 'emails', 'ascending', ['bravo', 'Alpha', 'charlie']],
  ];
  for (const [behaviour, path, order, expected] of cases) {
    it(behaviour, async () => assert.deepEqual(await sorted(path, order), expected));
  }

  it('sorts meta.lastModified at the millisecond precision responses show, equal values by id', async () => {
    const other = randomUUID();
    await execute(`insert into organizations (id, created_at, updated_at, slug, name) values (?, now(), now(), 'ms', 'Ms')`, [other]);
    // Within one millisecond, the later microsecond on the lower id: only the id can order them.
    const rowsInOneMs: Array<[string, string, string]> = [
      ['00000000-0000-4000-8000-000000000001', 'first-id', '2024-05-01T10:00:00.123900Z'],
      ['00000000-0000-4000-8000-000000000002', 'second-id', '2024-05-01T10:00:00.123100Z'],
      ['00000000-0000-4000-8000-000000000003', 'earlier-ms', '2024-05-01T10:00:00.122999Z'],
    ];
    for (const [id, userName, at] of rowsInOneMs) {
      await execute(`insert into users (id, created_at, updated_at, org_id, user_name, source) values (?, ?, ?, ?, ?, 'scim')`, [id, at, at, other, userName]);
    }
    for (const [order, expected] of [['ascending', ['earlier-ms', 'first-id', 'second-id']], ['descending', ['first-id', 'second-id', 'earlier-ms']]] as const) {
      const result = sortToSql('meta.lastModified', order, userResourceType, { alias: 'u' });
      assert.ok(result.ok);
      const found = await execute(`select u.user_name from users u where u.org_id = ? order by ${result.value}, u.id`, [other]);
      assert.deepEqual(found.map((r: Record<string, unknown>) => String(r.user_name)), expected, order);
    }
  });

  it('refuses an unknown attribute with invalidValue', () => {
    assert.deepEqual(sortToSql('nope', undefined, userResourceType, { alias: 'u' }), {
      ok: false,
      code: 'invalidValue',
      detail: "Unknown attribute 'nope' in sortBy",
    });
  });

  it('refuses attributes that cannot be sorted', () => {
    for (const path of ['password', 'groups', 'name', 'x509Certificates.value']) {
      const result = sortToSql(path, undefined, userResourceType, { alias: 'u' });
      assert.equal(result.ok, false, path);
    }
    assert.equal(sortToSql('members', undefined, groupResourceType, { alias: 'g' }).ok, false);
  });

  it('sorts Groups by displayName case-insensitively', () => {
    assert.deepEqual(sortToSql('displayName', 'descending', groupResourceType, { alias: 'g' }), { ok: true, value: 'lower(g.display_name) desc' });
  });
});
