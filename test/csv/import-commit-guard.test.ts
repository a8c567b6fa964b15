import assert from 'node:assert/strict';
import { seedOrg, type TestApp } from '../support/app.ts';
import { addUser, createPeopleTestApp, sql } from '../people/support.ts';
import { commit, csv, previewRows, upload } from './import-support.ts';

/**
 * The mass-disable guard weighs what a commit disables: committing chosen rows of a preview that
 * needed force (a sync's creates and updates, without the people it found missing) disables
 * only the chosen ones, so only they count.
 */
describe('CSV import commit: the mass-disable guard weighs the chosen rows', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    t = await createPeopleTestApp();
  });
  after(async () => t?.close());

  const disabled = async (orgId: string) => Number((await sql(t, `select count(*)::int as n from users where org_id = ? and state = 'disabled'`, [orgId]))[0]!.n);
  const committed = async (importId: string) => {
    const [event] = await sql(t, `select details from audit_events where action = 'import.committed' and target_id = ?`, [importId]);
    return event!.details as Record<string, unknown>;
  };

  /** A sync of a file naming one of five csv people, plus a new person: four would be disabled (needs force). */
  async function syncPreview(slug: string) {
    const org = await seedOrg(t.container, slug);
    for (let i = 0; i < 5; i++) await addUser(t, org, { userName: `p-${i}@example.com`, source: 'csv' });
    const res = await upload(t, org, csv('Email,Title', 'p-0@example.com,Boss', 'new@example.com,Clerk'), { mode: 'sync', noInvite: 'true' }).expect(201);
    assert.deepEqual(res.body.massDisable, { disable: 4, enabled: 5, threshold: 0.2, needsForce: true });
    const rows = await previewRows(t, org, res.body.id);
    const numbers = (action: string) => rows.filter((r) => r.action === action).map((r) => r.rowNumber as number);
    return { org, id: res.body.id as string, updates: [...numbers('update'), ...numbers('create')], disables: numbers('disable') };
  }

  it('commits chosen rows that disable nobody without force, and the audit records no override', async () => {
    const { org, id, updates } = await syncPreview('guard-chosen-none');
    const done = await commit(t, org, id, { rows: updates }).expect(200);
    assert.deepEqual([done.body.status, done.body.progress.applied], ['committed', 2]);
    assert.equal(await disabled(org.id), 0);
    const details = await committed(id);
    assert.equal(details.forced, false);
    assert.equal(details.massDisable, undefined);
  });

  it('still needs force when the chosen rows alone disable more than the threshold, naming their numbers', async () => {
    const { org, id, disables } = await syncPreview('guard-chosen-many');
    const refused = await commit(t, org, id, { rows: disables.slice(0, 2) }).expect(409);
    assert.equal(refused.body.error.details.reason, 'mass_disable_threshold');
    assert.deepEqual(refused.body.error.details.massDisable, { disable: 2, enabled: 5, threshold: 0.2 });
    assert.match(refused.body.error.message, /would disable 2 of the organization's 5 enabled users/);
    assert.equal(await disabled(org.id), 0);
    await commit(t, org, id, { rows: disables.slice(0, 2), force: true }).expect(200);
    assert.equal(await disabled(org.id), 2);
    const details = await committed(id);
    assert.deepEqual([details.forced, details.massDisable], [true, { disable: 2, enabled: 5, threshold: 0.2 }]);
  });

  it('lets one chosen disable under the threshold through without force', async () => {
    const org = await seedOrg(t.container, 'guard-chosen-one');
    for (let i = 0; i < 10; i++) await addUser(t, org, { userName: `q-${i}@example.com`, source: 'csv' });
    const res = await upload(t, org, csv('Email', 'q-0@example.com', 'q-1@example.com', 'q-2@example.com'), { mode: 'disable' }).expect(201);
    assert.equal(res.body.massDisable.needsForce, true);
    await commit(t, org, res.body.id, { rows: [2] }).expect(200);
    assert.equal(await disabled(org.id), 1);
    assert.equal((await committed(res.body.id)).forced, false);
  });
});
