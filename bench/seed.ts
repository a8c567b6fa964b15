import pg from 'pg';
import { openStore } from '../src/db/orm.ts';
import { migrate } from '../src/db/migrate.ts';
import { createOrg } from '../src/directory/orgs.ts';
import { createApiToken } from '../src/directory/tokens.ts';
import { uuidv7, uuidv7Generator } from '../src/lib/ids.ts';
import type { Actor } from '../src/directory/scope.ts';
import { recreateDatabase } from './support.ts';

/**
 * The benchmark's data set: a fresh `gatehouse_bench` database next to the one named by
 * BENCH_DATABASE_URL, the real migrations, one org with a SCIM token, 100,000 users,
 * 2,000 groups and 5 memberships per user (500,000 rows). Bulk SQL, not the domain:
 * the point is a realistic table, fast; the org and token go through the domain so the
 * token row is exactly what Gatehouse writes.
 */

export const USERS = 100_000;
export const GROUPS = 2_000;
export const GROUPS_PER_USER = 5;
const BATCH = 25_000;
/** Seeded users are spread over the past year, one every 5 minutes, oldest first. */
const STEP_MS = 300_000;

export interface Seeded {
  databaseUrl: string;
  orgId: string;
  token: string;
  seconds: number;
}

export const defaultAdminUrl = 'postgres://postgres@127.0.0.1:5432/test';

export function userName(n: number): string {
  return `user${String(n).padStart(6, '0')}@bench.example`;
}

export function benchDatabaseUrl(adminUrl: string, name = 'gatehouse_bench'): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A fresh, migrated database `name` (next to BENCH_DATABASE_URL's) with one org
 * and a SCIM and an admin token: the webhook benchmarks' small world.
 */
export async function seedEmptyOrg(name: string, label: string): Promise<{ databaseUrl: string; scim: string; admin: string }> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? defaultAdminUrl;
  const databaseUrl = benchDatabaseUrl(adminUrl, name);
  await recreateDatabase(adminUrl, name);
  const store = await openStore({ databaseUrl, dataDir: '' });
  try {
    await migrate(store.orm);
    const actor = { type: 'system' as const, label };
    const org = await createOrg(store.orm.em.fork(), actor, { slug: label, name: label });
    const scope = { orgId: org.id, orgSlug: org.slug, actor };
    const scim = (await createApiToken(store.orm.em.fork(), scope, { scope: 'scim', name: `${label} idp` })).token;
    const admin = (await createApiToken(store.orm.em.fork(), scope, { scope: 'admin', name: `${label} admin` })).token;
    return { databaseUrl, scim, admin };
  } finally {
    await store.close();
  }
}

