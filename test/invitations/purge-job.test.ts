import assert from 'node:assert/strict';
import { fixedClock } from '../../src/lib/clock.ts';
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts';
import { addUser, api, sql } from '../people/support.ts';

const DAY = 86_400_000;

describe('the daily purge job', () => {
  const clock = fixedClock(new Date('2026-12-01T09:00:00Z'));
  let t: TestApp;

  before(async () => {
    t = await createTestApp({ clock });
  });
  after(() => t.close());

  it('purges users deleted more than 30 days ago when it runs, and running it twice changes nothing more', async () => {
    const org = await seedOrg(t.container, 'purgeco');
    const id = await addUser(t, org, { userName: 'old@purgeco.test' });
    await api(t, org).delete(`/users/${id}`, { confirmEmail: 'old@purgeco.test' }).expect(200);
    await sql(t, 'update users set deleted_at = ? where id = ?', [new Date(clock.now().getTime() - 31 * DAY), id]);
    assert.deepEqual(await t.container.purge.runOnce(), { purged: 1 });
    assert.deepEqual(await t.container.purge.runOnce(), { purged: 0 });
    const row = (await sql(t, 'select email, purged_at from users where id = ?', [id]))[0]!;
    assert.equal(row.email, null);
    assert.ok(row.purged_at);
  });

  it('starts an unref\'d timer and stops it on request, without running in between', async () => {
    const job = t.container.purge;
    assert.equal(job.started, false);
    job.start();
    assert.equal(job.started, true);
    await job.stop();
    assert.equal(job.started, false);
  });
});
