import type { Express } from 'express';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/lib/logger.ts';
import { createContainer, type Container } from '../../src/container.ts';
import { createApp } from '../../src/app.ts';
import { createOrg } from '../../src/directory/orgs.ts';
import { createApiToken } from '../../src/directory/tokens.ts';
import type { Actor } from '../../src/directory/scope.ts';
import type { TokenScope } from '../../src/db/entities/index.ts';
import type { Clock } from '../../src/lib/clock.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';

export const testActor: Actor = { type: 'system', label: 'test' };

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({ env: { NODE_ENV: 'test' }, overrides: { port: 0, dataDir: '/nonexistent', publicUrl: 'https://gatehouse.test', ...overrides } });
}

export interface TestApp {
  app: Express;
  container: Container;
  db: TestDatabase;
  close(): Promise<void>;
}

/** A migrated fresh database, a container and the Express app over it. */
export async function createTestApp(options: { config?: Record<string, unknown>; clock?: Clock; logger?: Logger } = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = testConfig(options.config);
  const container = createContainer({
    config,
    logger: options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    store: db.store,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { app: createApp(container), container, db, close: () => db.close() };
}

export interface SeededOrg {
  id: string;
  slug: string;
  tokens: Record<TokenScope, string>;
}

/** An org with one admin and one SCIM token, created through the domain functions. */
export async function seedOrg(container: Container, slug: string): Promise<SeededOrg> {
  const org = await createOrg(container.fork(), testActor, { slug, name: `${slug} inc` });
  const scope = { orgId: org.id, orgSlug: org.slug, actor: testActor };
  const admin = await createApiToken(container.fork(), scope, { scope: 'admin', name: `${slug} admin` });
  const scim = await createApiToken(container.fork(), scope, { scope: 'scim', name: `${slug} idp` });
  return { id: org.id, slug: org.slug, tokens: { admin: admin.token, scim: scim.token } };
}
