import assert from 'node:assert/strict';
import { seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { addUser, api, createPeopleTestApp, setSeatLimit, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions walk parsed JSON bodies
type Json = Record<string, any>;

/**
 * The Manager column never closes a loop of managers (A's manager B, B's manager A): with the
 * file's other rows applied, a row whose manager would close one is refused at preview
 * (`manager_cycle` on the Manager column, naming the loop); the other rows apply.
 */
describe('CSV import: the Manager column refuses a loop of managers', function () {
  this.timeout(300_000);
  let t: TestApp;
  const managerOf = async (org: SeededOrg, email: string): Promise<string | null> => {
    const [row] = await sql(t, 'select m.email from users u left join users m on m.id::text = u.manager_id where u.org_id = ? and u.email = ?', [org.id, email]);
    return (row?.email as string | null) ?? null;
  };
  const brief = (rows: Json[]) => rows.map((r) => [r.label, r.action, r.errors.map((e: Json) => `${e.column}:${e.reason}`), (r.notes ?? []).map((n: Json) => `${n.column}:${n.reason}`)]);
  const setManager = async (org: SeededOrg, id: string, managerId: string) => api(t, org).patch(`/users/${id}`, { managerId }).expect(200);

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  it('refuses a row whose manager is below the person already (A → B → A), naming the loop; the other rows apply', async () => {
    const org = await seedOrg(t.container, 'cyc-existing');
    const a = await addUser(t, org, { userName: 'a@example.com' });
    const b = await addUser(t, org, { userName: 'b@example.com' });
    await addUser(t, org, { userName: 'c@example.com' });
    await setManager(org, b, a);
    const res = await upload(t, org, csv('Email,Title,Manager', 'a@example.com,Lead,b@example.com', 'c@example.com,,a@example.com'), { noInvite: 'true' }).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(brief(rows), [
      ['a@example.com', 'skip', ['Manager:manager_cycle'], []],
      ['c@example.com', 'update', [], []],
    ]);
    assert.match(rows[0]!.errors[0].message, /a@example\.com → b@example\.com → a@example\.com/);
    assert.equal(res.body.counts.errors, 1);
    await commit(t, org, res.body.id).expect(200);
    assert.deepEqual([await managerOf(org, 'a@example.com'), await managerOf(org, 'c@example.com')], [null, 'a@example.com']);
  });

  it('refuses the last row of a loop the file makes among existing people (A → B → C → A), and commits the others', async () => {
    const org = await seedOrg(t.container, 'cyc-file');
    for (const name of ['a', 'b', 'c']) await addUser(t, org, { userName: `${name}@example.com` });
    const res = await upload(t, org, csv('Email,Manager', 'a@example.com,b@example.com', 'b@example.com,c@example.com', 'c@example.com,a@example.com'), { noInvite: 'true' }).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(brief(rows).map((r) => [r[1], r[2]]), [['update', []], ['update', []], ['skip', ['Manager:manager_cycle']]]);
    assert.match(rows[2]!.errors[0].message, /c@example\.com → a@example\.com → b@example\.com → c@example\.com/);
    const done = await commit(t, org, res.body.id).expect(200);
    assert.equal(done.body.progress.manager, 2);
    assert.deepEqual([await managerOf(org, 'a@example.com'), await managerOf(org, 'b@example.com'), await managerOf(org, 'c@example.com')], ['b@example.com', 'c@example.com', null]);
  });

  it('refuses a loop among people the file creates: the refused row creates nobody, and the row naming them says manager_not_set', async () => {
    const org = await seedOrg(t.container, 'cyc-new');
    const res = await upload(t, org, csv('Email,Manager', 'x@example.com,y@example.com', 'y@example.com,x@example.com', 'z@example.com,z2@example.com', 'z2@example.com,'), { noInvite: 'true' }).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(brief(rows), [
      ['x@example.com', 'create', [], ['Manager:manager_not_set']],
      ['y@example.com', 'skip', ['Manager:manager_cycle'], []],
      ['z@example.com', 'create', [], []],
      ['z2@example.com', 'create', [], []],
    ]);
    assert.match(rows[1]!.errors[0].message, /y@example\.com → x@example\.com → y@example\.com/);
  });

  it('in an org with a seat limit, a new person refused for a loop holds no seat: the rows after them get it, in the preview and at commit', async () => {
    const org = await seedOrg(t.container, 'cyc-seats');
    await addUser(t, org, { userName: 'first@example.com' });
    // Two seats left: x and y would take them, but y is refused (the loop's last row), so z gets the second.
    await setSeatLimit(t, org, 3);
    const res = await upload(t, org, csv('Email,Manager', 'x@example.com,y@example.com', 'y@example.com,x@example.com', 'z@example.com,', 'w@example.com,'), { noInvite: 'true' }).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(brief(rows), [
      ['x@example.com', 'create', [], ['Manager:manager_not_set']],
      ['y@example.com', 'skip', ['Manager:manager_cycle'], []],
      ['z@example.com', 'create', [], []],
      ['w@example.com', 'skip', ['null:no_seats'], []],
    ]);
    assert.deepEqual([res.body.counts.create, res.body.counts.errors], [2, 2]);
    const done = await commit(t, org, res.body.id).expect(200);
    assert.deepEqual([done.body.progress.applied, done.body.progress.failed], [2, 0]);
    const people = await sql(t, "select email from users where org_id = ? and state = 'active' order by email", [org.id]);
    assert.deepEqual(people.map((p) => p.email), ['first@example.com', 'x@example.com', 'z@example.com']);
  });

  it('in an org with a seat limit, a reactivation refused for a loop holds no seat either: a later reactivation gets it', async () => {
    const org = await seedOrg(t.container, 'cyc-seats-back');
    const a = await addUser(t, org, { userName: 'a@example.com', state: 'disabled' });
    const b = await addUser(t, org, { userName: 'b@example.com' });
    await addUser(t, org, { userName: 'c@example.com', state: 'disabled' });
    await setManager(org, b, a);
    // b holds the only seat in use: one is left.
    await setSeatLimit(t, org, 2);
    const res = await upload(t, org, csv('Email,Status,Manager', 'a@example.com,Active,b@example.com', 'c@example.com,Active,'), { noInvite: 'true' }).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(brief(rows), [
      ['a@example.com', 'skip', ['Manager:manager_cycle'], []],
      ['c@example.com', 'update', [], []],
    ]);
    await commit(t, org, res.body.id).expect(200);
    const states = await sql(t, 'select email, state from users where org_id = ? order by email', [org.id]);
    assert.deepEqual(states.map((u) => `${u.email}:${u.state}`), ['a@example.com:disabled', 'b@example.com:active', 'c@example.com:active']);
  });

  it('accepts a swap the whole file makes (A was C’s manager; now C is A’s, and C gets a new one): no loop once every row applies', async () => {
    const org = await seedOrg(t.container, 'cyc-swap');
    const a = await addUser(t, org, { userName: 'a@example.com' });
    await addUser(t, org, { userName: 'b@example.com' });
    const c = await addUser(t, org, { userName: 'c@example.com' });
    await setManager(org, c, a);
    const res = await upload(t, org, csv('Email,Manager', 'a@example.com,c@example.com', 'c@example.com,b@example.com'), { noInvite: 'true' }).expect(201);
    assert.deepEqual(brief(await previewRows(t, org, res.body.id)).map((r) => [r[1], r[2]]), [['update', []], ['update', []]]);
    await commit(t, org, res.body.id).expect(200);
    assert.deepEqual([await managerOf(org, 'a@example.com'), await managerOf(org, 'c@example.com')], ['c@example.com', 'b@example.com']);
  });

  it('a refused row keeps its person’s manager: when that manager closes another loop with the file, that row is refused too', async () => {
    // A's manager is C. Rows: C → A, B → A, A → B. A → B closes A → B → A (refused, the last row of the loop);
    // A keeps C, so C → A now closes A → C → A: refused too. B → A applies.
    const org = await seedOrg(t.container, 'cyc-cascade');
    const a = await addUser(t, org, { userName: 'a@example.com' });
    await addUser(t, org, { userName: 'b@example.com' });
    const c = await addUser(t, org, { userName: 'c@example.com' });
    await setManager(org, a, c);
    const res = await upload(t, org, csv('Email,Manager', 'c@example.com,a@example.com', 'b@example.com,a@example.com', 'a@example.com,b@example.com'), { noInvite: 'true' }).expect(201);
    const rows = await previewRows(t, org, res.body.id);
    assert.deepEqual(brief(rows).map((r) => [r[1], r[2]]), [['skip', ['Manager:manager_cycle']], ['update', []], ['skip', ['Manager:manager_cycle']]]);
    assert.match(rows[0]!.errors[0].message, /c@example\.com → a@example\.com → c@example\.com/);
    assert.match(rows[2]!.errors[0].message, /a@example\.com → b@example\.com → a@example\.com/);
    await commit(t, org, res.body.id).expect(200);
    assert.deepEqual([await managerOf(org, 'a@example.com'), await managerOf(org, 'b@example.com'), await managerOf(org, 'c@example.com')], ['c@example.com', 'a@example.com', null]);
  });

  it('leaves alone a loop the IdP made that no row is on, and a chain through a deleted person', async () => {
    const org = await seedOrg(t.container, 'cyc-idp');
    const p = await addUser(t, org, { userName: 'p@example.com', source: 'scim' });
    const q = await addUser(t, org, { userName: 'q@example.com', source: 'scim' });
    await sql(t, 'update users set manager_id = ? where id = ?', [q, p]);
    await sql(t, 'update users set manager_id = ? where id = ?', [p, q]);
    // gone (deleted since) was top's report and x's manager: top naming x closes no loop while gone is deleted.
    const top = await addUser(t, org, { userName: 'top@example.com' });
    const gone = await addUser(t, org, { userName: 'gone@example.com' });
    const x = await addUser(t, org, { userName: 'x@example.com' });
    await setManager(org, gone, top);
    await setManager(org, x, gone);
    await api(t, org).delete(`/users/${gone}`, { confirmEmail: 'gone@example.com' }).expect(200);
    await addUser(t, org, { userName: 'r@example.com' });
    const res = await upload(t, org, csv('Email,Manager', 'r@example.com,p@example.com', 'top@example.com,x@example.com'), { noInvite: 'true' }).expect(201);
    assert.deepEqual(brief(await previewRows(t, org, res.body.id)).map((r) => [r[1], r[2]]), [['update', []], ['update', []]]);
  });
});
