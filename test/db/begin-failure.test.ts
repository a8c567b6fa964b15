import assert from 'node:assert/strict';
import { openStore, type Store } from '../../src/db/orm.ts';
import { createPostgresDatabase, usingPostgres } from '../support/db.ts';
import { startFaultProxy, throughProxy, type FaultProxy } from '../reliability/support/fault-proxy.ts';

/** Settles with the promise, or rejects after `ms` naming what hung: a hang detector, not a speed check. */
function unlessHung<T>(what: string, promise: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not complete within ${ms} ms (a pooled connection was never given back)`)), ms);
  });
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

/**
 * A transaction whose BEGIN fails (the connection was cut by a database
 * restart the pool had not noticed yet) must give its pooled connection back:
 * kysely's startTransaction() keeps it otherwise (kysely-org/kysely#1990), and
 * a few such blips starve the pool for good.
 */
describe('a transaction whose BEGIN fails', function () {
  this.timeout(60_000);
  let db: { url: string; drop(): Promise<void> } | undefined;
  let proxy: FaultProxy | undefined;
  let store: Store | undefined;

  before(function () {
    if (!usingPostgres) this.skip(); // a connection cut between the pool and PostgreSQL: set DATABASE_URL
  });
  afterEach(async () => {
    if (store) await unlessHung('closing the store', store.close()).catch(() => undefined);
    await proxy?.close();
    await db?.drop();
    store = undefined;
    proxy = undefined;
    db = undefined;
  });

  async function openThroughProxy(poolMax: number): Promise<Store> {
    db = await createPostgresDatabase(process.env.DATABASE_URL!);
    const target = new URL(db.url);
    proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port || 5432) });
    store = await openStore({ databaseUrl: throughProxy(db.url, proxy), dataDir: '', inMemory: true, poolMax });
    return store;
  }

  const selectOne = (s: Store) => s.orm.em.fork().getConnection().execute<Array<{ one: number }>>('select 1 as one');
  const backendPid = async (s: Store) => {
    const [row] = await s.orm.em.fork().getConnection().execute<Array<{ pid: number }>>('select pg_backend_pid() as pid');
    assert.ok(row);
    return row.pid;
  };

  /** After more failures than the pool has connections, a transaction and closing the store still complete. */
  async function assertPoolNotStarved(s: Store): Promise<void> {
    const rows = await unlessHung('a transaction after the failures', s.orm.em.fork().transactional((em) => em.execute<Array<{ one: number }>>('select 1 as one')));
    assert.deepEqual(rows, [{ one: 1 }]);
    await unlessHung('closing the store', s.close());
    store = undefined;
  }

  const failures: Array<[string, (s: Store) => Promise<unknown>]> = [
    ['BEGIN', (s) => {
      proxy!.cutOnNextWrite();
      return s.orm.em.fork().transactional((em) => em.execute('select 1'));
    }],
    ['COMMIT (and the ROLLBACK after it)', (s) => s.orm.em.fork().transactional(async (em) => {
      await em.execute('select 1');
      proxy!.cutOnNextWrite();
    })],
    ['ROLLBACK', (s) => s.orm.em.fork().transactional(async (em) => {
      await em.execute('select 1');
      proxy!.cutOnNextWrite();
      throw new Error('the work failed');
    })],
  ];
  for (const [statement, fail] of failures) {
    it(`gives the connection back when ${statement} fails on a cut connection`, async () => {
      const s = await openThroughProxy(2);
      for (let i = 0; i < 3; i++) {
        await unlessHung('a query', selectOne(s)); // a pooled connection, idle and healthy-looking
        const failure = await unlessHung(`failed transaction ${i + 1}`, fail(s)).then(
          () => undefined,
          (error: unknown) => error,
        );
        assert.ok(failure instanceof Error, 'the transaction fails');
        assert.doesNotMatch(failure.message, /did not complete/);
      }
      await assertPoolNotStarved(s);
    });
  }

  it("reports kysely's own transaction() BEGIN failure as it is (the connection given back once, not twice)", async () => {
    const s = await openThroughProxy(2);
    const kysely = s.orm.em.getConnection().getClient();
    for (let i = 0; i < 3; i++) {
      await unlessHung('a query', selectOne(s));
      proxy!.cutOnNextWrite();
      const failure = await unlessHung(`failed transaction ${i + 1}`, kysely.transaction().execute(async () => undefined)).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(failure instanceof Error, 'the transaction fails');
      assert.doesNotMatch(failure.message, /already been released|did not complete/);
    }
    await assertPoolNotStarved(s);
  });

  it('destroys a live connection whose BEGIN fails instead of pooling it again', async () => {
    const s = await openThroughProxy(1);
    // A pooled connection left inside an aborted transaction: BEGIN on it fails while the connection is fine.
    const pid = await backendPid(s);
    await s.orm.em.fork().getConnection().execute('begin; select 1/0').catch(() => undefined);
    const failure = await unlessHung('the failed transaction', s.orm.em.fork().transactional((em) => em.execute('select 1'))).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.match(String(failure), /current transaction is aborted/);
    assert.notEqual(await unlessHung('a query after it', backendPid(s)), pid, 'the failed connection is not handed out again');
    await assertPoolNotStarved(s);
  });
});