async function createOrgAndToken(databaseUrl: string): Promise<{ orgId: string; token: string }> {
  const store = await openStore({ databaseUrl, dataDir: './data', poolMax: 2 });
  try {
    await migrate(store.orm);
    const actor: Actor = { type: 'cli', label: 'bench' };
    const org = await createOrg(store.orm.em.fork(), actor, { slug: 'bench', name: 'Bench' });
    const { token } = await createApiToken(
      store.orm.em.fork(),
      { orgId: org.id, orgSlug: org.slug, actor },
      { scope: 'scim', name: 'bench' },
    );
    return { orgId: org.id, token };
  } finally {
    await store.close();
  }
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Donald', 'Frances', 'Niklaus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Knuth', 'Allen', 'Wirth'];

async function insertUsers(db: pg.Client, orgId: string): Promise<void> {
  const start = Date.now() - USERS * STEP_MS;
  // A generator of its own: the process's has already made ids for now, and would stamp these backdated
  // ones with its last time to stay increasing (RFC 9562 §6.2); these carry the age their created_at says.
  const aged = uuidv7Generator();
  for (let from = 1; from <= USERS; from += BATCH) {
    const ns: number[] = [];
    const ids: string[] = [];
    for (let n = from; n < from + BATCH && n <= USERS; n++) {
      ns.push(n);
      ids.push(aged(start + n * STEP_MS));
    }
    // One statement per batch: ids come from src/lib/ids.ts (time-ordered), the rest is derived from n.
    await db.query(
      `insert into users (id, org_id, user_name, external_id, given_name, family_name, display_name,
         email, emails, state, source, version, created_at, updated_at)
       select t.id, $1, u.name, 'ext-' || lpad(t.n::text, 6, '0'), g.given, f.family, g.given || ' ' || f.family,
         u.name, jsonb_build_array(jsonb_build_object('value', u.name, 'type', 'work', 'primary', true)),
         'active', 'scim', 1, c.at, c.at
       from unnest($2::int[], $3::uuid[]) as t(n, id)
       cross join lateral (select 'user' || lpad(t.n::text, 6, '0') || '@bench.example' as name) u
       cross join lateral (select ($4::text[])[1 + t.n % 10] as given) g
       cross join lateral (select ($5::text[])[1 + (t.n / 10) % 10] as family) f
       cross join lateral (select to_timestamp(($6::bigint + t.n::bigint * $7) / 1000.0) as at) c`,
      [orgId, ns, ids, FIRST, LAST, start, STEP_MS],
    );
  }
}

async function insertGroupsAndMemberships(db: pg.Client, orgId: string): Promise<void> {
  const ids = Array.from({ length: GROUPS }, () => uuidv7());
  await db.query(
    `insert into groups (id, org_id, display_name, external_id, source, created_at, updated_at)
     select t.id, $1, 'Group ' || lpad(t.n::text, 4, '0'), 'grp-' || t.n, 'scim', now(), now()
     from unnest($2::uuid[]) with ordinality as t(id, n)`,
    [orgId, ids],
  );
  // User n joins groups (n + 400k) mod 2000 for k = 0..4: five distinct groups, 250 members each.
  // Numbered temp tables give the planner a hash join (a subscript into a uuid[] per row detoasts it each time).
  await db.query(`create temp table bench_g as
    select id, (row_number() over (order by id) - 1)::int as i from groups where org_id = $1`, [orgId]);
  await db.query(`create temp table bench_u as
    select id, created_at, (row_number() over (order by id))::int as n from users where org_id = $1`, [orgId]);
  await db.query('analyze bench_g; analyze bench_u');
  const spread = GROUPS / GROUPS_PER_USER;
  await db.query(
    `insert into memberships (id, org_id, group_id, user_id, role, source, added_at)
     select gen_random_uuid(), $1, g.id, u.id, 'viewer', 'scim', u.created_at
     from bench_u u cross join generate_series(0, $2::int - 1) as k
     join bench_g g on g.i = (u.n + k * $3::int) % $4::int`,
    [orgId, GROUPS_PER_USER, spread, GROUPS],
  );
}

export async function seed(adminUrl = process.env.BENCH_DATABASE_URL ?? defaultAdminUrl): Promise<Seeded> {
  const began = performance.now();
  const databaseUrl = benchDatabaseUrl(adminUrl);
  await recreateDatabase(adminUrl, 'gatehouse_bench');
  const { orgId, token } = await createOrgAndToken(databaseUrl);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('set synchronous_commit = off');
    let mark = performance.now();
    const step = (what: string) => {
      if (process.env.BENCH_VERBOSE) console.error(`seed: ${what} ${((performance.now() - mark) / 1000).toFixed(1)} s`);
      mark = performance.now();
    };
    await insertUsers(db, orgId);
    // Statistics before the 500k-row join: without them the planner picks nested loops (minutes, not seconds).
    await db.query('analyze users');
    step('users');
    await insertGroupsAndMemberships(db, orgId);
    step('groups+memberships');
    // Fresh statistics and a visibility map, as a long-running database would have.
    await db.query('vacuum analyze');
    step('vacuum analyze');
  } finally {
    await db.end();
  }
  return { databaseUrl, orgId, token, seconds: (performance.now() - began) / 1000 };
}

if (import.meta.main) {
  const seeded = await seed();
  console.log(JSON.stringify(seeded));
}
