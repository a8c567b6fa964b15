import type { Store } from '../db/orm.ts';
import { migrationStatus } from '../db/migrate.ts';
import { unreachableReason, type UnreachableReason } from '../db/unavailable.ts';
import type { Logger } from '../lib/logger.ts';

export interface ReadinessReport {
  ready: boolean;
  database: 'ok' | 'unreachable';
  migrations: 'ok' | 'pending' | 'unknown';
  pending?: string[];
  /** Why it is not ready, in a fixed word: /readyz is public, so the error's own message only goes to the log. */
  reason?: UnreachableReason | 'migration_status_failed';
}

/**
 * Answers /readyz and lets request handlers fail fast with 503 while the
 * database is away. A probe is cached for a second so a load balancer's
 * checks cost one query per second at most.
 */
export class Readiness {
  #store: Store;
  #logger: Logger;
  #last: { at: number; report: ReadinessReport } | undefined;
  #migrationsApplied = false;

  constructor(store: Store, logger: Logger) {
    this.#store = store;
    this.#logger = logger;
  }

  async check(maxAgeMs = 1000): Promise<ReadinessReport> {
    const now = Date.now();
    if (this.#last && now - this.#last.at < maxAgeMs) return this.#last.report;
    const { report, error } = await this.#probe();
    this.#record(now, report, error);
    return report;
  }

  /** Called by the error mapper when a query failed for connection reasons. */
  markUnreachable(error: unknown): void {
    this.#record(Date.now(), { ready: false, database: 'unreachable', migrations: 'unknown', reason: unreachableReason(error) }, error);
  }

  /** Logs each change (ready or not, and why), with the error's whole message for the operator. */
  #record(at: number, report: ReadinessReport, error: unknown): void {
    const last = this.#last?.report;
    if (last?.ready !== report.ready || last.reason !== report.reason) {
      if (report.ready) this.#logger.info({ readiness: report }, 'ready');
      else this.#logger.warn({ readiness: report, err: error }, 'not ready');
    }
    this.#last = { at, report };
  }

  async #probe(): Promise<{ report: ReadinessReport; error?: unknown }> {
    try {
      await this.#store.orm.em.fork().getConnection().execute('select 1');
    } catch (error) {
      return { report: { ready: false, database: 'unreachable', migrations: 'unknown', reason: unreachableReason(error) }, error };
    }
    if (this.#migrationsApplied) return { report: { ready: true, database: 'ok', migrations: 'ok' } };
    try {
      const status = await migrationStatus(this.#store.orm);
      if (status.pending.length > 0) {
        return { report: { ready: false, database: 'ok', migrations: 'pending', pending: status.pending } };
      }
      this.#migrationsApplied = true;
      return { report: { ready: true, database: 'ok', migrations: 'ok' } };
    } catch (error) {
      return { report: { ready: false, database: 'ok', migrations: 'unknown', reason: 'migration_status_failed' }, error };
    }
  }
}
