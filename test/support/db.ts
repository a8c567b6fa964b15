import pg from 'pg';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { migrationsPath, openStore, type Store } from '../../src/db/orm.ts';
import { migrate } from '../../src/db/migrate.ts';

/**
 * A fresh, migrated database for one test file: on PostgreSQL (DATABASE_URL set)
 * a new database created from it and dropped afterwards; else an in-memory PGlite.
 * Always the real migrations, never schema.create(): they are run once into a
 * template (below), and each new database is a copy of it.
 */
export interface TestDatabase {
  store: Store;
  /** PostgreSQL URL of the fresh database, when running on PostgreSQL. */
  url: string | undefined;
  close(): Promise<void>;
}

export const usingPostgres = Boolean(process.env.DATABASE_URL);

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrated = options.migrate !== false;
  const url = usingPostgres
    ? await createPostgresDatabase(process.env.DATABASE_URL!, migrated ? { template: await postgresTemplate(process.env.DATABASE_URL!) } : {})
    : undefined;
  const image = !usingPostgres && migrated ? await pgliteImage() : undefined;
  const store = await openStore({ databaseUrl: url?.url, dataDir: '', inMemory: true, ...(image ? { pgliteImage: image } : {}) });
  if (migrated) await ownDeploymentSecret(store);
  return {
    store,
    url: url?.url,
    async close() {
      await store.close();
      await url?.drop();
    },
  };
}

/**
 * The migrations generate a secret per database (deployment_secrets): a copy of the template gets
 * one of its own, as a database migrated on its own would.
 */
async function ownDeploymentSecret(store: Store): Promise<void> {
  await store.orm.em.fork().execute(`update deployment_secrets set value = ? where name = 'session'`, [randomBytes(32).toString('base64url')]);
}

/** The migrations as they are now (names and contents): a template of other migrations is never used. */
function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(migrationsPath).filter((f) => f.endsWith('.ts')).sort()) hash.update(name).update(readFileSync(path.join(migrationsPath, name)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * PGlite: each process migrates one database and keeps its dumped data directory, which each test
 * database then starts from (about 1 s, where creating and migrating one takes 4–6 s).
 */
let pgliteDump: Promise<Blob> | undefined;
function pgliteImage(): Promise<Blob> {
  pgliteDump ??= (async () => {
    const store = await openStore({ dataDir: '', inMemory: true });
    try {
      await migrate(store.orm);
      const native = await (store.orm.em.getConnection() as unknown as { getNativeClient(): Promise<{ dumpDataDir(compression: 'none'): Promise<Blob> }> }).getNativeClient();
      return await native.dumpDataDir('none');
    } finally {
      await store.close();
    }
  })();
  return pgliteDump;
}

/** pg_advisory_lock key under which one test process builds the PostgreSQL template while the others wait. */
const TEMPLATE_LOCK = 7449363237540164980n;
const TEMPLATE_PREFIX = 'gatehouse_test_template_';

/**
 * PostgreSQL: a migrated template database named after the migrations' hash, built once by the
 * first test process that needs it (the others wait on an advisory lock) and kept for later runs;
 * each test database is created from it (CREATE DATABASE … TEMPLATE), about 5× quicker than
 * migrating. Templates of earlier migrations are dropped when a new one is built.
 */
let pgTemplate: Promise<string> | undefined;
function postgresTemplate(baseUrl: string): Promise<string> {
  pgTemplate ??= buildPostgresTemplate(baseUrl);
  return pgTemplate;
}

async function buildPostgresTemplate(baseUrl: string): Promise<string> {
  const name = `${TEMPLATE_PREFIX}${migrationsHash()}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK.toString()]);
    const found = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount) return name;
    // Built under another name and renamed when whole: a run cut off while building leaves no half template.
    const building = `${TEMPLATE_PREFIX}building_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database "${building}"`);
    const url = new URL(baseUrl);
    url.pathname = `/${building}`;
    const store = await openStore({ databaseUrl: url.toString(), dataDir: '' });
    try {
      await migrate(store.orm);
    } finally {
      await store.close();
    }
    await admin.query(`alter database "${building}" rename to "${name}"`);
    const stale = await admin.query('select datname from pg_database where datname like $1 and datname <> $2', [`${TEMPLATE_PREFIX}%`, name]);
    // Not forced: a template another run is copying from right now is left for a later build to drop.
    for (const row of stale.rows as Array<{ datname: string }>) await admin.query(`drop database if exists "${row.datname}"`).catch(() => undefined);
    return name;
  } finally {
    await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK.toString()]).catch(() => undefined);
    await admin.end();
  }
}

/** Creates an empty database (or a copy of `template`) next to the one DATABASE_URL names; returns its URL and a dropper. */
export async function createPostgresDatabase(baseUrl: string, options: { template?: string } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"${options.template ? ` template "${options.template}"` : ''}`);
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
