import type { Em } from '../db/orm.ts';
import type { Logger } from '../lib/logger.ts';
import type { OutboundPolicy } from '../lib/outbound-url.ts';
import type { Clock } from '../lib/clock.ts';
import { PeriodicJob, type JobFailures } from '../directory/periodic-job.ts';
import { DomainError, NotFoundError, StaleVersionError, ValidationError } from '../directory/errors.ts';
import { systemActor, type Scope } from '../directory/scope.ts';
import { recordMetadataFetch, refreshSamlConnection } from './metadata-refresh.ts';

/** Longer than a batch of fetches may take (each at most 10 s, metadata-url.ts): a lease lapses only when its instance died. */
const LEASE_MS = 15 * 60_000;
const BATCH = 20;
/** How often the job looks for due connections, at most: a connection is due `intervalMs` after its last attempt, not a tick later. */
const TICK_MS = 10 * 60_000;

export interface ClaimedConnection {
  id: string;
  orgId: string;
  orgSlug: string;
  name: string;
}

/**
 * One statement, outside any transaction: leases up to `limit` connections with a metadata URL
 * whose last fetch (successful or not) is `intervalMs` old or more, and that no other instance holds.
 * `skip locked` and the lease together mean two instances never fetch the same connection at once.
 */
export async function claimDueConnections(em: Em, now: Date, options: { intervalMs: number; leaseMs: number; limit: number }): Promise<ClaimedConnection[]> {
  const dueBefore = new Date(now.getTime() - options.intervalMs);
  const rows = await em.execute(
    `update saml_connections c set metadata_leased_until = ?
     from organizations o
     where o.id = c.org_id and c.id in (
       select id from saml_connections
       where idp_metadata_url is not null
         and (metadata_leased_until is null or metadata_leased_until <= ?)
         and (greatest(metadata_refreshed_at, metadata_error_at) is null or greatest(metadata_refreshed_at, metadata_error_at) <= ?)
       order by greatest(metadata_refreshed_at, metadata_error_at) nulls first, id
       limit ? for update skip locked)
     returning c.id, c.org_id, o.slug, c.name`,
    [new Date(now.getTime() + options.leaseMs), now, dueBefore, options.limit],
  );
  return rows.map((r) => ({ id: String(r.id), orgId: String(r.org_id), orgSlug: String(r.slug), name: String(r.name) }));
}

/** Gives a claimed connection back without recording a fetch: it is due again at the next pass. */
async function releaseLease(em: Em, connectionId: string): Promise<void> {
  await em.execute('update saml_connections set metadata_leased_until = null where id = ?', [connectionId]);
}

export interface RefreshPassReport {
  attempted: number;
  changed: number;
  failed: number;
  /** A whole batch was claimed: more may be due. */
  full: boolean;
}

interface RefreshJobDeps {
  fork: () => Em;
  clock: Clock;
  logger: Logger;
  policy: OutboundPolicy;
  intervalMs: number;
  failures?: JobFailures | undefined;
}

/**
 * The background refresh of SAML connections configured from an IdP metadata URL (IDP-NOTES §2:
 * Entra publishes the next signing certificate weeks before a rollover). Each due connection is
 * leased, fetched outside any transaction and applied through the manual refresh
 * (saml/metadata-refresh.ts), audited as saml.configured by the system when it changed. A
 * failure is recorded on the connection (GET /saml, the console), logged as one warning, and
 * tried again only after the interval. A connection an admin changed during its fetch is given
 * back with nothing recorded (the admin's edit wins) and fetched again at the next pass.
 * `intervalMs` 0: off. Tests call `refreshDue(now)`.
 */
export class MetadataRefreshJob {
  readonly #deps: RefreshJobDeps;
  readonly #loop: PeriodicJob | null;

  constructor(deps: RefreshJobDeps) {
    this.#deps = deps;
    this.#loop = deps.intervalMs > 0
      ? new PeriodicJob({
        name: 'SAML metadata refresh',
        intervalMs: Math.min(deps.intervalMs, TICK_MS),
        initialDelayMs: 30_000,
        logger: deps.logger,
        failures: deps.failures,
        pass: async () => (await this.refreshDue()).full,
      })
      : null;
  }

  get started(): boolean {
    return this.#loop?.started ?? false;
  }

  start(): void {
    this.#loop?.start();
  }

  async stop(): Promise<void> {
    await this.#loop?.stop();
  }

  async refreshDue(now: Date = this.#deps.clock.now()): Promise<RefreshPassReport> {
    const report: RefreshPassReport = { attempted: 0, changed: 0, failed: 0, full: false };
    const { fork, intervalMs } = this.#deps;
    if (intervalMs <= 0) return report;
    const claimed = await claimDueConnections(fork(), now, { intervalMs, leaseMs: LEASE_MS, limit: BATCH });
    report.full = claimed.length >= BATCH;
    for (const connection of claimed) {
      report.attempted++;
      const outcome = await this.#refreshOne(connection, now);
      if (outcome === 'changed') report.changed++;
      if (outcome === 'failed') report.failed++;
    }
    return report;
  }

  async #refreshOne(claimed: ClaimedConnection, now: Date): Promise<'changed' | 'unchanged' | 'failed'> {
    const { fork, logger, policy } = this.#deps;
    const scope: Scope = { orgId: claimed.orgId, orgSlug: claimed.orgSlug, actor: systemActor };
    const where = { org: claimed.orgSlug, connection: claimed.name };
    try {
      const outcome = await refreshSamlConnection(fork(), scope, claimed.name, policy, now);
      if (outcome.changed) logger.info({ ...where, certificatesAdded: outcome.certificatesAdded, certificatesRemoved: outcome.certificatesRemoved }, 'SAML connection refreshed from its IdP metadata URL');
      return outcome.changed ? 'changed' : 'unchanged';
    } catch (error) {
      // Deleted, or its URL removed, since the claim: nothing to record.
      if (error instanceof NotFoundError) return 'unchanged';
      // An admin changed the connection during each of the refresh's fetches (it fetches again after
      // one such edit): their edits win and nothing failed, so no error is recorded (it would show the
      // admin API's 412 wording as the URL's fault) and no fetch either (the metadata was not applied).
      // Its last fetch is still old, so the next pass fetches it again.
      if (error instanceof StaleVersionError) {
        logger.info(where, 'SAML metadata refresh skipped: the connection was changed during the fetch; the next pass fetches it again');
        await releaseLease(fork(), claimed.id);
        return 'unchanged';
      }
      if (error instanceof ValidationError) {
        // Already recorded on the connection by the refresh; the reason names no secret (the URL may not carry credentials).
        logger.warn({ ...where, reason: error.problems[0]?.reason ?? error.message }, 'SAML metadata refresh failed; tried again after the interval');
        return 'failed';
      }
      // The database, or another refusal: recorded, so it waits for the interval too.
      const reason = error instanceof DomainError ? error.message : 'could not be applied (see the server log)';
      if (!(error instanceof DomainError)) logger.error({ ...where, err: error }, 'SAML metadata refresh failed');
      else logger.warn({ ...where, reason }, 'SAML metadata refresh failed; tried again after the interval');
      await recordMetadataFetch(fork(), claimed.id, now, reason).catch(() => undefined);
      return 'failed';
    }
  }
}
