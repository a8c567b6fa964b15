import { outboundPolicy, scimBodyBudget, type Config } from './config.ts';
import type { Logger } from './lib/logger.ts';
import type { Store, Em } from './db/orm.ts';
import type { SqlRunner } from './db/bound-query.ts';
import { systemClock, type Clock } from './lib/clock.ts';
import { Readiness } from './http/readiness.ts';
import { TokenCache } from './directory/tokens.ts';
import path from 'node:path';
import { createMailer, type Mailer } from './lib/mailer.ts';
import { deliverDue, OutboxWorker, recordDelivered, type DeliveryReport, type OutboxDeps, type PermanentFailureHook } from './directory/outbox.ts';
import { invitationMailCancelReason, markInvitationUndeliverable } from './directory/invitations.ts';
import { PurgeJob } from './directory/purge-job.ts';
import { userCountJob } from './directory/user-counts.ts';
import type { PeriodicJob } from './directory/periodic-job.ts';
import { loggingSmsSender, type SmsSender } from './lib/sms.ts';
import { createEventServices, type EventServices } from './event-services.ts';
import { AuditIds } from './directory/audit-ids.ts';
import { MetadataRefreshJob } from './saml/metadata-refresh-job.ts';
import { ByteBudget } from './lib/byte-budget.ts';
import { createMetrics, type Metrics } from './lib/metrics.ts';
import { watchBacklog } from './lib/metrics-backlog.ts';
import { watchBodyBudget } from './lib/metrics-budget.ts';
import { readBacklog } from './directory/backlog.ts';

/**
 * CONVENTIONS 10: the composition root. Everything a request handler needs is
 * built here, once, from the config; tests build their own container.
 */
export interface Container {
  config: Config;
  logger: Logger;
  store: Store;
  clock: Clock;
  readiness: Readiness;
  /** Recently authenticated bearer tokens (see directory/tokens.ts). */
  tokenCache: TokenCache;
  /** SCIM body bytes the requests in flight hold, up to scim.bodyBudget (http/body-budget.ts). */
  scimBodies: ByteBudget;
  mailer: Mailer;
  /** One-time sign-in codes by text message; by default logged and kept in the outbox as kind `sms`. */
  sms: SmsSender<Em>;
  outbox: {
    deps: OutboxDeps;
    /** Started by the server after listen, stopped on shutdown; never in tests. */
    worker: OutboxWorker;
    /** One pass over the messages due at `now` (tests call this with an injected time). */
    deliverDue(now?: Date): Promise<DeliveryReport>;
  };
  /** The daily purge of deleted users: started by the server next to the outbox worker; tests call `runOnce(now)`. */
  purge: PurgeJob;
  /** Folds the live-user count deltas every few seconds (directory/user-counts.ts); started by the server. */
  userCounts: PeriodicJob;
  /** Fetches SAML connections' IdP metadata URLs again every saml.metadataRefreshIntervalMs; started by the server; tests call `refreshDue(now)`. */
  samlMetadata: MetadataRefreshJob;
  /** Prometheus metrics, when METRICS_PORT is set (the server serves them on that port alone); else nothing is counted. */
  metrics: Metrics | undefined;
  /** The audit ids and cursors tenants see: opaque, per org (directory/audit-ids.ts). */
  auditIds: AuditIds;
  /** The change feed's publisher, invitation expiry, retention, and webhook delivery (src/event-services.ts). */
  events: EventServices;
  /**
   * Aborted when the server begins shutting down: work that spans many transactions (an import
   * commit) stops at its next safe point instead of being cut off with the store closing under it.
   */
  stopping: AbortSignal;
  /** A fresh EntityManager with its own identity map, for one request or one job. */
  fork(): Em;
  /**
   * Single statements outside any transaction (db/bound-query.ts): one fork for
   * the process, typed so that nothing can load entities into it or start a
   * transaction on it. Requests take it as `req.ctx.sql`.
   */
  statements: SqlRunner;
}

