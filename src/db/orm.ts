import path from 'node:path';
import type { MikroORM, Options } from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/sql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities/index.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import type { Logger } from '../lib/logger.ts';

export type Orm = MikroORM<AbstractSqlDriver, SqlEntityManager>;
export type Em = SqlEntityManager;

export const migrationsPath = path.resolve(import.meta.dirname, '..', '..', 'migrations');

export interface StoreOptions {
  /** PostgreSQL URL; absent means embedded PGlite. */
  databaseUrl?: string | undefined;
  dataDir: string;
  poolMax?: number;
  connectTimeoutMs?: number;
  /** Who is opening an embedded store, for the lock message ("the server", "gatehouse migrate"). */
  holder?: string;
  /** PGlite only: told when opening waits for DATA_DIR's lock (default: a warning in the log). */
  notice?: (message: string) => void;
  /** PGlite only: keep the database in memory (tests). */
  inMemory?: boolean;
  /** PGlite in memory only: start from this dumped data directory (tests: a migrated database) instead of an empty one. */
  pgliteImage?: Blob;
  logger?: Logger;
}

export interface Store {
  orm: Orm;
  kind: 'postgresql' | 'pglite';
  close(): Promise<void>;
}

export class DatabaseUnreachableError extends Error {
  constructor(target: string, cause: unknown, after?: string) {
    super(`Cannot reach the database at ${target}: ${describe(cause)}${after ? `; ${after}` : ''}`);
    this.name = 'DatabaseUnreachableError';
    this.cause = cause;
  }
}

function baseOptions(options: StoreOptions): Partial<Options> {
  const logger = options.logger;
  return {
    entities,
    extensions: [Migrator],
    migrations: {
      path: migrationsPath,
      pathTs: migrationsPath,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
      snapshot: true,
      // One name whatever the database is called (the migration tool runs on an in-memory PGlite).
      snapshotName: '.snapshot-gatehouse',
      // The committed snapshot describes the committed migrations; running them must not rewrite it.
      snapshotOnMigrate: false,
      silent: true,
    },
    debug: false,
    logger: logger ? (message: string) => logger.debug({ orm: message }) : () => undefined,
    // Request handlers fork the EntityManager; a global-context use is a bug we want to hear about.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    // Triggers and functions are hand-written in migrations (the audit → event
    // trigger, the append-only guard); the entity diff must neither drop nor
    // rewrite them.
    schemaGenerator: { ignoreTriggers: true, ignoreRoutines: true },
  };
}

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openPglite(options);
}

async function openPostgres(url: string, options: StoreOptions): Promise<Store> {
  const { MikroORM } = await import('@mikro-orm/postgresql');
  const { DiscardingPostgreSqlDriver } = await import('./pg-failed-begin.ts');
  const orm = (await MikroORM.init({
    ...baseOptions(options),
    // A connection whose BEGIN fails is destroyed, not leaked (kysely-org/kysely#1990): see pg-failed-begin.ts.
    driver: DiscardingPostgreSqlDriver,
    clientUrl: url,
    // A database that does not exist is an error, never created: a typo in DATABASE_URL would
    // otherwise start a healthy-looking instance on an empty database.
    ensureDatabase: false,
    pool: { min: 0, max: options.poolMax ?? 10 },
    // JIT off: Gatehouse's statements are short, and a row estimate the planner cannot make (a page
    // bounded by a computed limit) pushed a 3 ms list page over jit_above_cost, where compiling it took 350 ms.
    driverOptions: { connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, options: '-c jit=off' },
    connect: false,
  } as Options)) as unknown as Orm;
  try {
    await orm.connect();
    const check = await orm.checkConnection();
    if (!check.ok) throw check.error ?? new Error(check.reason);
  } catch (error) {
    await orm.close(true).catch(() => undefined);
    throw new DatabaseUnreachableError(redactUrl(url), error);
  }
  return { orm, kind: 'postgresql', close: () => orm.close() };
}

async function openPglite(options: StoreOptions): Promise<Store> {
  const { MikroORM } = await import('@mikro-orm/pglite');
  let lock: DataDirLock | undefined;
  let dbName = 'memory://';
  if (!options.inMemory) {
    const { logger } = options;
    const notice = options.notice ?? ((message: string) => logger?.warn(message));
    lock = await lockDataDir(options.dataDir, options.holder ?? 'another Gatehouse process', {
      notice,
      onLost: (message) => (logger ? logger.error(message) : notice(message)),
    });
    dbName = path.join(options.dataDir, 'pglite');
  }
  try {
    const { pgliteImage } = options;
    // A function: MikroORM copies plain driver options, and a copied Blob cannot be read.
    const image = options.inMemory && pgliteImage ? { driverOptions: () => ({ loadDataDir: pgliteImage }) } : {};
    const orm = (await MikroORM.init({ ...baseOptions(options), dbName, ...image } as Options)) as unknown as Orm;
    return {
      orm,
      kind: 'pglite',
      async close() {
        try {
          await orm.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/** The URL as it may be printed: a password in the user part, or any query parameter naming one (`?password=`, which pg reads too), becomes `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const name of [...parsed.searchParams.keys()]) {
      if (/password/i.test(name)) parsed.searchParams.set(name, '***');
    }
    return parsed.toString();
  } catch {
    return 'the configured DATABASE_URL';
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
