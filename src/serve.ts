import module from 'node:module';
import type { Config } from './config.ts';
import { ConfigError } from './config.ts';
import { ListenError, startServer } from './server.ts';
import { DatabaseUnreachableError } from './db/orm.ts';
import { DataDirLockedError, DataDirUnusableError } from './db/data-dir-lock.ts';

/**
 * The long-running process: start, then stop cleanly on SIGTERM/SIGINT.
 * Start-up failures we can explain (config, database, DATA_DIR and its lock, the port) print one line, not a stack.
 */
export async function runServe(load: () => Config): Promise<void> {
  let running;
  try {
    running = await startServer(load());
  } catch (error) {
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
  const stop = (signal: string) => {
    running.container.logger.info({ signal }, 'signal received');
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        running.container.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
