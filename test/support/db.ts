import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { openStore, type Store } from '../../src/db/orm.ts';
import { migrate } from '../../src/db/migrate.ts';

/**
 * A fresh, migrated database for one test file: on PostgreSQL (DATABASE_URL set)
 * a new database created from it and dropped afterwards; else an in-memory PGlite.
 * Always the real migrations, never schema.create().
 */
export interface TestDatabase {
  store: Store;
  /** PostgreSQL URL of the fresh database, when running on PostgreSQL. */
  url: string | undefined;
  close(): Promise<void>;
}

export const usingPostgres = Boolean(process.env.DATABASE_URL);

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const url = usingPostgres ? await createPostgresDatabase(process.env.DATABASE_URL!) : undefined;
  const store = await openStore({ databaseUrl: url?.url, dataDir: '', inMemory: true });
  if (options.migrate !== false) await migrate(store.orm);
  return {
    store,
    url: url?.url,
    async close() {
      await store.close();
      await url?.drop();
    },
  };
}

/** Creates an empty database next to the one DATABASE_URL names; returns its URL and a dropper. */
export async function createPostgresDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
