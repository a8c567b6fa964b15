import assert from 'node:assert/strict';
import request from 'supertest';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addGroup, addUser, auth, createPeopleTestApp, scopeOf, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';
import { commitImport } from '../../src/directory/import-commit.ts';
import { pgArray } from '../../src/db/bound-query.ts';

/**
 * The commit's bulk path (new people, no invitation, no seat limit): rows
 * written a batch per statement and marked by the import's high-water mark,
 * yet reported row by row exactly as the per-row path reports them.
 */
describe('CSV import commit (bulk path)', function () {
  this.timeout(300_000);
  let t: TestApp;
  const deps = { publicUrl: 'https://gatehouse.test', now: () => new Date() };

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('reports each created row as applied with the id of the user it created, and a userName taken since preview as failed', async () => {
    const org = await seedOrg(t.container, 'bulk-ids-imp');
    const res = await upload(t, org, csv('Email,Department', 'a@example.com,Ops', 'taken@example.com,Ops', 'c@example.com,Ops'), { noInvite: 'true' }).expect(201);
    assert.deepEqual((await previewRows(t, org, res.body.id)).map((r) => [r.userId, r.outcome]), [[null, null], [null, null], [null, null]]);
    const squatter = await addUser(t, org, { userName: 'taken@example.com' });
    const done = await commit(t, org, res.body.id).expect(200);
    assert.deepEqual([done.body.progress.processed, done.body.progress.applied, done.body.progress.failed, done.body.progress.create], [3, 2, 1, 2]);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => r.outcome), ['applied', 'failed', 'applied']);
    assert.equal(rows[1]!.errors[0].reason, 'conflict');
    assert.equal(rows[1]!.userId, null);
    const ids = Object.fromEntries((await sql(t, 'select email, id from users where org_id = ?', [org.id])).map((u) => [u.email, u.id]));
    assert.equal(rows[0]!.userId, ids['a@example.com']);
    assert.equal(rows[2]!.userId, ids['c@example.com']);
    assert.equal(ids['taken@example.com'], squatter);
    assert.deepEqual(rows[0]!.changes, { department: { from: null, to: 'Ops' } });
  });

  it('flags an over-long field at preview, and a row that fails validation at commit fails alone: the import reaches committed', async () => {
    const org = await seedOrg(t.container, 'bulk-long-imp');
    const file = csv('Full Name,Email,Department', 'One,one@example.com,Ops', `Two,two@example.com,${'d'.repeat(201)}`, 'Three,three@example.com,Ops');
    const res = await upload(t, org, file, { noInvite: 'true' }).expect(201);
    assert.deepEqual([res.body.counts.create, res.body.counts.errors], [2, 1]);
    const [, flagged] = await previewRows(t, org, res.body.id);
    assert.deepEqual(flagged!.errors, [{ column: 'Department', reason: 'too_long', message: 'must be at most 200 characters' }]);
    const done = await commit(t, org, res.body.id).expect(200);
    assert.equal(done.body.status, 'committed');
    assert.deepEqual((await sql(t, 'select email from users where org_id = ? order by email', [org.id])).map((u) => u.email), ['one@example.com', 'three@example.com']);

    // A row the preview passed but that no longer validates (here: its stored data edited) fails on its own.
    const again = await upload(t, org, csv('Email,Department', 'four@example.com,Ops', 'five@example.com,Ops', 'six@example.com,Ops'), { noInvite: 'true' }).expect(201);
    await sql(t, `update csv_import_rows set data = jsonb_set(data, '{profile,department}', to_jsonb(repeat('d', 201))) where import_id = ? and row_number = 2`, [again.body.id]);
    const committed = await commit(t, org, again.body.id).expect(200);
    assert.deepEqual([committed.body.status, committed.body.progress.applied, committed.body.progress.failed], ['committed', 2, 1]);
    const rows = await previewRows(t, org, again.body.id);
    assert.deepEqual(rows.map((r) => r.outcome), ['applied', 'failed', 'applied']);
    assert.equal(rows[1]!.errors[0].reason, 'invalid_input');
    assert.match(rows[1]!.errors[0].message, /department: must be at most 200 characters/);
    assert.equal(Number((await sql(t, `select count(*)::int as n from users where org_id = ? and email in ('four@example.com', 'six@example.com')`, [org.id]))[0]!.n), 2);

    // A group to create whose name the directory refuses: flagged at preview; changed since, the row fails alone.
    const groups = await upload(t, org, csv('Email,Groups', `seven@example.com,${'g'.repeat(301)}`, 'eight@example.com,Fine', 'nine@example.com,Fine'), { noInvite: 'true', createGroups: 'true' }).expect(201);
    assert.deepEqual((await previewRows(t, org, groups.body.id))[0]!.errors, [{ column: 'Groups', reason: 'too_long', message: 'group names must be at most 300 characters' }]);
    await sql(t, `update csv_import_rows set data = jsonb_set(data, '{groups,0,name}', to_jsonb(repeat('g', 301))) where import_id = ? and row_number = 3`, [groups.body.id]);
    const withGroups = await commit(t, org, groups.body.id).expect(200);
    assert.deepEqual([withGroups.body.status, withGroups.body.progress.applied, withGroups.body.progress.failed], ['committed', 1, 1]);
    const groupRows = await previewRows(t, org, groups.body.id);
    assert.deepEqual(groupRows.map((r) => r.outcome), [null, 'applied', 'failed']);
    assert.match(groupRows[2]!.errors[0].message, /displayName: must be at most 300 characters/);
  });

  it('after a crash between batches, the rows read back say exactly which were applied; the resumed commit applies the rest once', async () => {
    const org = await seedOrg(t.container, 'bulk-crash-imp');
    await addGroup(t, org, 'Crew', []);
    const res = await upload(t, org, csv('Email,Groups', ...Array.from({ length: 25 }, (_, i) => `q${i}@example.com,Crew`)), { noInvite: 'true' }).expect(201);
    const fork = () => t.container.fork();
    await assert.rejects(
      commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 10, afterBatch: (n) => { if (n === 2) throw new Error('killed'); } }),
      /killed/,
    );
    const mid = await previewRows(t, org, res.body.id);
    assert.deepEqual(mid.map((r) => r.outcome), [...Array(20).fill('applied'), ...Array(5).fill(null)]);
    const created = new Set((await sql(t, 'select id from users where org_id = ?', [org.id])).map((u) => u.id));
    assert.equal(created.size, 20);
    assert.ok(mid.slice(0, 20).every((r) => created.has(r.userId)));
    assert.ok(mid.slice(20).every((r) => r.userId === null));

    await commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 10 });
    const rows = await previewRows(t, org, res.body.id);
    assert.ok(rows.every((r) => r.outcome === 'applied'));
    assert.equal(new Set(rows.map((r) => r.userId)).size, 25);
    assert.equal(Number((await sql(t, 'select count(*)::int as n from users where org_id = ?', [org.id]))[0]!.n), 25);
    assert.equal(Number((await sql(t, 'select count(*)::int as n from memberships where org_id = ?', [org.id]))[0]!.n), 25);
  });

  it('stops before its next batch once the server shuts down (the signal), naming the rows applied and how to resume; a second commit applies the rest', async () => {
    const org = await seedOrg(t.container, 'bulk-stop-imp');
    const res = await upload(t, org, csv('Email', ...Array.from({ length: 25 }, (_, i) => `s${i}@example.com`)), { noInvite: 'true' }).expect(201);
    const fork = () => t.container.fork();
    const stopping = new AbortController();
    await assert.rejects(
      commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 10, signal: stopping.signal, afterBatch: (n) => { if (n === 1) stopping.abort(); } }),
      (error: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(error.code, 'unavailable');
        assert.deepEqual(error.details, { reason: 'shutting_down', importId: res.body.id, processed: 10, total: 25 });
        assert.equal(error.message, `The server is shutting down: the commit stopped after 10 of 25 rows, each batch applied whole; send POST /api/orgs/${org.slug}/imports/${res.body.id}/commit again to resume with the rest`);
        return true;
      },
    );
    const mid = await previewRows(t, org, res.body.id);
    assert.deepEqual(mid.map((r) => r.outcome), [...Array(10).fill('applied'), ...Array(15).fill(null)]);
    assert.equal((await request(t.app).get(`/api/orgs/${org.slug}/imports/${res.body.id}`).set(auth(org.tokens.admin)).expect(200)).body.status, 'committing');

    const done = await commit(t, org, res.body.id).expect(200);
    assert.deepEqual([done.body.status, done.body.progress.applied], ['committed', 25]);
  });

  it('records one user.created per person and one membership.added per membership (target the person, the group and role in details), as the admin API does; the feed gets one event each', async () => {
    const org = await seedOrg(t.container, 'bulk-audit-imp');
    const crew = await addGroup(t, org, 'Crew', []);
    const ops = await addGroup(t, org, 'Ops', []);
    const res = await upload(t, org, csv('Email,Groups', ...Array.from({ length: 6 }, (_, i) => `r${i}@example.com,Crew${i % 2 ? '; Ops:editor' : ''}`)), { noInvite: 'true' }).expect(201);
    await commitImport(() => t.container.fork(), scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 4 });
    const users = Object.fromEntries((await sql(t, 'select email, id from users where org_id = ?', [org.id])).map((u) => [u.email, String(u.id)]));
    const events = await sql(t, `select action, target_type, target_id, target_label, details from audit_events where org_id = ? and action in ('user.created', 'group.updated', 'membership.added') order by id`, [org.id]);
    assert.equal(events.filter((e) => e.action === 'user.created').length, 6);
    assert.equal(events.filter((e) => e.action === 'group.updated').length, 0);
    const added = events.filter((e) => e.action === 'membership.added').map((e) => {
      const d = e.details as Record<string, unknown>;
      return `${e.target_type}:${e.target_label}:${d.groupName}:${d.groupId === (d.groupName === 'Crew' ? crew : ops)}:${d.role}:${d.source}`;
    });
    const expected = Array.from({ length: 6 }, (_, i) => [`user:r${i}@example.com:Crew:true:viewer:csv`, ...(i % 2 ? [`user:r${i}@example.com:Ops:true:editor:csv`] : [])]).flat();
    assert.deepEqual(added.sort(), expected.sort());
    const roles = await sql(t, 'select g.display_name as g, m.role from memberships m join groups g on g.id = m.group_id where m.org_id = ? and m.user_id = ?', [org.id, users['r1@example.com']]);
    assert.deepEqual(roles.map((r) => `${r.g}:${r.role}`).sort(), ['Crew:viewer', 'Ops:editor']);
    // The change feed: exactly one membership.added per membership, with its role.
    const feed = await sql(t, `select subject_id, resource from events where org_id = ? and type = 'membership.added'`, [org.id]);
    assert.equal(feed.length, 9);
    assert.equal(new Set(feed.map((e) => `${e.subject_id}:${(e.resource as { group: { id: string } }).group.id}`)).size, 9);
    assert.deepEqual(feed.filter((e) => e.subject_id === users['r1@example.com']).map((e) => (e.resource as { role: string }).role).sort(), ['editor', 'viewer']);
    // The person's activity names each membership.
    const activity = await request(t.app).get(`/api/orgs/${org.slug}/users/${users['r1@example.com']}/activity`).set(auth(org.tokens.admin)).expect(200);
    assert.deepEqual(activity.body.events.map((e: { action: string }) => e.action).sort(), ['membership.added', 'membership.added', 'user.created']);
  });

  it('audits the per-row path’s memberships the same way (an existing person given groups): one membership.added each, one feed event each', async () => {
    const org = await seedOrg(t.container, 'row-audit-imp');
    const crew = await addGroup(t, org, 'Crew', []);
    const known = await addUser(t, org, { userName: 'known@example.com' });
    const res = await upload(t, org, csv('Email,Groups', 'known@example.com,Crew:admin; Fresh'), { createGroups: 'true' }).expect(201);
    await commit(t, org, res.body.id).expect(200);
    const fresh = String((await sql(t, `select id from groups where org_id = ? and display_name = 'Fresh'`, [org.id]))[0]!.id);
    const audit = await sql(t, `select action, target_id, details from audit_events where org_id = ? and action in ('group.updated', 'membership.added') order by id`, [org.id]);
    assert.deepEqual(audit.map((e) => [e.action, e.target_id, (e.details as Record<string, unknown>).groupId, (e.details as Record<string, unknown>).role]), [
      ['membership.added', known, crew, 'admin'],
      ['membership.added', known, fresh, 'viewer'],
    ]);
    const feed = await sql(t, `select subject_id, resource, data from events where org_id = ? and type = 'membership.added' order by seq`, [org.id]);
    assert.deepEqual(feed.map((e) => [e.subject_id, (e.resource as { group: { id: string } }).group.id, (e.resource as { role: string }).role]), [[known, crew, 'admin'], [known, fresh, 'viewer']]);
    // Rendered as the row trigger rendered membership events (gatehouse_membership_resource), data as before.
    const [rendered] = await sql(t, 'select gatehouse_membership_resource(?, ?, ?, ?, ?) as r', [org.id, crew, 'Crew', known, 'admin']);
    assert.deepEqual(feed[0]!.resource, rendered!.r);
    assert.deepEqual(feed[0]!.data, { source: 'csv' });
  });

  it('fails a row whose group the preview found but an admin deleted before the commit, never creating it again', async () => {
    const org = await seedOrg(t.container, 'gone-group-imp');
    const temp = await addGroup(t, org, 'Temp', []);
    await addUser(t, org, { userName: 'p3@example.com' });
    const res = await upload(t, org, csv('Email,Groups', 'p3@example.com,Temp', 'race2@example.com,Temp'), { noInvite: 'true' }).expect(201);
    await request(t.app).delete(`/api/orgs/${org.slug}/groups/${temp}?force=true`).set(auth(org.tokens.admin)).expect(204);
    const done = await commit(t, org, res.body.id).expect(200);
    assert.deepEqual([done.body.progress.applied, done.body.progress.failed], [0, 2]);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.outcome, r.errors[0]?.reason]), [['failed', 'unknown_group'], ['failed', 'unknown_group']]);
    assert.match(rows[0]!.errors[0].message, /deleted after the preview/);
    assert.equal((await sql(t, `select count(*)::int as n from groups where org_id = ?`, [org.id]))[0]!.n, 0);
    assert.equal((await sql(t, `select count(*)::int as n from users where org_id = ? and user_name = 'race2@example.com'`, [org.id]))[0]!.n, 0);
  });

  it('resumes a commit of selected rows after a crash without applying the rows left out', async () => {
    const org = await seedOrg(t.container, 'bulk-pick-imp');
    const res = await upload(t, org, csv('Email', ...Array.from({ length: 8 }, (_, i) => `s${i}@example.com`)), { noInvite: 'true' }).expect(201);
    const fork = () => t.container.fork();
    const pick = { rows: [1, 2, 4, 6, 7] };
    await assert.rejects(commitImport(fork, scopeOf(org), deps, res.body.id, pick, { batchSize: 2, afterBatch: (n) => { if (n === 1) throw new Error('killed'); } }), /killed/);
    const mid = await request(t.app).get(`/api/orgs/${org.slug}/imports/${res.body.id}`).set(auth(org.tokens.admin)).expect(200);
    assert.deepEqual([mid.body.status, mid.body.progress.processed, mid.body.progress.total], ['committing', 2, 5]);
    await commitImport(fork, scopeOf(org), deps, res.body.id, pick, { batchSize: 2 });
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => r.outcome), ['applied', 'applied', null, 'applied', null, 'applied', 'applied', null]);
    const emails = (await sql(t, 'select email from users where org_id = ? order by email', [org.id])).map((u) => u.email);
    assert.deepEqual(emails, ['s0@example.com', 's1@example.com', 's3@example.com', 's5@example.com', 's6@example.com']);
  });

  it('keeps batches that hold rows for the per-row path (here an update) at the per-row size of 500', async () => {
    const org = await seedOrg(t.container, 'bulk-mixed-imp');
    const known = await addUser(t, org, { userName: 'known@example.com' });
    const res = await upload(t, org, csv('Email,Department', 'known@example.com,Ops', ...Array.from({ length: 600 }, (_, i) => `m${i}@example.com,Ops`)), { noInvite: 'true' }).expect(201);
    const seen: number[] = [];
    const done = await commitImport(() => t.container.fork(), scopeOf(org), deps, res.body.id, { rows: 'all' }, { onProgress: (p) => seen.push(p.progress.processed) });
    assert.deepEqual(seen, [500, 601]);
    assert.deepEqual([done.progress.update, done.progress.create, done.progress.applied], [1, 600, 601]);
    assert.equal((await sql(t, 'select department from users where id = ?', [known]))[0]!.department, 'Ops');
  });

  it('passes values with quotes, backslashes, commas and braces through the bound arrays unchanged', async () => {
    assert.equal(pgArray(['a"b', 'c\\d', null, 'e,f}']), '{"a\\"b","c\\\\d",NULL,"e,f}"}');
    const org = await seedOrg(t.container, 'bulk-quote-imp');
    const title = 'R&D "Labs" \\ {West}, Floor 2';
    const res = await upload(t, org, csv('Email,Title,Full Name', `odd@example.com,"${title.replace(/"/g, '""')}",NULL`), { noInvite: 'true' }).expect(201);
    await commit(t, org, res.body.id).expect(200);
    const user = (await sql(t, 'select title, display_name from users where org_id = ?', [org.id]))[0]!;
    assert.deepEqual([user.title, user.display_name], [title, 'NULL']);
  });
});
