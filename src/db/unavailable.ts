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

/** Why the database cannot be reached, in a word anyone may read: /readyz is public, the driver's message (hosts, users, database names) is only logged. */
export type UnreachableReason =
  | 'connection_refused' | 'timeout' | 'host_not_found' | 'host_unreachable' | 'auth_failed' | 'database_not_found'
  | 'too_many_connections' | 'not_accepting_connections' | 'connection_lost' | 'unknown';

const REASON_BY_CODE: Record<string, UnreachableReason> = {
  ECONNREFUSED: 'connection_refused',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'host_not_found',
  EAI_AGAIN: 'host_not_found',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'host_unreachable',
  '28P01': 'auth_failed',
  '28000': 'auth_failed',
  '3D000': 'database_not_found',
  '53300': 'too_many_connections',
  '57P03': 'not_accepting_connections',
  ECONNRESET: 'connection_lost',
  EPIPE: 'connection_lost',
  '57P01': 'connection_lost',
  '57P02': 'connection_lost',
  '08006': 'connection_lost',
  '08003': 'connection_lost',
};

export function unreachableReason(error: unknown): UnreachableReason {
  for (const current of causes(error)) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && REASON_BY_CODE[code]) return REASON_BY_CODE[code];
    const message = (current as Error).message ?? '';
    if (/too many clients already|remaining connection slots are reserved/i.test(message)) return 'too_many_connections';
    if (/is not currently accepting connections/i.test(message)) return 'not_accepting_connections';
    if (/timeout/i.test(message)) return 'timeout';
    if (/Connection terminated|connection error/i.test(message)) return 'connection_lost';
  }
  return 'unknown';
}
