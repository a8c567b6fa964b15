/**
 * A pooled PostgreSQL connection whose BEGIN (or ROLLBACK) fails is destroyed
 * instead of being kept forever.
 *
 * MikroORM starts transactions with kysely's `startTransaction().execute()`,
 * which takes a connection from the pg pool and then runs BEGIN; when BEGIN
 * throws (the database restarted and the pooled connection is cut), kysely
 * never gives the connection back, and the same happens when ROLLBACK fails
 * after a failed COMMIT (https://github.com/kysely-org/kysely/issues/1990,
 * open). Each database blip then costs the pool a connection for good: it
 * starves, every request waits, and `orm.close()` never returns.
 *
 * The driver below wraps the PostgresDriver MikroORM builds (its pool, type
 * parsers and options are untouched) and, when BEGIN or ROLLBACK fails,
 * releases the pg client *with the error*: pg-pool then closes and forgets it,
 * so it can never be handed to anyone else. Releasing it healthy would be far
 * worse than the leak: a connection kysely still holds (and may yet roll back
 * on) would go to another request. A destroyed client cannot: whoever still
 * holds it only gets "not queryable" errors, and the transaction it carried is
 * gone with the session. Kysely's own later `releaseConnection` for it (its
 * `transaction().execute()` path does release after a failed BEGIN) becomes a
 * no-op, as pg-pool throws on a second release. A failed COMMIT is left alone:
 * MikroORM rolls back next, and the COMMIT's error (a serialization failure,
 * say) must reach the caller as it is.
 *
 * To release the client we need it, and kysely keeps it private in its
 * connection. The pool's clients are a `pg.Client` subclass that notes which
 * client a statement is handed to; kysely hands BEGIN and ROLLBACK to the
 * client synchronously inside the driver call, so the client noted right after
 * the call is the connection's (test/db/begin-failure.test.ts checks it on real
 * PostgreSQL). Should a kysely upgrade change that, nothing is noted and the
 * connection is left as kysely leaves it: the old leak, never a wrong release.
 */
import pg from 'pg';
import { PostgreSqlConnection, PostgreSqlDriver, type Configuration } from '@mikro-orm/postgresql';
import type { DatabaseConnection, Driver, PostgresDialect, QueryCompiler, TransactionSettings } from 'kysely';

type CompileQuery = QueryCompiler['compileQuery'];

/** The client the last statement was handed to; read synchronously right after handing one over. */
let lastQueried: pg.PoolClient | undefined;

/** Runs `hand`, which must hand its statement to a client before it returns, and says which client that was. */
function noting<T>(hand: () => T): { result: T; client: pg.PoolClient | undefined } {
  lastQueried = undefined;
  try {
    return { result: hand(), client: lastQueried };
  } finally {
    lastQueried = undefined;
  }
}

const note = (client: pg.PoolClient) => {
  lastQueried = client;
};

class NotingClient extends pg.Client {}
NotingClient.prototype.query = function (this: pg.PoolClient, ...args: unknown[]) {
  note(this);
  // pg.Client's query as it is now, not as it was when this module loaded: whoever wraps it later is still called.
  return (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
} as pg.Client['query'];

class DiscardingDriver implements Driver {
  readonly #inner: Driver;
  readonly #discarded = new WeakSet<DatabaseConnection>();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(...args: Parameters<Driver['init']>) {
    return this.#inner.init(...args);
  }
  acquireConnection(...args: Parameters<Driver['acquireConnection']>) {
    return this.#inner.acquireConnection(...args);
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return this.#discardOnFailure(connection, () => this.#inner.beginTransaction(connection, settings));
  }
  commitTransaction(connection: DatabaseConnection) {
    return this.#inner.commitTransaction(connection);
  }
  rollbackTransaction(connection: DatabaseConnection) {
    return this.#discardOnFailure(connection, () => this.#inner.rollbackTransaction(connection));
  }
  savepoint(connection: DatabaseConnection, name: string, compile: CompileQuery) {
    return this.#inner.savepoint!(connection, name, compile);
  }
  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: CompileQuery) {
    return this.#inner.rollbackToSavepoint!(connection, name, compile);
  }
  releaseSavepoint(connection: DatabaseConnection, name: string, compile: CompileQuery) {
    return this.#inner.releaseSavepoint!(connection, name, compile);
  }
  async releaseConnection(...args: Parameters<Driver['releaseConnection']>) {
    if (this.#discarded.has(args[0])) return;
    await this.#inner.releaseConnection(...args);
  }
  destroy(...args: Parameters<Driver['destroy']>) {
    return this.#inner.destroy(...args);
  }

  async #discardOnFailure(connection: DatabaseConnection, run: () => Promise<void>): Promise<void> {
    const { result: pending, client } = noting(run);
    try {
      await pending;
    } catch (error) {
      if (client && !this.#discarded.has(connection)) {
        this.#discarded.add(connection);
        client.release(error instanceof Error ? error : new Error(String(error)));
      }
      throw error;
    }
  }
}

/** MikroORM's PostgreSQL connection, with its kysely driver wrapped as above. */
class DiscardingPostgreSqlConnection extends PostgreSqlConnection {
  override createKyselyDialect(overrides: pg.PoolConfig): PostgresDialect {
    const dialect = super.createKyselyDialect({ ...overrides, Client: NotingClient });
    const createDriver = dialect.createDriver.bind(dialect);
    dialect.createDriver = () => new DiscardingDriver(createDriver());
    return dialect;
  }
}

/** `driver` for MikroORM.init: PostgreSqlDriver on the connection above (no read replicas are configured). */
export class DiscardingPostgreSqlDriver extends PostgreSqlDriver {
  constructor(config: Configuration) {
    super(config);
    (this as unknown as { connection: PostgreSqlConnection }).connection = new DiscardingPostgreSqlConnection(this.config);
  }
}
