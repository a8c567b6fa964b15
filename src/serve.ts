import module from 'node:module';
import type { Config } from './config.ts';
import { ConfigError } from './config.ts';
import { ListenError, startServer } from './server.ts';
import { DatabaseUnreachableError } from './db/orm.ts';
import { StartupStoppedError } from './db/startup-wait.ts';
import { DataDirLockedError, DataDirUnusableError } from './db/data-dir-lock.ts';
import { createStdoutLogger, type LogOutput } from './lib/logger.ts';

/** How long an exit waits for the last log lines to reach stdout. */
const LOG_CLOSE_MS = 1000;

/**
 * The long-running process: start, then stop cleanly on SIGTERM/SIGINT.
 * Start-up failures we can explain (config, database, DATA_DIR and its lock, the port) print one line, not a stack.
 * A signal during start-up (waiting for the database, migrating) is heard at once and stops the server as soon
 * as start-up is through: a migration is not cut in the middle, and the process exits 0 with its log lines.
 */
export async function runServe(load: () => Config): Promise<void> {
  let running;
  let output: LogOutput | undefined;
  let limit: LastResort | undefined;
  let signalled: string | undefined;
  // Ends a wait for the database between attempts; a step under way (a connection attempt, a migration) finishes first.
  const startup = new AbortController();
  let heard = (signal: string) => {
    signalled = signal;
    startup.abort();
    output?.logger.info({ signal }, 'signal received during start-up: stopping once it is through');
    limit?.arm();
  };
  process.once('SIGTERM', () => heard('SIGTERM'));
  process.once('SIGINT', () => heard('SIGINT'));
  try {
    const config = load();
    output = createStdoutLogger(config.logLevel);
    limit = lastResort(output, config);
    running = await startServer(config, { logger: output.logger, signal: startup.signal });
  } catch (error) {
    if (error instanceof StartupStoppedError && output) {
      output.logger.info(error.message);
      return exitAfterLog(output, 0);
    }
    await output?.close(LOG_CLOSE_MS);
    if (
      error instanceof ConfigError ||
      error instanceof DatabaseUnreachableError ||
      error instanceof DataDirLockedError ||
      error instanceof DataDirUnusableError ||
      error instanceof ListenError
    ) {
      process.stderr.write(`gatehouse: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  // Everything a start loads is in the compile cache now (bin/compile-cache.js), not only at a clean exit.
  module.flushCompileCache();
  const { logger } = running.container;
  const log = output;
  const last = limit;
  const shutDown = () => {
    last.arm();
    running.close().then(
      () => exitAfterLog(log, 0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exitAfterLog(log, 1);
      },
    );
  };
  if (signalled) return shutDown();
  heard = (signal: string) => {
    logger.info({ signal }, 'signal received');
    shutDown();
  };
}

interface LastResort {
  /** Starts the clock (once): the process exits with status 1 when it runs out. */
  arm(): void;
}

/**
 * A last resort for a step that never ends (each has its own bound: requests and webhook deliveries
 * shutdownTimeoutMs each; start-up the database's connect timeout), so that an orchestrator's SIGTERM
 * is always answered by an exit.
 */
function lastResort(log: LogOutput, config: Config): LastResort {
  let armed = false;
  return {
    arm() {
      if (armed) return;
      armed = true;
      const limitMs = 2 * config.shutdownTimeoutMs + 5_000;
      setTimeout(() => {
        log.logger.error({ limitMs }, 'shutdown did not finish in time: exiting');
        exitAfterLog(log, 1);
      }, limitMs).unref();
    },
  };
}

function exitAfterLog(log: LogOutput, code: number): void {
  void log.close(LOG_CLOSE_MS).then(() => process.exit(code));
}
