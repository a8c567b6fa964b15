import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, usingPostgres, type TestDatabase } from '../support/db.ts';

/**
 * The change feed shows a person's manager (gatehouse_user_manager, called by the events trigger
 * for each person with a manager). A first big import fills `users` before PostgreSQL has any
 * statistics of it, and the lookup's plan is kept for the session: it must still read the manager
 * by key, not walk the org's people once per event (a CSV import's Manager pass in a 20,000-person
 * org took over 10 s per 500 rows that way).
 */
describe('events: the feed looks a manager up by key, whatever the statistics', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let client: pg.Client;
  const people = 3_000;
  const calls = 20;

  before(async function () {
    if (!usingPostgres) return this.skip(); // the plan kept by a session of a table without statistics is PostgreSQL's
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`insert into organizations (id, created_at, updated_at, slug, name) values (gen_random_uuid(), now(), now(), 'big', 'Big')`);
    await client.query(
      `insert into users (id, created_at, updated_at, org_id, user_name, display_name, source)
       select gen_random_uuid(), now(), now(), o.id, 'p' || n || '@example.com', 'Person ' || n, 'csv'
       from organizations o cross join generate_series(1, $1) n`,
      [people],
    );
    // As just after a first big import: no statistics, and no size estimate.
    await client.query(`delete from pg_statistic where starelid = 'users'::regclass`);
    await client.query(`update pg_class set reltuples = -1, relpages = 0 where oid = 'users'::regclass`);
  });
  after(async () => {
    await client?.end();
    await db?.close();
  });

  it(`reads one person per lookup in a ${people}-person org, from the first call of a session to the ${calls}th`, async () => {
    const [org] = (await client.query(`select id from organizations where slug = 'big'`)).rows;
    const managers = (await client.query(`select id, display_name from users order by id limit $1`, [calls])).rows;
    await client.query('begin');
    try {
      for (const m of managers) {
        const { rows } = await client.query(`select gatehouse_user_manager($1, $2) as manager`, [org.id, m.id]);
        assert.deepEqual(rows[0].manager, { id: m.id, displayName: m.display_name });
      }
      const { rows } = await client.query(`select seq_tup_read + coalesce(idx_tup_fetch, 0) as read from pg_stat_xact_user_tables where relname = 'users'`);
      // By key, at most two a lookup (40 for 20 here); walking the org read ~27,000.
      assert.ok(Number(rows[0].read) <= 2 * calls, `the ${calls} lookups read ${rows[0].read} rows of users`);
    } finally {
      await client.query('rollback');
    }
  });

  it('still shows nobody for an id of another org, a deleted manager or a value that is not an id', async () => {
    const [m] = (await client.query(`select id, org_id from users limit 1`)).rows;
    const other = (await client.query(`select gatehouse_user_manager(gen_random_uuid(), $1) as x`, [m.id])).rows[0].x;
    const garbage = (await client.query(`select gatehouse_user_manager($1, 'not-an-id') as x`, [m.org_id])).rows[0].x;
    await client.query('begin');
    try {
      await client.query(`update users set state = 'deleted', deleted_at = now() where id = $1`, [m.id]);
      const deleted = (await client.query(`select gatehouse_user_manager($1, $2) as x`, [m.org_id, m.id])).rows[0].x;
      assert.deepEqual([other, garbage, deleted], [null, null, null]);
    } finally {
      await client.query('rollback');
    }
  });
});
