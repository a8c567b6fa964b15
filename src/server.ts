import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo } from 'node:net';
import { TableNotFoundException } from '@mikro-orm/core';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { type Store, type StoreOptions } from './db/orm.ts';
import { openStoreWaiting } from './db/startup-wait.ts';
import { migrate } from './db/migrate.ts';
import { createContainer, type Container } from './container.ts';
import { createApp } from './app.ts';
import { countOrgs } from './directory/orgs.ts';
import { drainOnShutdown } from './http/drain.ts';
import { createMetricsServer } from './http/metrics-listener.ts';

export interface RunningServer {
  server: Server;
  container: Container;
  url: string;
  /** The metrics listener's address (`http://127.0.0.1:9464`), when METRICS_PORT is set. */
  metricsUrl?: string;
  /** Stop accepting, let in-flight requests finish (up to shutdownTimeoutMs), close the store. */
  close(): Promise<void>;
}

/** A port cannot be taken (in use, privileged) or its address is not this machine's: a start-up failure told in one line. */
export class ListenError extends Error {
  constructor(port: number, cause: NodeJS.ErrnoException, listener: { settings: string; host?: string } = { settings: 'PORT' }) {
    const reason =
      cause.code === 'EADDRINUSE' ? 'it is already in use'
      : cause.code === 'EACCES' ? 'permission denied (a port below 1024 needs privileges)'
      : cause.code === 'EADDRNOTAVAIL' ? 'the address is not one of this machine\'s'
      : cause.code === 'ENOTFOUND' ? 'the host name does not resolve'
      : cause.message;
    super(`Cannot listen on ${listener.host ? `${listener.host} ` : ''}port ${port} (${listener.settings}): ${reason}`);
    this.name = 'ListenError';
    this.cause = cause;
  }
}

/** Where the store is and how to reach it, from the configuration: the same for the server and every CLI command. */
export function storeOptions(config: Config): Pick<StoreOptions, 'databaseUrl' | 'dataDir' | 'poolMax' | 'connectTimeoutMs'> {
  return { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.database.poolMax, connectTimeoutMs: config.database.connectTimeoutMs };
}

export interface StartOptions {
  logger?: Logger;
  store?: Store;
  /** Aborted by a signal during start-up: a wait for the database ends at once (StartupStoppedError). */
  signal?: AbortSignal;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  for (const warning of config.warnings) logger.warn(warning);
  // Allowed (the default suits a laptop), but in production it is almost always a missing variable.
  if (config.environment === 'production' && !config.publicUrlGiven) {
    logger.warn(`PUBLIC_URL is not set: mailed invitation and reset links, SAML URLs and SCIM locations point to ${config.publicUrl}; set it to where people and IdPs reach Gatehouse (https://id.example.com)`);
  }
  const store = options.store ?? (await openStoreWaiting(
    { ...storeOptions(config), holder: 'the Gatehouse server', logger },
    { waitMs: config.database.startupWaitMs, signal: options.signal },
  ));
  try {
    if (config.migrateOnStart) {
      const applied = await migrate(store.orm);
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    const stopping = new AbortController();
    const container = createContainer({ config, logger, store, stopping: stopping.signal });
    const app = createApp(container);
    const server = await listen(app, config.port, config.requestTimeoutMs);
    const drain = drainOnShutdown(server);
    const port = (server.address() as AddressInfo).port;
    const url = `http://localhost:${port}`;
    const where = store.kind === 'pglite' ? { dataDir: config.dataDir } : {};
    logger.info({ port, database: store.kind, ...where, publicUrl: config.publicUrl }, `Gatehouse listening on ${url}`);
    const metricsServer = await listenMetrics(container, server);
    await greetIfEmpty(container);
    if (config.migrateOnStart) startJobs(container);
    else await startJobsWhenMigrated(container, stopping.signal);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        logger.info('shutting down: no new connections, finishing in-flight requests');
        stopping.abort();
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        drain.start();
        const timer = setTimeout(() => {
          logger.warn('shutdown timeout reached: closing remaining connections');
          server.closeAllConnections();
        }, config.shutdownTimeoutMs);
        await done;
        clearTimeout(timer);
        // A scrape cut short costs Prometheus one sample; a keep-alive connection must not hold the shutdown.
        metricsServer?.closeAllConnections();
        await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
        await container.outbox.worker.stop();
        await container.purge.stop();
        await container.userCounts.stop();
        await container.events.stop();
        await container.samlMetadata.stop();
        container.mailer.close();
        await store.close();
        logger.info('stopped');
      })());
    return { server, container, url, close, ...(metricsServer ? { metricsUrl: urlOf(metricsServer) } : {}) };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Node's default lets a request trickle in for 5 minutes, checked every 30 s; here a request
 * must have arrived within `requestTimeoutMs` (headers within 60 s at most), checked four times
 * as often, so a client sending a byte every few seconds cannot hold a connection.
 */
