import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { parse } from 'csv-parse/sync';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { fixedClock } from '../../src/lib/clock.ts';
import { exportHeaders } from '../../src/csv/columns.ts';
import { addGroup, addUser, auth, createPeopleTestApp, sql } from '../people/support.ts';

const DAY = 86_400_000;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

interface Csv {
  status: number;
  headers: Record<string, string>;
  bytes: Buffer;
  rows: string[][];
  body: Record<string, unknown>;
}

async function download(t: TestApp, org: SeededOrg, path: string, token = org.tokens.admin): Promise<Csv> {
  const res = await request(t.app).get(`/api/orgs/${org.slug}/exports/${path}`).set(auth(token)).buffer(true).parse(binary);
  const bytes = res.body as Buffer;
  const isCsv = String(res.headers['content-type']).startsWith('text/csv');
  return {
    status: res.status,
    headers: res.headers as Record<string, string>,
    bytes,
    rows: isCsv ? (parse(bytes, { bom: true, relax_column_count: false }) as string[][]) : [],
    body: isCsv ? {} : JSON.parse(bytes.toString('utf8') || '{}'),
  };
}

describe('CSV exports over the admin API', () => {
  const clock = fixedClock(new Date('2026-11-20T10:00:00Z'));
  let t: TestApp;
  let acme: SeededOrg;
  let globex: SeededOrg;
  let ids: Record<string, string>;
  let eng: string;
  let ops: string;

  before(async () => {
    t = await createPeopleTestApp(clock);
    acme = await seedOrg(t.container, 'acme');
    globex = await seedOrg(t.container, 'globex');
    const now = clock.now().getTime();
    ids = {
      ada: await addUser(t, acme, { userName: 'ada@acme.test', givenName: 'Ada', familyName: 'Lovelace' }),
      bob: await addUser(t, acme, { userName: 'bob@acme.test', givenName: 'Bob', familyName: 'Stone' }),
      eve: await addUser(t, acme, { userName: 'eve@acme.test', givenName: '=HYPERLINK("http://evil")', familyName: '-2+3' }),
      pat: await addUser(t, acme, { userName: 'pat@acme.test', state: 'invited', inviteExpiresAt: new Date(now + DAY) }),
      dis: await addUser(t, acme, { userName: 'dis@acme.test', state: 'disabled' }),
      del: await addUser(t, acme, { userName: 'del@acme.test' }),
      gina: await addUser(t, globex, { userName: 'gina@globex.test', givenName: 'Gina' }),
    };
    await sql(t, `update users set state = 'deleted', deleted_at = now() where id = ?`, [ids.del]);
    await sql(t, `update users set department = 'R&D', office_location = 'London, "HQ"', last_active_at = ? where id = ?`, [new Date('2026-11-19T08:30:00Z'), ids.ada]);
    eng = await addGroup(t, acme, 'Engineering', [ids.ada!, ids.bob!], 'editor');
    ops = await addGroup(t, acme, 'Ops', [ids.ada!]);
    await addGroup(t, globex, 'Globex Secret', [ids.gina!]);
    await addInvitation(t, acme, ids.pat!, 'Pat Doe', 'pat@acme.test', [[eng, 'viewer'], [ops, 'admin']]);
    await addInvitation(t, globex, ids.gina!, 'Gina G', 'gina@globex.test', []);
  });
  after(() => t.close());

  it('streams users.csv as UTF-8 with a BOM, text/csv, an attachment name and the documented headers', async () => {
    const csv = await download(t, acme, 'users.csv');
    assert.equal(csv.status, 200);
    assert.deepEqual([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.equal(csv.headers['content-disposition'], 'attachment; filename="acme-users-2026-11-20.csv"');
    assert.deepEqual(csv.rows[0], [...exportHeaders.users]);
    assert.match(csv.bytes.toString('utf8'), /\r\n/);
  });

  it('writes one row per user, deleted users left out as in the list, with ISO 8601 UTC dates', async () => {
    const csv = await download(t, acme, 'users.csv');
    const rows = csv.rows.slice(1);
    assert.deepEqual(rows.map((r) => r[0]), ['ada@acme.test', 'bob@acme.test', 'eve@acme.test', 'pat@acme.test', 'dis@acme.test'].sort((a, b) => ids[a.split('@')[0]!]!.localeCompare(ids[b.split('@')[0]!]!)));
    const ada = rows.find((r) => r[0] === 'ada@acme.test')!;
    const byHeader = Object.fromEntries(exportHeaders.users.map((h, i) => [h, ada[i]]));
    assert.deepEqual(
      { ...byHeader, 'Date Created': ISO.test(byHeader['Date Created']!) },
      {
        'User Name': 'ada@acme.test', 'User ID': ids.ada, 'User Email': 'ada@acme.test', 'First Name': 'Ada', 'Last Name': 'Lovelace',
        'Organization Role': 'member', Status: 'active', 'Date Created': true, 'Date Last Active': '2026-11-19T08:30:00.000Z',
        Source: 'admin', Department: 'R&D', 'Office Location': 'London, "HQ"',
      },
    );
    assert.equal(rows.find((r) => r[0] === 'pat@acme.test')![6], 'pending');
    assert.equal(rows.find((r) => r[0] === 'dis@acme.test')![6], 'disabled');
    assert.equal(rows.find((r) => r[0] === 'bob@acme.test')![8], '', 'never active: empty, not a made-up date');
  });

  it('neutralises cells that a spreadsheet would run as formulas', async () => {
    const eve = (await download(t, acme, 'users.csv')).rows.find((r) => r[0] === 'eve@acme.test')!;
    assert.equal(eve[3], `'=HYPERLINK("http://evil")`);
    assert.equal(eve[4], `'-2+3`);
  });

  const filters: Array<[string, string[]]> = [
    ['status=disabled', ['dis@acme.test']],
    ['status=pending', ['pat@acme.test']],
    ['status=deleted', ['del@acme.test']],
    ['status=enabled', ['ada@acme.test', 'bob@acme.test', 'eve@acme.test', 'pat@acme.test']],
    ['q=LOVELACE', ['ada@acme.test']],
    ['q=stone&status=active', ['bob@acme.test']],
  ];
  for (const [query, expected] of filters) {
    it(`exports the current view: ${query}`, async () => {
      const csv = await download(t, acme, `users.csv?${query}`);
      assert.equal(csv.status, 200);
      assert.deepEqual(csv.rows.slice(1).map((r) => r[0]).sort(), expected);
    });
  }

  it('exports the current view: group and selected ids', async () => {
    const byGroup = await download(t, acme, `users.csv?group=${eng}`);
    assert.deepEqual(byGroup.rows.slice(1).map((r) => r[0]).sort(), ['ada@acme.test', 'bob@acme.test']);
    const selected = await download(t, acme, `users.csv?ids=${ids.bob},${ids.dis},${ids.gina}`);
    assert.deepEqual(selected.rows.slice(1).map((r) => r[0]).sort(), ['bob@acme.test', 'dis@acme.test'], "another org's id matches nothing");
  });

  it('takes up to 1,000 selected ids in a POST body (a GET URL that long passes the header limit), and refuses more with 400 naming ids', async () => {
    const post = (path: string, body: unknown) => request(t.app).post(`/api/orgs/${acme.slug}/exports/${path}`).set(auth(acme.tokens.admin)).send(body as object).buffer(true).parse(binary);
    const ids1000 = [ids.bob!, ids.dis!, ids.gina!, ...Array.from({ length: 997 }, () => randomUUID())];
    const res = await post('users.csv', { ids: ids1000 });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-disposition'], 'attachment; filename="acme-users-2026-11-20.csv"');
    const rows = parse(res.body as Buffer, { bom: true }) as string[][];
    assert.deepEqual(rows[0], [...exportHeaders.users]);
    assert.deepEqual(rows.slice(1).map((r) => r[0]).sort(), ['bob@acme.test', 'dis@acme.test'], "another org's id matches nothing");
    const filtered = await post('users-memberships.csv', { ids: ids1000, status: 'active' });
    assert.deepEqual((parse(filtered.body as Buffer, { bom: true }) as string[][]).slice(1).map((r) => [r[0], r[3]]), [['bob@acme.test', 'Engineering']]);
    const audit = await post('audit.csv', { action: 'export.*', since: '2026-01-01T00:00:00Z' });
    assert.equal(audit.status, 200);

    const tooMany = await post('users.csv', { ids: [...ids1000, randomUUID()] });
    assert.equal(tooMany.status, 400);
    const body = JSON.parse((tooMany.body as Buffer).toString('utf8'));
    assert.equal(body.error.details.problems[0].field, 'ids');
    assert.match(body.error.message, /at most 1000/);
    const get = await download(t, acme, `users.csv?ids=${Array(1001).fill('a').join(',')}`);
    assert.equal(get.status, 400);
    assert.deepEqual((get.body.error as { details: { problems: Array<{ field: string }> } }).details.problems.map((p) => p.field), ['ids']);
    assert.equal((await post('users.csv', { colour: 'red' })).status, 400);
  });

  it('refuses a bad filter with 400 naming the field, and an unknown export with 404', async () => {
    const bad = await download(t, acme, 'users.csv?status=sleeping');
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /status/);
    assert.equal((await download(t, acme, 'users.csv?ids=not-an-id')).status, 400);
    assert.equal((await download(t, acme, 'users.csv?colour=red')).status, 400);
    assert.equal((await download(t, acme, 'payroll.csv')).status, 404);
  });

  it('writes users-memberships.csv: one row per user × group, groups by name', async () => {
    const csv = await download(t, acme, 'users-memberships.csv');
    assert.deepEqual(csv.rows[0], [...exportHeaders['users-memberships']]);
    const rows = csv.rows.slice(1).map((r) => [r[0], r[3], r[4], r[5]]);
    assert.deepEqual(rows, [
      ['ada@acme.test', 'Engineering', eng, 'editor'],
      ['ada@acme.test', 'Ops', ops, 'viewer'],
      ['bob@acme.test', 'Engineering', eng, 'editor'],
    ].sort((a, b) => (a[0] === b[0] ? 0 : ids[a[0]!.split('@')[0]!]!.localeCompare(ids[b[0]!.split('@')[0]!]!))));
    for (const r of csv.rows.slice(1)) assert.match(r[6]!, ISO);
    const onlyBob = await download(t, acme, `users-memberships.csv?q=bob`);
    assert.deepEqual(onlyBob.rows.slice(1).map((r) => r[0]), ['bob@acme.test']);
  });

  it('writes invitations.csv and invitations-memberships.csv, one row per planned membership', async () => {
    const inv = await download(t, acme, 'invitations.csv');
    assert.deepEqual(inv.rows, [[...exportHeaders.invitations], ['2026-11-18T10:00:00.000Z', 'Pat Doe', 'pat@acme.test', 'acme admin', 'pending', '2026-11-25T10:00:00.000Z']]);
    const planned = await download(t, acme, 'invitations-memberships.csv');
    assert.deepEqual(planned.rows[0], [...exportHeaders['invitations-memberships']]);
    assert.deepEqual(planned.rows.slice(1).map((r) => [r[2], r[6], r[7], r[8]]), [
      ['pat@acme.test', 'Engineering', eng, 'viewer'],
      ['pat@acme.test', 'Ops', ops, 'admin'],
    ]);
    assert.equal((await download(t, acme, 'invitations.csv?status=accepted')).rows.length, 1, 'header only');
  });

  it("never shows another org's rows, and refuses another org's token", async () => {
    for (const name of ['users', 'users-memberships', 'invitations', 'invitations-memberships', 'audit']) {
      const text = (await download(t, acme, `${name}.csv`)).bytes.toString('utf8');
      assert.ok(!/globex|gina/i.test(text), `${name}.csv leaks globex data`);
    }
    const foreign = await download(t, acme, 'users.csv', globex.tokens.admin);
    assert.equal(foreign.status, 403);
    assert.equal(foreign.bytes.includes('ada@acme.test'), false);
    assert.equal((await download(t, acme, 'users.csv', acme.tokens.scim)).status, 401);
  });

  it('audits each export once, with its name and filters, and exports the audit trail with its filters', async () => {
    const before = await sql(t, `select count(*)::int as n from audit_events where org_id = ? and action = 'export.downloaded'`, [acme.id]);
    await download(t, acme, `users.csv?status=active&q=ada`);
    const events = await sql(t, `select target_id, details from audit_events where org_id = ? and action = 'export.downloaded' order by id`, [acme.id]);
    assert.equal(events.length, Number(before[0]!.n) + 1);
    const last = events[events.length - 1]!;
    assert.equal(last.target_id, 'users');
    const details = typeof last.details === 'string' ? JSON.parse(last.details) : last.details;
    assert.deepEqual(details, { name: 'users', filters: { status: 'active', q: 'ada' } });

    const audit = await download(t, acme, 'audit.csv?action=export.*');
    assert.deepEqual(audit.rows[0], [...exportHeaders.audit]);
    const rows = audit.rows.slice(1);
    assert.ok(rows.length >= 2 && rows.every((r) => r[3] === 'export.downloaded'));
    assert.equal(rows[rows.length - 2]![5], 'users');
    assert.match(rows[0]![0]!, ISO);
    assert.equal(rows[rows.length - 2]![2], 'acme admin');
    assert.deepEqual(JSON.parse(rows[rows.length - 2]![7]!), { name: 'users', filters: { status: 'active', q: 'ada' } });

    const future = await download(t, acme, 'audit.csv?since=2100-01-01T00:00:00Z');
    assert.equal(future.rows.length, 1);
    const byTarget = await download(t, acme, `audit.csv?target=${ids.ada}`);
    assert.ok(byTarget.rows.slice(1).every((r) => r[5] === ids.ada) && byTarget.rows.length > 1);
    assert.equal((await download(t, acme, 'audit.csv?since=yesterday')).status, 400);
  });

  it('writes an event’s changes in audit.csv as the audit API answers them: {before, after} per field', async () => {
    await request(t.app).patch(`/api/orgs/acme/users/${ids.bob}`).set(auth(acme.tokens.admin)).send({ title: 'Mason' }).expect(200);
    const fromApi = await request(t.app).get(`/api/orgs/acme/audit?target=${ids.bob}&action=user.updated&limit=1`).set(auth(acme.tokens.admin)).expect(200);
    assert.deepEqual(fromApi.body.events[0].changes, { title: { before: null, after: 'Mason' } });
    const rows = (await download(t, acme, `audit.csv?target=${ids.bob}&action=user.updated`)).rows.slice(1);
    const details = JSON.parse(rows.at(-1)![7]!);
    assert.deepEqual(details.changes, fromApi.body.events[0].changes);
  });

  it('streams a larger org complete and in order (3,000 users, several batches)', async function () {
    this.timeout(120_000);
    const big = await seedOrg(t.container, 'big');
    await sql(
      t,
      `insert into users (id, org_id, user_name, email, emails, phone_numbers, scim_attributes, state, source, org_role, version, created_at, updated_at)
       select gen_random_uuid(), ?, 'u' || lpad(n::text, 5, '0') || '@big.test', 'u' || lpad(n::text, 5, '0') || '@big.test', '[]', '[]', '{}', 'active', 'admin', 'member', 1, now(), now()
       from generate_series(1, 3000) n`,
      [big.id],
    );
    const group = await addGroup(t, big, 'Everyone', []);
    await sql(t, `insert into memberships (id, org_id, group_id, user_id, role, source, added_at) select gen_random_uuid(), org_id, ?, id, 'viewer', 'admin', now() from users where org_id = ?`, [group, big.id]);
    const expectedIds = (await sql(t, 'select id from users where org_id = ? order by id', [big.id])).map((r) => String(r.id));

    const users = await download(t, big, 'users.csv');
    assert.deepEqual(users.rows.slice(1).map((r) => r[1]), expectedIds);
    const memberships = await download(t, big, 'users-memberships.csv');
    assert.deepEqual(memberships.rows.slice(1).map((r) => r[1]), expectedIds, 'three batches of 1,000 users, none lost or repeated');
  });
});

async function addInvitation(t: TestApp, org: SeededOrg, userId: string, name: string, email: string, groups: Array<[string, string]>): Promise<string> {
  const id = randomUUID();
  await sql(
    t,
    `insert into invitations (id, created_at, updated_at, org_id, user_id, email, name, invited_by_label, token_hash, expires_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, new Date('2026-11-18T10:00:00Z'), new Date(), org.id, userId, email, name, `${org.slug} admin`, randomBytes(32).toString('hex'), new Date('2026-11-25T10:00:00Z')],
  );
  for (const [groupId, role] of groups) {
    await sql(t, 'insert into invitation_memberships (id, invitation_id, group_id, role) values (?, ?, ?, ?)', [randomUUID(), id, groupId, role]);
  }
  return id;
}
