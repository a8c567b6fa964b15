import assert from 'node:assert/strict';
import { createPostgresDatabase, createTestDatabase, usingPostgres, type TestDatabase } from '../support/db.ts';
import { migrate, migrationStatus } from '../../src/db/migrate.ts';
import { openStore } from '../../src/db/orm.ts';

describe('migrations', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  after(() => db.close());

  it('apply to an empty database and leave no difference between entities and schema', async () => {
    const applied = await migrate(db.store.orm);
    assert.ok(applied.length >= 1);
    const diff = await db.store.orm.schema.getUpdateSchemaSQL({ wrap: false });
    assert.equal(diff.trim(), '', `entities and migrations disagree:\n${diff}`);
  });

  it('report nothing pending afterwards and are a no-op when run again', async () => {
    assert.deepEqual((await migrationStatus(db.store.orm)).pending, []);
    assert.deepEqual(await migrate(db.store.orm), []);
  });

  it('leave the events trigger\'s per-row helpers inlinable, so no statement plans them again per call', async () => {
    const conn = db.store.orm.em.getConnection();
    for (const fn of ['gatehouse_event_actor', 'gatehouse_event_source']) {
      const plan = (await conn.execute(`explain verbose select ${fn}(a) from audit_events a`)) as Array<Record<string, string>>;
      const text = plan.map((row) => Object.values(row).join(' ')).join('\n');
      assert.doesNotMatch(text, new RegExp(fn), `${fn} is called, not inlined:\n${text}`);
    }
  });

  it('enforce case-insensitive userName uniqueness per org in the database itself', async () => {
    const conn = db.store.orm.em.getConnection();
    await conn.execute(`insert into organizations (id, slug, name, settings, version, created_at, updated_at) values
      ('00000000-0000-7000-8000-000000000001', 'a', 'A', '{}', 1, now(), now()),
      ('00000000-0000-7000-8000-000000000002', 'b', 'B', '{}', 1, now(), now())`);
    const insert = (id: string, org: string, userName: string) =>
      conn.execute(
        `insert into users (id, org_id, user_name, source, state, created_at, updated_at) values (?, ?, ?, 'scim', 'active', now(), now())`,
        [id, org, userName],
      );
    await insert('00000000-0000-7000-8000-0000000000a1', '00000000-0000-7000-8000-000000000001', 'Alice@Example.com');
    await assert.rejects(
      insert('00000000-0000-7000-8000-0000000000a2', '00000000-0000-7000-8000-000000000001', 'alice@example.COM'),
      /users_org_user_name_unique/,
    );
    // The same userName in another org is fine: uniqueness is per org.
    await insert('00000000-0000-7000-8000-0000000000a3', '00000000-0000-7000-8000-000000000002', 'alice@example.com');
  });

  it('apply once when several instances start on a fresh database at the same time (MIGRATE_ON_START on each)', async function () {
    if (!usingPostgres) return this.skip(); // PGlite is one process's database: only PostgreSQL is shared
    const fresh = await createPostgresDatabase(process.env.DATABASE_URL!);
    const stores = await Promise.all([1, 2, 3].map(() => openStore({ databaseUrl: fresh.url, dataDir: '' })));
    try {
      const results = await Promise.allSettled(stores.map((store) => migrate(store.orm)));
      const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      assert.deepEqual(failures, []);
      const applied = results.map((r) => (r as PromiseFulfilledResult<string[]>).value);
      // One instance applies them all; the others wait for it and find nothing pending.
      assert.equal(applied.filter((names) => names.length > 0).length, 1, JSON.stringify(applied.map((names) => names.length)));
      assert.deepEqual((await migrationStatus(stores[0]!.orm)).pending, []);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      await fresh.drop();
    }
  });
});