function listen(app: ReturnType<typeof createApp>, port: number, requestTimeoutMs: number): Promise<Server> {
  const server = createServer({
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(60_000, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(requestTimeoutMs / 4))),
  }, app);
  return bind(server, port, { settings: 'PORT' });
}

/** The metrics listener, when METRICS_PORT is set; the main server is closed again if it cannot listen. */
async function listenMetrics(container: Container, main: Server): Promise<Server | undefined> {
  const { config, metrics, logger } = container;
  if (!metrics || config.metrics.port === undefined) return undefined;
  const { host, port } = config.metrics;
  try {
    const server = await bind(createMetricsServer(metrics, logger), port, { settings: 'METRICS_PORT, METRICS_HOST', host });
    logger.info({ metricsPort: (server.address() as AddressInfo).port, metricsHost: host }, `metrics served on ${urlOf(server)}/metrics`);
    return server;
  } catch (error) {
    await new Promise((resolve) => main.close(resolve));
    throw error;
  }
}

function bind(server: Server, port: number, listener: { settings: string; host?: string }): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.listen(port, listener.host);
    server.once('listening', () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => reject(['listen', 'getaddrinfo'].includes(error.syscall ?? '') ? new ListenError(port, error, listener) : error));
  });
}

function urlOf(server: Server): string {
  const { address, port, family } = server.address() as AddressInfo;
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

function startJobs(container: Container): void {
  container.outbox.worker.start();
  container.purge.start();
  container.userCounts.start();
  container.events.start();
  container.samlMetadata.start();
}

/** How often a server started with MIGRATE_ON_START=false looks again whether `gatehouse migrate` has run. */
const MIGRATION_POLL_MS = 2_000;

/**
 * With MIGRATE_ON_START=false on a store `gatehouse migrate` has not reached yet, every background job
 * would fail on its missing tables and log an error with its stack, and keep failing: they start once
 * the migrations are applied. Only pending migrations hold them back: with the database away they
 * start and back off as usual.
 */
async function startJobsWhenMigrated(container: Container, stopping: AbortSignal): Promise<void> {
  const first = await container.readiness.check(0);
  if (first.migrations !== 'pending') return startJobs(container);
  container.logger.warn(
    { pending: first.pending },
    'migrations pending: the background jobs (mail, purge, change feed, webhooks, SAML metadata refresh) start once `gatehouse migrate` has run',
  );
  void (async () => {
    while (!stopping.aborted) {
      await sleep(MIGRATION_POLL_MS, undefined, { signal: stopping, ref: false }).catch(() => undefined);
      if (stopping.aborted) return;
      const report = await container.readiness.check(0);
      if (stopping.aborted || report.migrations === 'pending') continue;
      container.logger.info('migrations applied: background jobs started');
      return startJobs(container);
    }
  })();
}

async function greetIfEmpty(container: Container): Promise<void> {
  let orgs: number;
  try {
    orgs = await countOrgs(container.fork());
  } catch (error) {
    // Started with MIGRATE_ON_START=false on a database a migration job has not reached yet: serve
    // (/readyz answers 503 naming what is pending) instead of dying after "listening".
    if (error instanceof TableNotFoundException) container.logger.warn('the store is not migrated: run `gatehouse migrate` (/readyz answers 503 until then)');
    else container.logger.warn({ err: error }, 'could not count the organizations to greet');
    return;
  }
  if (orgs > 0) return;
  const lines = [
    'The store is empty. Create an organization, its first admin and tokens with the CLI:',
    '  npx gatehouse org create --slug acme --name "Acme Corp"',
    '  npx gatehouse user invite --org acme --email you@acme.example --role org_admin',
    '  npx gatehouse token create --org acme --scope admin --name "ops script"',
    '  npx gatehouse token create --org acme --scope scim --name "Okta"',
    `Then: curl -H "Authorization: Bearer <admin token>" ${container.config.publicUrl}/api/orgs/acme`,
  ];
  if (container.store.kind === 'pglite') {
    lines.push('With the embedded database, stop the server (Ctrl-C) before running the CLI: PGlite allows one process.');
  }
  container.logger.info({ hint: lines }, lines[0]);
  if (process.stdout.isTTY) process.stdout.write(`\n${lines.join('\n')}\n\n`);
}
