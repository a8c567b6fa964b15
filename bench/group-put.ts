/**
 * A quick probe, not a suite of `npm run bench` and not a test: how long a SCIM
 * PUT /Groups/{id} takes to replace the members of a large group (Okta's group
 * push sends the whole list). Run it on a quiet machine:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node bench/group-put.ts [members] [rounds]
 *
 * It builds a fresh database next to DATABASE_URL (dropped at the end), an org
 * with 2 × members users, a group holding the first half, and times, each
 * `rounds` times: a PUT swapping every member for the other half, a PUT that
 * swaps a tenth of them, and a PUT that repeats the list (no change).
 */
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../src/app.ts';
import { createContainer } from '../src/container.ts';
import { openStore } from '../src/db/orm.ts';
import { migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createUser } from '../src/directory/users.ts';
import { emptyUserFields } from '../src/directory/user-record.ts';
import { seedOrg, testActor, testConfig } from '../test/support/app.ts';
import { createPostgresDatabase } from '../test/support/db.ts';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const size = Number(process.argv[2] ?? 3000);
const rounds = Number(process.argv[3] ?? 3);

if (!process.env.DATABASE_URL) {
  console.error('group-put: set DATABASE_URL (a PostgreSQL server the probe may create a database on)');
  process.exit(2);
}

const database = await createPostgresDatabase(process.env.DATABASE_URL);
if (process.env.LOG_MS) {
  // Statements slower than LOG_MS go to the server log (a probe's own database only).
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query(`alter database "${new URL(database.url).pathname.slice(1)}" set log_min_duration_statement = ${Number(process.env.LOG_MS)}`);
  await admin.end();
}
const store = await openStore({ databaseUrl: database.url, dataDir: '', inMemory: true });
await migrate(store.orm);
const config = testConfig({ scim: { maxResults: 1000, rateLimit: { requestsPerSecond: 100000, burst: 100000 } } });
const container = createContainer({ config, logger: createLogger('silent'), store });
const t = { app: createApp(container), container };
try {
  const org = await seedOrg(t.container, 'probe');
  const scope = { orgId: org.id, orgSlug: org.slug, actor: testActor };
  const ids: string[] = [];
  for (let i = 0; i < size * 2; i++) {
    const fields = { ...emptyUserFields(`member${i}@probe.test`), emails: [{ value: `member${i}@probe.test`, primary: true }] };
    ids.push((await createUser(t.container.fork(), scope, fields, { source: 'scim' })).id);
  }
  const first = ids.slice(0, size);
  const second = ids.slice(size);
  const put = async (members: string[]) => {
    const started = performance.now();
    const res = await request(t.app)
      .put(`/scim/v2/Groups/${groupId}`)
      .set('Authorization', `Bearer ${org.tokens.scim}`)
      .set('Content-Type', 'application/scim+json')
      .send(JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: 'Probe', members: members.map((value) => ({ value })) }));
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`PUT answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    if (res.body.members.length !== members.length) throw new Error(`PUT left ${res.body.members.length} members, not ${members.length}`);
    return ms;
  };
  const created = await request(t.app)
    .post('/scim/v2/Groups')
    .set('Authorization', `Bearer ${org.tokens.scim}`)
    .set('Content-Type', 'application/scim+json')
    .send(JSON.stringify({ schemas: [GROUP_SCHEMA], displayName: 'Probe', members: first.map((value) => ({ value })) }));
  if (created.status !== 201) throw new Error(`POST answered ${created.status}`);
  const groupId = String(created.body.id);
  const tenth = Math.floor(size / 10);
  const mixed = [...first.slice(tenth), ...second.slice(0, tenth)];
  const times: Record<string, number[]> = { [`swap all ${size}`]: [], [`swap ${tenth}`]: [], 'same list': [] };
  let current = first;
  for (let round = 0; round < rounds; round++) {
    current = current === first ? second : first;
    times[`swap all ${size}`]!.push(await put(current));
    times[`swap ${tenth}`]!.push(await put(current === first ? mixed : [...second.slice(tenth), ...first.slice(0, tenth)]));
    times['same list']!.push(await put(current === first ? mixed : [...second.slice(tenth), ...first.slice(0, tenth)]));
    await put(current);
  }
  // The feed must still get one membership event per membership changed.
  await t.container.events.publishAll();
  for (const [name, list] of Object.entries(times)) {
    const sorted = [...list].sort((a, b) => a - b);
    console.log(`${name.padEnd(16)} median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms  (${list.map((ms) => ms.toFixed(0)).join(', ')})`);
  }
} finally {
  await store.close();
  if (process.env.KEEP) console.log(`kept ${database.url}`);
  else await database.drop();
}