export interface ContainerParts {
  config: Config;
  logger: Logger;
  store: Store;
  clock?: Clock;
  mailer?: Mailer;
  sms?: SmsSender<Em>;
  /** Called when a mail fails for good (refused address, retries exhausted); see directory/outbox.ts. */
  onPermanentFailure?: PermanentFailureHook;
  /** For the retry jitter; tests pin it. */
  random?: () => number;
  /** The server's shutdown (Container.stopping); never aborted when absent. */
  stopping?: AbortSignal;
}

export function createContainer(parts: ContainerParts): Container {
  const { config, logger, store } = parts;
  const clock = parts.clock ?? systemClock;
  const fork = () => store.orm.em.fork();
  const mailer =
    parts.mailer ??
    createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: path.join(config.dataDir, 'outbox'), logger: logger.child({ component: 'mail' }) });
  const onPermanentFailure: PermanentFailureHook =
    parts.onPermanentFailure ??
    (async (em, message, failure) => {
      logger.warn({ outboxId: message.id, kind: message.kind, to: message.to, ...failure }, 'mail undeliverable');
      if (message.kind === 'invitation') await markInvitationUndeliverable(em, message, failure, clock.now());
    });
  const deps: OutboxDeps = {
    fork,
    mailer,
    logger: logger.child({ component: 'outbox' }),
    retry: config.mail.retry,
    claimTimeoutMs: config.mail.claimTimeoutMs,
    batchSize: config.mail.batchSize,
    onPermanentFailure,
    // Invitation mail whose invitation stopped being usable while it waited is cancelled, not sent.
    cancelReason: invitationMailCancelReason,
    ...(parts.random ? { random: parts.random } : {}),
  };
  const statements = store.orm.em.fork();
  const metrics = config.metrics.port === undefined ? undefined : serverMetrics(statements, logger);
  const failures = metrics?.jobFailures;
  const scimBodies = new ByteBudget(scimBodyBudget(config.scim));
  if (metrics) watchBodyBudget(metrics.registry, scimBodies);
  const sms =
    parts.sms ??
    loggingSmsSender<Em>(logger.child({ component: 'sms' }), (em, message, now) =>
      recordDelivered(em, { orgId: message.orgId, to: message.to, subject: 'SMS', text: message.text, kind: 'sms', related: message.related }, now).then(() => undefined),
    );
  return {
    config,
    logger,
    store,
    clock,
    sms,
    readiness: new Readiness(store, logger),
    tokenCache: new TokenCache(config.auth.tokenCacheMs),
    scimBodies,
    mailer,
    outbox: {
      deps,
      worker: new OutboxWorker(deps, clock, config.mail.pollIntervalMs, failures),
      deliverDue: (now = clock.now()) => deliverDue(deps, now),
    },
    purge: new PurgeJob({ fork, clock, logger: logger.child({ component: 'purge' }), ...config.purge, failures }),
    userCounts: userCountJob({ fork, logger: logger.child({ component: 'user-counts' }), failures }),
    samlMetadata: new MetadataRefreshJob({
      fork,
      clock,
      logger: logger.child({ component: 'saml-metadata' }),
      // The same SSRF rules as the admin API's fetch of the URL (http/admin/saml.ts).
      policy: outboundPolicy(config),
      intervalMs: config.saml.metadataRefreshIntervalMs,
      failures,
    }),
    auditIds: new AuditIds(config.sessionSecret, fork),
    events: createEventServices({ config, logger, fork, clock, failures, ...(parts.random ? { random: parts.random } : {}) }),
    metrics,
    stopping: parts.stopping ?? new AbortController().signal,
    fork,
    statements,
  };
}

/** The registry, and the backlog gauges read at each scrape; a failed read is logged once, when it starts failing. */
function serverMetrics(statements: SqlRunner, logger: Logger): Metrics {
  const metrics = createMetrics();
  let failing = false;
  watchBacklog(metrics.registry, async () => {
    const backlog = await readBacklog(statements);
    failing = false;
    return backlog;
  }, (error) => {
    if (!failing) logger.warn({ err: error }, 'metrics: the database could not be read (gatehouse_database_up 0)');
    failing = true;
  });
  return metrics;
}
