import { ConnectionException, DriverException, TableNotFoundException } from '@mikro-orm/core';

/** Why the database cannot be reached, in a word anyone may read: /readyz is public, the driver's message (hosts, users, database names) is only logged. */
export type UnreachableReason =
  | 'connection_refused' | 'timeout' | 'host_not_found' | 'host_unreachable' | 'auth_failed' | 'database_not_found'
  | 'too_many_connections' | 'not_accepting_connections' | 'connection_lost' | 'unknown';

/**
 * What an error says about the database: `away` when it cannot be reached for now (every surface
 * answers 503 + Retry-After), and the word /readyz gives. A login refused (28P01) or a database that
 * does not exist has a reason but is no outage: the server is there, the configuration is wrong.
 */
interface Sign {
  away: boolean;
  reason?: UnreachableReason;
}

const away = (reason?: UnreachableReason): Sign => ({ away: true, ...(reason ? { reason } : {}) });

const BY_CODE: Record<string, Sign> = {
  ECONNREFUSED: away('connection_refused'),
  ETIMEDOUT: away('timeout'),
  ENOTFOUND: away('host_not_found'),
  EAI_AGAIN: away('host_not_found'),
  EHOSTUNREACH: away('host_unreachable'),
  ENETUNREACH: away('host_unreachable'),
  ECONNRESET: away('connection_lost'),
  EPIPE: away('connection_lost'),
  // admin shutdown, crash shutdown, cannot connect now (starting up, in recovery); connection failures; too many connections
  '57P01': away('connection_lost'),
  '57P02': away('connection_lost'),
  '57P03': away('not_accepting_connections'),
  '08006': away('connection_lost'),
  '08001': away(),
  '08003': away('connection_lost'),
  '08004': away(),
  '53300': away('too_many_connections'),
  '28P01': { away: false, reason: 'auth_failed' },
  '28000': { away: false, reason: 'auth_failed' },
  '3D000': { away: false, reason: 'database_not_found' },
};

/**
 * What the driver or the server says in words, in the order a reason is read. The server refuses some
 * connections under a code other queries also use (55000 for `allow_connections false`); a timeout or a
 * connection error other than connecting is a reason, not an outage (a statement timeout is a query refused).
 */
const BY_MESSAGE: Array<[RegExp, Sign]> = [
  [/too many clients already|remaining connection slots are reserved/i, away('too_many_connections')],
  [/is not currently accepting connections/i, away('not_accepting_connections')],
  [/connection timeout|timeout exceeded when trying to connect/i, away('timeout')],
  [/timeout/i, { away: false, reason: 'timeout' }],
  [/Connection terminated|Client has encountered a connection error/i, away('connection_lost')],
  [/connection error/i, { away: false, reason: 'connection_lost' }],
];

const codeOf = (error: unknown): Sign | undefined => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? BY_CODE[code] : undefined;
};
const messageOf = (error: unknown): string => (error as Error).message ?? '';

/**
 * Whether a thrown value means the database cannot be reached (refused, reset,
 * terminated, timed out connecting), as opposed to a query it refused. Every
 * surface maps such errors to 503 + Retry-After (admin API, SCIM), so this
 * lives below them.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionException) return true;
  return causes(error).some((current) => codeOf(current)?.away || BY_MESSAGE.some(([pattern, sign]) => sign.away && pattern.test(messageOf(current))));
}

/** The word /readyz gives for an error: by its code, else by its message, on the error or what it wraps. */
export function unreachableReason(error: unknown): UnreachableReason {
  for (const current of causes(error)) {
    const reason = codeOf(current)?.reason ?? BY_MESSAGE.find(([pattern]) => pattern.test(messageOf(current)))?.[1].reason;
    if (reason) return reason;
  }
  return 'unknown';
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
