import { createContainer, type Container } from '../../../src/container.ts';
import { createLogger } from '../../../src/lib/logger.ts';
import { seedOrg, testConfig, type SeededOrg } from '../../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../../support/db.ts';
import type { Json } from './http.ts';

/**
 * One fresh, migrated PostgreSQL database that several Gatehouse processes
 * share, plus a container in the test process to seed it through the domain
 * functions and to count rows with SQL.
 */
export interface SharedDatabase {
  url: string;
  container: Container;
  seedOrg(slug: string): Promise<SeededOrg>;
  sql(text: string, params?: unknown[]): Promise<Json[]>;
  count(text: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

export async function createSharedDatabase(): Promise<SharedDatabase> {
  const db: TestDatabase = await createTestDatabase();
  const container = createContainer({ config: testConfig({ databaseUrl: db.url }), logger: createLogger('silent'), store: db.store });
  const sql = async (text: string, params: unknown[] = []) => (await container.fork().execute(text, params)) as Json[];
  return {
    url: db.url!,
    container,
    seedOrg: (slug) => seedOrg(container, slug),
    sql,
    count: async (text, params = []) => Number((await sql(text, params))[0]!.n),
    close: () => db.close(),
  };
}
