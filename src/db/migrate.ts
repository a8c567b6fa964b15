import type { Orm } from './orm.ts';

export interface MigrationStatus {
  executed: string[];
  pending: string[];
}

/** pg_advisory_xact_lock key that serializes migration runs ("gatehous" in ASCII). */
const MIGRATION_LOCK = '7449363237540164979';

/**
 * Applies every pending migration in one transaction (allOrNothing); returns the names applied.
 * Several instances may start on a fresh database at once (MIGRATE_ON_START on each, a rolling
 * deploy, `gatehouse migrate` next to a starting server): each takes a transaction-level advisory
 * lock first, so one applies the migrations and the others wait for its commit, then find none pending.
 */
export async function migrate(orm: Orm): Promise<string[]> {
  // Embedded PGlite is one process's database (DATA_DIR is locked) and has one connection, which the
  // migrator would wait for behind the lock's transaction: nothing to serialize there.
  if (orm.em.getDriver().constructor.name === 'PgliteDriver') return (await orm.migrator.up()).map((m) => m.name);
  const connection = orm.em.getConnection();
  const applied = await connection.transactional(async (trx) => {
    await connection.execute(`select pg_advisory_xact_lock(${MIGRATION_LOCK})`, [], 'run', trx);
    return orm.migrator.up({ transaction: trx });
  });
  return applied.map((m) => m.name);
}

export async function migrationStatus(orm: Orm): Promise<MigrationStatus> {
  // Sequential on purpose: both create the migrations table on first use, and would race.
  const executed = await orm.migrator.getExecuted();
  const pending = await orm.migrator.getPending();
  return { executed: executed.map((m) => m.name), pending: pending.map((m) => m.name) };
}
