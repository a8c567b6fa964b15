import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseUnreachableError, openStore, redactUrl, type Store, type StoreOptions } from './orm.ts';
import { isDatabaseUnavailable, unreachableReason } from './unavailable.ts';

/** The first pause between attempts, doubled after each, up to the last. */
const FIRST_PAUSE_MS = 250;
const LONGEST_PAUSE_MS = 5_000;

/** A signal (SIGTERM, SIGINT) arrived while start-up waited between attempts: nothing was opened. */
export class StartupStoppedError extends Error {
  constructor() {
    super('stopped while waiting for the database');
    this.name = 'StartupStoppedError';
  }
}

export interface WaitOptions {
  /** How long to keep trying after the first failure (DATABASE_STARTUP_WAIT_MS); 0 fails at once. */
  waitMs: number;
  /** Aborted by a signal: the pause between attempts ends at once. */
  signal?: AbortSignal | undefined;
  /** Told of each failed attempt before the pause (default: a `database not reachable yet: retrying` warning in the log). */
  retrying?: ((retry: Retry) => void) | undefined;
}

/** One failed attempt that will be tried again. */
export interface Retry {
  attempt: number;
  /** The `/readyz` word: connection_refused, host_not_found, starting_up… */
  reason: string;
  /** The driver's code (ECONNREFUSED, 57P03), when it gave one. */
  code?: string;
  retryInMs: number;
  /** The URL with its password redacted. */
  database: string;
}

/**
 * Opens the store, retrying a PostgreSQL that cannot be reached yet — refused, not resolvable, starting
 * up, timing out: it starts with Gatehouse under docker-compose or Kubernetes — for up to `waitMs`, with
 * back-off and one warning per attempt. A login refused or a database that does not exist is a configuration
 * error, not a start-order race: it fails at once, as does anything else. PGlite has no such race.
 */
export async function openStoreWaiting(options: StoreOptions, wait: WaitOptions): Promise<Store> {
  if (!options.databaseUrl || wait.waitMs <= 0) return openStore(options);
  const deadline = Date.now() + wait.waitMs;
  let pause = FIRST_PAUSE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openStore(options);
    } catch (error) {
      if (!(error instanceof DatabaseUnreachableError) || !worthRetrying(error.cause)) throw error;
      if (wait.signal?.aborted) throw new StartupStoppedError();
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new DatabaseUnreachableError(redactUrl(options.databaseUrl), error.cause, `still unreachable after ${attempt} attempts (DATABASE_STARTUP_WAIT_MS: ${wait.waitMs} ms)`);
      }
      const retryInMs = Math.min(pause, left);
      const code = (error.cause as { code?: unknown } | undefined)?.code;
      const retry: Retry = { attempt, reason: unreachableReason(error.cause), ...(typeof code === 'string' ? { code } : {}), retryInMs, database: redactUrl(options.databaseUrl) };
      if (wait.retrying) wait.retrying(retry);
      else options.logger?.warn(retry, 'database not reachable yet: retrying');
      await sleep(retryInMs, undefined, wait.signal ? { signal: wait.signal } : {}).catch(() => undefined);
      if (wait.signal?.aborted) throw new StartupStoppedError();
      pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
    }
  }
}

/** Only a database away for now; a reason the driver gives no word for is not guessed to be one. */
function worthRetrying(cause: unknown): boolean {
  const reason = unreachableReason(cause);
  return reason !== 'auth_failed' && reason !== 'database_not_found' && reason !== 'unknown' && isDatabaseUnavailable(cause);
}
