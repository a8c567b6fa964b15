import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addUser, api, createPeopleTestApp, scopeOf, setSeatLimit, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';
import { commitImport } from '../../src/directory/import-commit.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * The import's Manager column: an admin of an org without SSO sets managers in bulk, by the
 * manager's email or user name — someone in the org, or someone the same file creates. The
 * managers are set after every row is applied, by a last resumable pass of the commit.
 */
describe('CSV import: the Manager column', function () {
  this.timeout(300_000);
  let t: TestApp;
  const deps = { publicUrl: 'https://gatehouse.test', now: () => new Date() };
  const managerOf = async (email: string): Promise<string | null> => {
    const [row] = await sql(t, 'select m.email from users u left join users m on m.id::text = u.manager_id where u.email = ?', [email]);
    return (row?.email as string | null) ?? null;
  };

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('previews each manager cell: an existing person by email or user name, someone the file creates later, and each refusal', async () => {
    const org = await seedOrg(t.container, 'mgr-preview');
    await addUser(t, org, { userName: 'boss', email: 'boss@example.com' });
    const gone = await addUser(t, org, { userName: 'gone@example.com' });
    await api(t, org).delete(`/users/${gone}`, { confirmEmail: 'gone@example.com' }).expect(200);
    await addUser(t, org, { userName: 'a@example.com' });
    await addUser(t, org, { userName: 'b@example.com' });
    const kept = await addUser(t, org, { userName: 'kept@example.com' });
    const boss = (await sql(t, 'select id from users where org_id = ? and email = ?', [org.id, 'boss@example.com']))[0]!.id as string;
    await api(t, org).patch(`/users/${kept}`, { managerId: boss }).expect(200);
    await addUser(t, org, { userName: 'scim@example.com', source: 'scim' });
    const file = csv(
      'Email,Title,Manager Email',
      'a@example.com,,BOSS@example.com', // 1: existing, by email in any case
      'b@example.com,,boss', // 2: existing, by user name
      'new@example.com,,later@example.com', // 3: created by a later row
      'later@example.com,,', // 4: empty cell: no manager
      'kept@example.com,,boss@example.com', // 5: already their manager
      'x@example.com,,nobody@example.com', // 6: unknown
      'y@example.com,,gone@example.com', // 7: deleted: unknown
      'z@example.com,,z@example.com', // 8: themself
      'kept@example.com,,kept', // 9: duplicate row: refused for that, not the manager
      'scim@example.com,,boss@example.com', // 10: the IdP's
      'w@example.com,,bad@@example.com', // 11: its manager's row has an error
      'bad@@example.com,,', // 12: invalid email
    );
    const res = await upload(t, org, file).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    const brief = rows.map((r) => [r.action, r.changes.manager ?? null, r.errors.map((e: Json) => `${e.column}:${e.reason}`), r.notes.map((n: Json) => `${n.column}:${n.reason}`)]);
    assert.deepEqual(brief, [
      ['update', { from: null, to: 'boss@example.com' }, [], []],
      ['update', { from: null, to: 'boss@example.com' }, [], []],
      ['create', { from: null, to: 'later@example.com' }, [], []],
      ['create', null, [], []],
      ['unchanged', null, [], []],
      ['skip', null, ['Manager Email:unknown_manager'], []],
      ['skip', null, ['Manager Email:unknown_manager'], []],
      ['skip', null, ['Manager Email:manager_is_self'], []],
      ['skip', null, ['Email:duplicate_in_file'], []],
      ['skip', null, ['null:scim_managed'], []],
      ['create', null, [], ['Manager Email:manager_not_set']],
      ['skip', null, ['Email:invalid_email'], []],
    ]);
    assert.match(rows[5]!.errors[0].message, /nobody in this organization .*nobody@example\.com/);
    assert.match(rows[9]!.errors[0].message, /manager/);
    assert.match(rows[10]!.notes[0].message, /row 12/);
    assert.equal(res.body.counts.update, 2);
  });

  it('reads the Manager and Manager User Name headers too, in any case and spacing', async () => {
    const org = await seedOrg(t.container, 'mgr-headers');
    await addUser(t, org, { userName: 'boss', email: 'boss@example.com' });
    for (const header of ['manager', 'MANAGER USER NAME', 'Manager_Email']) {
      const res = await upload(t, org, csv(`Email,${header}`, 'a@example.com,boss')).expect(201);
      assert.deepEqual(res.body.columns.unknown, []);
      assert.deepEqual((await previewRows(t, org, res.body.id))[0]!.changes.manager, { from: null, to: 'boss@example.com' });
    }
  });

  for (const noInvite of [false, true]) {
    it(`sets a manager the same file creates, after every row is applied, audited and in the feed as user.updated (${noInvite ? 'created directly' : 'invited'})`, async () => {
      const org = await seedOrg(t.container, `mgr-commit-${noInvite}`);
      await addUser(t, org, { userName: 'old@example.com' });
      await t.container.events.publishAll();
      const start = String((await api(t, org).get('/events?limit=1000').expect(200)).body.cursor);
      const file = csv('Email,Manager', 'old@example.com,chief@example.com', 'mid@example.com,chief@example.com', 'chief@example.com,');
      const res = await upload(t, org, file, noInvite ? { noInvite: 'true' } : {}).expect(201);
      const done = await commit(t, org, res.body.id).expect(200);
      assert.equal(done.body.status, 'committed');
      assert.equal(done.body.progress.manager, 2);
      assert.deepEqual([done.body.progress.managerPassDone, done.body.progress.managerPassTotal], [2, 2]);
      assert.deepEqual([await managerOf('old@example.com'), await managerOf('mid@example.com'), await managerOf('chief@example.com')], ['chief@example.com', 'chief@example.com', null]);
      const chief = (await sql(t, 'select id from users where org_id = ? and email = ?', [org.id, 'chief@example.com']))[0]!.id as string;
      const old = (await sql(t, 'select id from users where org_id = ? and email = ?', [org.id, 'old@example.com']))[0]!.id as string;
      const [audit] = await sql(t, `select details from audit_events where target_id = ? and action = 'user.updated'`, [old]);
      assert.deepEqual((audit!.details as Json).changes, { managerId: { from: null, to: chief } });
      await t.container.events.publishAll();
      const events = (await api(t, org).get(`/events?after=${start}&limit=1000`).expect(200)).body.events as Json[];
      const managed = events.filter((e) => e.type === 'user.updated' && e.data.changes?.managerId);
      assert.deepEqual(managed.map((e) => [e.resource.email, e.data.changes.managerId.after, e.source]).sort(), [['mid@example.com', chief, 'csv'], ['old@example.com', chief, 'csv']]);
      assert.deepEqual((await previewRows(t, org, res.body.id)).map((r) => [r.outcome, r.notes]), [['applied', []], ['applied', []], ['applied', []]]);
    });
  }

  it('a row changing a field and naming a manager who exists sets both in one user.updated, and one feed event', async () => {
    const org = await seedOrg(t.container, 'mgr-one-event');
    const boss = await addUser(t, org, { userName: 'oboss@example.com' });
    const person = await addUser(t, org, { userName: 'oann@example.com' });
    await t.container.events.publishAll();
    const start = String((await api(t, org).get('/events?limit=1000').expect(200)).body.cursor);
    const res = await upload(t, org, csv('Email,Title,Manager', 'oann@example.com,Engineer,oboss@example.com'), { noInvite: 'true' }).expect(201);
    const done = await commit(t, org, res.body.id).expect(200);
    assert.equal(done.body.progress.manager, 1);
    assert.equal(done.body.progress.managerPassTotal, undefined);
    const audits = await sql(t, `select details from audit_events where target_id = ? and action = 'user.updated'`, [person]);
    assert.deepEqual(audits.map((a) => (a.details as Json).changes), [{ title: { from: null, to: 'Engineer' }, managerId: { from: null, to: boss } }]);
    await t.container.events.publishAll();
    const events = ((await api(t, org).get(`/events?after=${start}&limit=1000`).expect(200)).body.events as Json[]).filter((e) => e.type === 'user.updated');
    assert.deepEqual(events.map((e) => [e.resource.email, Object.keys(e.data.changes).sort(), e.data.changes.managerId.after, e.source]), [['oann@example.com', ['managerId', 'title'], boss, 'csv']]);
    assert.deepEqual((await previewRows(t, org, res.body.id)).map((r) => [r.outcome, r.notes]), [['applied', []]]);
  });

  it('a sync sets managers as an upsert does, alongside the people it disables', async () => {
    const org = await seedOrg(t.container, 'mgr-sync');
    await addUser(t, org, { userName: 'stays@example.com' });
    await addUser(t, org, { userName: 'leaves@example.com' });
    const res = await upload(t, org, csv('Email,Manager', 'stays@example.com,lead@example.com', 'lead@example.com,'), { mode: 'sync', noInvite: 'true' }).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.label, r.action, r.changes.manager ?? null]), [
      ['stays@example.com', 'update', { from: null, to: 'lead@example.com' }], ['lead@example.com', 'create', null], ['leaves@example.com', 'disable', null],
    ]);
    const done = await commit(t, org, res.body.id, { rows: 'all', force: true }).expect(200);
    assert.equal(done.body.progress.manager, 1);
    assert.deepEqual([await managerOf('stays@example.com'), await managerOf('leaves@example.com')], ['lead@example.com', null]);
  });

  it('chosen rows: a row whose manager row was not chosen, or failed, applies and says manager_not_set', async () => {
    const org = await seedOrg(t.container, 'mgr-chosen');
    const file = csv('Email,Manager', 'one@example.com,chief@example.com', 'two@example.com,taken@example.com', 'chief@example.com,', 'taken@example.com,');
    const res = await upload(t, org, file, { noInvite: 'true' }).expect(201);
    await addUser(t, org, { userName: 'taken@example.com', email: 'elsewhere@example.com' });
    const done = await commit(t, org, res.body.id, { rows: [1, 2, 4] }).expect(200);
    assert.equal(done.body.status, 'committed');
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.outcome, r.notes.map((n: Json) => n.reason)]), [['applied', ['manager_not_set']], ['applied', ['manager_not_set']], [null, []], ['failed', []]]);
    assert.match(rows[0]!.notes[0].message, /row 3 .*not applied/);
    assert.deepEqual([await managerOf('one@example.com'), await managerOf('two@example.com')], [null, null]);
  });

  it('a manager the directory refuses at commit (deleted since, the person now the IdP\'s) is not set, and the row says why; one already set is no event', async () => {
    const org = await seedOrg(t.container, 'mgr-refused');
    for (const name of ['a', 'b', 'c', 'd']) await addUser(t, org, { userName: `r${name}@example.com` });
    const boss = await addUser(t, org, { userName: 'rboss@example.com' });
    const gone = await addUser(t, org, { userName: 'rgone@example.com' });
    const file = csv('Email,Manager', 'ra@example.com,rboss@example.com', 'rb@example.com,rgone@example.com', 'rc@example.com,rboss@example.com', 'rd@example.com,rboss@example.com');
    const res = await upload(t, org, file, { noInvite: 'true' }).expect(201);
    await api(t, org).delete(`/users/${gone}`, { confirmEmail: 'rgone@example.com' }).expect(200);
    await sql(t, `update users set source = 'scim' where org_id = ? and user_name = 'rc@example.com'`, [org.id]);
    const d = (await sql(t, `select id from users where org_id = ? and user_name = 'rd@example.com'`, [org.id]))[0]!.id as string;
    await api(t, org).patch(`/users/${d}`, { managerId: boss }).expect(200);
    const done = await commit(t, org, res.body.id).expect(200);
    assert.equal(done.body.progress.manager, 1);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(rows.map((r) => [r.outcome, r.notes.map((n: Json) => `${n.column}:${n.reason}`)]), [
      ['applied', []], ['applied', ['Manager:manager_not_set']], ['applied', ['Manager:manager_not_set']], ['applied', []],
    ]);
    assert.match(rows[1]!.notes[0].message, /rgone@example\.com.*deleted/);
    assert.match(rows[2]!.notes[0].message, /identity provider/);
    assert.deepEqual([await managerOf('ra@example.com'), await managerOf('rb@example.com'), await managerOf('rc@example.com'), await managerOf('rd@example.com')], ['rboss@example.com', null, null, 'rboss@example.com']);
    const audits = await sql(t, `select target_label from audit_events where org_id = ? and action = 'user.updated' and door = 'csv' and details -> 'changes' -> 'managerId' is not null`, [org.id]);
    assert.deepEqual(audits.map((a) => a.target_label), ['ra@example.com']);
  });

  it('a commit killed between batches, and again in its manager pass, resumes and sets each manager exactly once', async () => {
    const org = await seedOrg(t.container, 'mgr-resume');
    const lines = Array.from({ length: 6 }, (_, i) => `p${i}@example.com,boss@example.com`);
    const res = await upload(t, org, csv('Email,Manager', ...lines, 'boss@example.com,'), { noInvite: 'true' }).expect(201);
    const fork = () => t.container.fork();
    // Rows: 4 batches of 2 (the boss is in the last); managers: 3 batches of 2.
    await assert.rejects(commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 2, afterBatch: (n) => { if (n === 2) throw new Error('killed'); } }), /killed/);
    await assert.rejects(commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 2, afterBatch: (n) => { if (n === 3) throw new Error('killed'); } }), /killed/);
    const midway = await sql(t, 'select count(*)::int as n from users where org_id = ? and manager_id is not null', [org.id]);
    assert.equal(midway[0]!.n, 2);
    const done = await commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 2 });
    assert.equal(done.status, 'committed');
    assert.equal(done.progress.manager, 6);
    assert.deepEqual([done.progress.managerPassDone, done.progress.managerPassTotal], [6, 6]);
    for (let i = 0; i < 6; i++) assert.equal(await managerOf(`p${i}@example.com`), 'boss@example.com');
    const audits = await sql(t, `select count(*)::int as n from audit_events where org_id = ? and action = 'user.updated' and details -> 'changes' -> 'managerId' is not null`, [org.id]);
    assert.equal(audits[0]!.n, 6);
  });

  it('a commit killed between batches sets each existing manager of its update rows once, with the row', async () => {
    const org = await seedOrg(t.container, 'mgr-resume-rows');
    await addUser(t, org, { userName: 'qboss@example.com' });
    for (let i = 0; i < 4; i++) await addUser(t, org, { userName: `q${i}@example.com` });
    const lines = Array.from({ length: 4 }, (_, i) => `q${i}@example.com,Lead,qboss@example.com`);
    const res = await upload(t, org, csv('Email,Title,Manager', ...lines), { noInvite: 'true' }).expect(201);
    const fork = () => t.container.fork();
    await assert.rejects(commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 2, afterBatch: (n) => { if (n === 1) throw new Error('killed'); } }), /killed/);
    const done = await commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 2 });
    assert.equal(done.progress.manager, 4);
    const audits = await sql(t, `select target_label, details -> 'changes' as changes from audit_events where org_id = ? and action = 'user.updated' order by target_label`, [org.id]);
    assert.deepEqual(audits.map((a) => [a.target_label, Object.keys(a.changes as Json).sort()]), [0, 1, 2, 3].map((i) => [`q${i}@example.com`, ['managerId', 'title']]));
  });

  const createPaths = [
    { path: 'bulk create', noInvite: true, seats: false },
    { path: 'bulk invite', noInvite: false, seats: false },
    { path: 'per-row create (seat limit)', noInvite: true, seats: true },
    { path: 'per-row invite (seat limit)', noInvite: false, seats: true },
  ];
  for (const { path, noInvite, seats } of createPaths) {
    it(`creates a new person with a manager who exists already: one user.created carrying the manager, no user.updated; one deleted since is not set (${path})`, async () => {
      const org = await seedOrg(t.container, `mgr-create-${noInvite}-${seats}`);
      const boss = await addUser(t, org, { userName: 'cboss@example.com' });
      const gone = await addUser(t, org, { userName: 'cgone@example.com' });
      await t.container.events.publishAll();
      const start = String((await api(t, org).get('/events?limit=1000').expect(200)).body.cursor);
      const res = await upload(t, org, csv('Email,Manager', 'cnew@example.com,cboss@example.com', 'cother@example.com,cgone@example.com'), noInvite ? { noInvite: 'true' } : {}).expect(201);
      await api(t, org).delete(`/users/${gone}`, { confirmEmail: 'cgone@example.com' }).expect(200);
      if (seats) await setSeatLimit(t, org, 100);
      const done = await commit(t, org, res.body.id).expect(200);
      assert.equal(done.body.status, 'committed');
      assert.equal(done.body.progress.manager, 1);
      assert.equal(done.body.progress.managerPassTotal, undefined);
      assert.deepEqual([await managerOf('cnew@example.com'), await managerOf('cother@example.com')], ['cboss@example.com', null]);
      const audits = await sql(t, `select action, target_label from audit_events where org_id = ? and action in ('user.created', 'user.updated') and target_label in ('cnew@example.com', 'cother@example.com') order by id`, [org.id]);
      assert.deepEqual(audits.map((a) => [a.action, a.target_label]), [['user.created', 'cnew@example.com'], ['user.created', 'cother@example.com']]);
      await t.container.events.publishAll();
      const events = ((await api(t, org).get(`/events?after=${start}&limit=1000`).expect(200)).body.events as Json[]).filter((e) => e.type.startsWith('user.') && e.resource.email !== 'cgone@example.com');
      assert.deepEqual(events.map((e) => [e.type, e.resource.email, e.resource.managerId, e.resource.manager?.id ?? null]), [
        ['user.created', 'cnew@example.com', boss, boss], ['user.created', 'cother@example.com', null, null],
      ]);
      const rows = await previewRows(t, org, res.body.id);
      assert.deepEqual(rows.map((r) => [r.outcome, r.notes.map((n: Json) => `${n.column}:${n.reason}`)]), [['applied', []], ['applied', ['Manager:manager_not_set']]]);
      assert.match(rows[1]!.notes[0].message, /cgone@example\.com.*deleted/);
    });
  }

  for (const noInvite of [true, false]) {
    it(`a commit killed between batches creates each new person with their existing manager once, never setting it again on resume (${noInvite ? 'created directly' : 'invited'})`, async () => {
      const org = await seedOrg(t.container, `mgr-resume-create-${noInvite}`);
      await addUser(t, org, { userName: 'kboss@example.com' });
      const lines = Array.from({ length: 4 }, (_, i) => `k${i}@example.com,kboss@example.com`);
      const res = await upload(t, org, csv('Email,Manager', ...lines), noInvite ? { noInvite: 'true' } : {}).expect(201);
      const fork = () => t.container.fork();
      await assert.rejects(commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 2, afterBatch: (n) => { if (n === 1) throw new Error('killed'); } }), /killed/);
      const midway = await sql(t, 'select count(*)::int as n from users where org_id = ? and manager_id is not null', [org.id]);
      assert.equal(midway[0]!.n, 2);
      const done = await commitImport(fork, scopeOf(org), deps, res.body.id, { rows: 'all' }, { batchSize: 2 });
      assert.equal(done.status, 'committed');
      assert.equal(done.progress.manager, 4);
      assert.equal(done.progress.managerPassTotal, undefined);
      for (let i = 0; i < 4; i++) assert.equal(await managerOf(`k${i}@example.com`), 'kboss@example.com');
      const audits = await sql(t, `select count(*)::int as n from audit_events where org_id = ? and action = 'user.updated'`, [org.id]);
      assert.equal(audits[0]!.n, 0);
    });
  }
});
