import type { Orm } from './orm.ts';

export interface MigrationStatus {
  executed: string[];
  pending: string[];
}

/** Applies every pending migration in one transaction (allOrNothing); returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

export async function migrationStatus(orm: Orm): Promise<MigrationStatus> {
  // Sequential on purpose: both create the migrations table on first use, and would race.
  const executed = await orm.migrator.getExecuted();
  const pending = await orm.migrator.getPending();
  return { executed: executed.map((m) => m.name), pending: pending.map((m) => m.name) };
}
