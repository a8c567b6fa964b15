import { ConnectionException, DriverException, TableNotFoundException } from '@mikro-orm/core';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  // admin shutdown, crash shutdown, cannot connect now (starting up, in recovery); connection failures; too many connections
  '57P01', '57P02', '57P03', '08006', '08001', '08003', '08004', '53300',
]);

/** Said by the server when it refuses a connection under a code other queries also use (55000 for `allow_connections false`). */
const REFUSED_MESSAGES = /is not currently accepting connections|too many clients already|remaining connection slots are reserved/i;

/**
 * Whether a thrown value means the database cannot be reached (refused, reset,
 * terminated, timed out connecting), as opposed to a query it refused. Every
 * surface maps such errors to 503 + Retry-After (admin API, SCIM), so this
 * lives below them.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionException) return true;
  return causes(error).some((current) => {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    const message = (current as Error).message ?? '';
    return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message) || REFUSED_MESSAGES.test(message);
  });
}

/** The error and what it wraps (the driver's `previous`, else `cause`), five deep at most. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 5;) {
    chain.push(current);
    current = current instanceof DriverException && (current as { previous?: unknown }).previous ? (current as { previous?: unknown }).previous : (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** What a surface answers while the schema is missing: the operator's next step. */
export const SCHEMA_MISSING_MESSAGE = 'The database is not migrated yet: run "gatehouse migrate" (or start with MIGRATE_ON_START=true), then retry';

/**
 * Whether a query failed on a table that does not exist (42P01): a server started with
 * MIGRATE_ON_START=false before `gatehouse migrate` ran. /readyz already says so; requests
 * that come anyway get a retryable 503 naming the fix rather than a 500.
 */
export function isSchemaMissing(error: unknown): boolean {
  return causes(error).some((current) => current instanceof TableNotFoundException || (current as { code?: unknown }).code === '42P01');
}
