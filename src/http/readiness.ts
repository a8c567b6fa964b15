import type { Store } from '../db/orm.ts';
import { migrationStatus } from '../db/migrate.ts';
import type { Logger } from '../lib/logger.ts';

export interface ReadinessReport {
  ready: boolean;
  database: 'ok' | 'unreachable';
  migrations: 'ok' | 'pending' | 'unknown';
  pending?: string[];
  error?: string;
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
    const report = await this.#probe();
    if (this.#last?.report.ready !== report.ready) {
      if (report.ready) this.#logger.info({ readiness: report }, 'ready');
      else this.#logger.warn({ readiness: report }, 'not ready');
    }
    this.#last = { at: now, report };
    return report;
  }

  /** Called by the error mapper when a query failed for connection reasons. */
  markUnreachable(error: unknown): void {
    this.#last = {
      at: Date.now(),
      report: { ready: false, database: 'unreachable', migrations: 'unknown', error: String((error as Error)?.message ?? error) },
    };
  }

  async #probe(): Promise<ReadinessReport> {
    try {
      await this.#store.orm.em.fork().getConnection().execute('select 1');
    } catch (error) {
      return { ready: false, database: 'unreachable', migrations: 'unknown', error: (error as Error).message };
    }
    if (this.#migrationsApplied) return { ready: true, database: 'ok', migrations: 'ok' };
    try {
      const status = await migrationStatus(this.#store.orm);
      if (status.pending.length > 0) {
        return { ready: false, database: 'ok', migrations: 'pending', pending: status.pending };
      }
      this.#migrationsApplied = true;
      return { ready: true, database: 'ok', migrations: 'ok' };
    } catch (error) {
      return { ready: false, database: 'ok', migrations: 'unknown', error: (error as Error).message };
    }
  }
}
