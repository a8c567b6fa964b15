import module from 'node:module';
import type { Config } from './config.ts';
import { ConfigError } from './config.ts';
import { ListenError, startServer } from './server.ts';
import { DatabaseUnreachableError } from './db/orm.ts';
import { DataDirLockedError, DataDirUnusableError } from './db/data-dir-lock.ts';
import { createStdoutLogger, type LogOutput } from './lib/logger.ts';

/** How long an exit waits for the last log lines to reach stdout. */
const LOG_CLOSE_MS = 1000;

/**
 * The long-running process: start, then stop cleanly on SIGTERM/SIGINT.
 * Start-up failures we can explain (config, database, DATA_DIR and its lock, the port) print one line, not a stack.
 */
export async function runServe(load: () => Config): Promise<void> {
  let running;
  let output: LogOutput | undefined;
  try {
    const config = load();
    output = createStdoutLogger(config.logLevel);
    running = await startServer(config, { logger: output.logger });
  } catch (error) {
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
  const exit = (code: number) => void log.close(LOG_CLOSE_MS).then(() => process.exit(code));
  const stop = (signal: string) => {
    logger.info({ signal }, 'signal received');
    // A last resort for a step that never ends (each has its own bound: requests and webhook deliveries
    // shutdownTimeoutMs each), so that an orchestrator's SIGTERM is always answered by an exit.
    const limit = 2 * running.container.config.shutdownTimeoutMs + 5_000;
    setTimeout(() => {
      logger.error({ limitMs: limit }, 'shutdown did not finish in time: exiting');
      exit(1);
    }, limit).unref();
    running.close().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
