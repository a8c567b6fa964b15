import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { openStore } from '../../src/db/orm.ts';
import { migrate } from '../../src/db/migrate.ts';
import { createOrg } from '../../src/directory/orgs.ts';
import { createApiToken } from '../../src/directory/tokens.ts';
import { createUser } from '../../src/directory/users.ts';
import { emptyUserFields } from '../../src/directory/user-record.ts';
import { hashPassword, storePasswordHash } from '../../src/directory/credentials.ts';
import type { Scope } from '../../src/directory/scope.ts';
import { benchDatabaseUrl } from '../seed.ts';
import { recreateDatabase } from '../support.ts';
import { spawnServer, startFlags } from '../server.ts';

/**
 * The soak's Gatehouse: a fresh database (PostgreSQL when DATABASE_URL is set, a database
 * created for this run and dropped after it; else PGlite in a temporary DATA_DIR), one org
 * with a SCIM and an admin token and a few people with passwords, then `node src/main.ts`
 * as a child process with the flags `npm start` uses, on 127.0.0.1.
 */

export const ORG = 'contoso';

export interface Person {
  email: string;
  password: string;
}

export interface Prepared {
  kind: 'postgresql' | 'pglite';
  /** The environment the child runs with: database, data dir, config. */
  env: NodeJS.ProcessEnv;
  config: Config;
  scimToken: string;
  adminToken: string;
  people: Person[];
  describe: string;
  cleanup(): Promise<void>;
  /** ANALYZE the soak's database when its server runs without autovacuum; true when it did. */
  analyzeIfNoAutovacuum(): Promise<boolean>;
}

export async function prepare(peopleCount: number): Promise<Prepared> {
  const adminUrl = process.env.DATABASE_URL;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-soak-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    SESSION_SECRET: randomBytes(24).toString('hex'),
    // Sign-ins arrive "through a load balancer" from many addresses (X-Forwarded-For), so the
    // per-IP sign-in throttle (auth.rateLimit) sees people, not the one loopback address.
    TRUST_PROXY: 'loopback',
  };
  // The run proves the default SCIM throttle: an inherited override would hide it.
  delete env.SCIM_RATE_LIMIT_RPS;
  delete env.SCIM_RATE_LIMIT_BURST;
  let databaseUrl: string | undefined;
  let describe = 'PGlite (embedded, temporary DATA_DIR)';
  if (adminUrl) {
    const name = `gatehouse_soak_${process.pid}`;
    await recreateDatabase(adminUrl, name);
    databaseUrl = benchDatabaseUrl(adminUrl, name);
    env.DATABASE_URL = databaseUrl;
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    describe = `${(await db.query<{ v: string }>(`select split_part(version(), ' on ', 1) as v`)).rows[0]!.v} (database ${name}, dropped at the end)`;
    await db.end();
  } else {
    delete env.DATABASE_URL;
  }
  const cleanup = async () => {
    rmSync(dataDir, { recursive: true, force: true });
    // SOAK_KEEP_DATABASE=1 keeps it, to look at its plans afterwards (EXPLAIN on the data the run made).
    if (adminUrl && process.env.SOAK_KEEP_DATABASE === '1') process.stderr.write(`soak: kept database gatehouse_soak_${process.pid}\n`);
    else if (adminUrl) {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`drop database if exists "gatehouse_soak_${process.pid}" with (force)`);
      } finally {
        await admin.end();
      }
    }
  };
  try {
    const config = loadConfig({ env });
    const seeded = await seedOrg(databaseUrl, dataDir, config, peopleCount);
    return { kind: adminUrl ? 'postgresql' : 'pglite', env, config, describe, cleanup, analyzeIfNoAutovacuum: () => analyzeIfNoAutovacuum(databaseUrl), ...seeded };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** Through the domain, before the server starts (PGlite allows one process at a time). */
async function seedOrg(databaseUrl: string | undefined, dataDir: string, config: Config, peopleCount: number) {
  const store = await openStore({ databaseUrl, dataDir, poolMax: 2, holder: 'bench/soak' });
  try {
    await migrate(store.orm);
    const actor = { type: 'cli' as const, label: 'bench soak' };
    const org = await createOrg(store.orm.em.fork(), actor, { slug: ORG, name: 'Contoso' });
    const scope: Scope = { orgId: org.id, orgSlug: org.slug, actor };
    const scim = await createApiToken(store.orm.em.fork(), scope, { scope: 'scim', name: 'entra' });
    const admin = await createApiToken(store.orm.em.fork(), scope, { scope: 'admin', name: 'soak exports' });
    const people: Person[] = [];
    for (let n = 1; n <= peopleCount; n++) {
      const email = `person${String(n).padStart(2, '0')}@staff.contoso.example`;
      const fields = emptyUserFields(email);
      fields.emails = [{ value: email, type: 'work', primary: true }];
      fields.givenName = 'Person';
      fields.familyName = String(n);
      await createUser(store.orm.em.fork(), scope, fields, { source: 'admin' });
      const password = `Soak-${randomBytes(9).toString('base64url')}-${n}`;
      await storePasswordHash(store.orm.em.fork(), email, await hashPassword(password, config.auth.scrypt), new Date());
      people.push({ email, password });
    }
    return { scimToken: scim.token, adminToken: admin.token, people };
  } finally {
    await store.close();
  }
}

export interface Server {
  child: ChildProcess;
  baseUrl: string;
  tail: string[];
  /** Log lines at level error or above (pino level ≥ 50). */
  errorLines: string[];
  stop(): Promise<number | null>;
}

export async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const errorLines: string[] = [];
  const spawned = await spawnServer({
    name: 'Gatehouse', script: 'src/main.ts', flags: startFlags(), env, readyPath: '/readyz', timeoutMs: 120_000, tailLines: 30,
    onLine: (line) => {
      if (/"level":\s*(5\d|60)\b/.test(line) && errorLines.length < 20) errorLines.push(line);
    },
  });
  return { ...spawned, errorLines };
}


/**
 * Production PostgreSQL runs autovacuum, which analyzes a table once a tenth
 * of it changed. Some servers (this project's CI machines among them) run with
 * it off: a table filled by the initial cycle then has no statistics, and the
 * planner walks a whole org's index for a one-row lookup (11 ms instead of
 * 0.08 ms at 20,000 users). The soak then does what autovacuum would have done,
 * and says so. Returns whether it did.
 */
async function analyzeIfNoAutovacuum(databaseUrl: string | undefined): Promise<boolean> {
  if (!databaseUrl) return false;
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const on = (await db.query<{ autovacuum: string }>('show autovacuum')).rows[0]!.autovacuum === 'on';
    if (on) return false;
    await db.query('analyze');
    return true;
  } finally {
    await db.end();
  }
}

