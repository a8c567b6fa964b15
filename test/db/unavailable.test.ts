import assert from 'node:assert/strict';
import pg from 'pg';
import { isDatabaseUnavailable, unreachableReason } from '../../src/db/unavailable.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';

/** Which failures are "the database is away" (503 + Retry-After on every surface), not a query the database refused (a bug: 500). */
describe('isDatabaseUnavailable', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

  const away: Array<[string, Error]> = [
    ['refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['name lookup failing for now', pgError('EAI_AGAIN', 'getaddrinfo EAI_AGAIN db')],
    ['host unreachable', pgError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.5:5432')],
    ['crash shutdown', pgError('57P02', 'terminating connection because of crash of another server process')],
    ['too many connections', pgError('53300', 'sorry, too many clients already')],
    ['a database not accepting connections (55000)', pgError('55000', 'database "gatehouse" is not currently accepting connections')],
    ['wrapped in a cause', Object.assign(new Error('query failed'), { cause: pgError('57P01', 'terminating connection due to administrator command') })],
  ];
  for (const [name, error] of away) it(`counts ${name} as the database being away`, () => assert.equal(isDatabaseUnavailable(error), true));

  const refused: Array<[string, Error]> = [
    ['a syntax error', pgError('42601', 'syntax error at or near "selec"')],
    ['another 55000', pgError('55000', 'currval of sequence "s" is not yet defined in this session')],
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
  ];
  for (const [name, error] of refused) it(`counts ${name} as a refused query, not an outage`, () => assert.equal(isDatabaseUnavailable(error), false));

  (usingPostgres ? it : it.skip)('counts a real connection to a database that no longer allows connections as away', async () => {
    const db = await createPostgresDatabase(process.env.DATABASE_URL!);
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`alter database "${new URL(db.url).pathname.slice(1)}" allow_connections false`);
      const client = new pg.Client({ connectionString: db.url });
      const error = await client.connect().then(() => undefined, (e: unknown) => e);
      await client.end().catch(() => undefined);
      assert.ok(error, 'the connection was refused');
      assert.equal(isDatabaseUnavailable(error), true, String(error));
    } finally {
      await admin.query(`alter database "${new URL(db.url).pathname.slice(1)}" allow_connections true`);
      await admin.end();
      await db.drop();
    }
  });
});

/** /readyz is public: it says why the database is away in a fixed word, never the driver's message (hosts, users, database names). */
describe('unreachableReason', () => {
  const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

  const cases: Array<[string, Error]> = [
    ['connection_refused', pgError('ECONNREFUSED', 'connect ECONNREFUSED 10.1.2.3:5432')],
    ['timeout', pgError('ETIMEDOUT', 'connect ETIMEDOUT 10.1.2.3:5432')],
    ['timeout', new Error('timeout exceeded when trying to connect')],
    ['host_not_found', pgError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal.example')],
    ['host_unreachable', pgError('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.5:5432')],
    ['auth_failed', pgError('28P01', 'password authentication failed for user "gatehouse_prod"')],
    ['auth_failed', pgError('28000', 'role "gatehouse_prod" is not permitted to log in')],
    ['database_not_found', pgError('3D000', 'database "gatehouse_prod" does not exist')],
    ['too_many_connections', pgError('53300', 'sorry, too many clients already')],
    ['not_accepting_connections', pgError('57P03', 'the database system is starting up')],
    ['not_accepting_connections', pgError('55000', 'database "gatehouse" is not currently accepting connections')],
    ['connection_lost', new Error('Connection terminated unexpectedly')],
    ['connection_lost', Object.assign(new Error('query failed'), { cause: pgError('57P01', 'terminating connection due to administrator command') })],
    ['unknown', new Error('something else on db.internal.example')],
  ];
  for (const [reason, error] of cases) it(`says ${reason} for "${error.message}"`, () => assert.equal(unreachableReason(error), reason));
});
