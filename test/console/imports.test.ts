import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { checkPage, contextWithCookie, watchConsole } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { asPerson, signIn, type SignedIn } from '../admin/support.ts';
import { addUser } from '../people/support.ts';

/** Issue 10: Import CSV — upload, preview with counts and problems, select rows, commit with a live progress bar, report. */
describe('console CSV import in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'import-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  const statusOf = async (email: string): Promise<string | null> => {
    const res = await asPerson(s.t, s.acme, admin)('get', `/users?status=enabled&q=${encodeURIComponent(email)}`);
    const found = (res.body.users as Array<{ email: string; status: string }>).find((u) => u.email === email);
    return found?.status ?? null;
  };

  it('previews a file with counts and a named problem, then commits the selected rows with the progress bar reaching 100%', async () => {
    // addUser gives everyone Given / Family: the same names in the file leave this person unchanged.
    await addUser(s.t, s.acme, { userName: 'steady@acme.test' });
    const csv = [
      'Email,Given Name,Family Name',
      'ann@acme.test,Ann,Archer',
      'bob@acme.test,Bob,Baker',
      'cy@acme.test,Cy,Cole',
      'not-an-email,Bad,Row',
      'steady@acme.test,Given,Family',
    ].join('\r\n');
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/imports`);
    await checkPage(page, 'imports');
    await page.getByLabel('Add or update people').check();
    await page.getByLabel('Add new people as active without sending invitations').check();
    await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    await page.waitForURL(/\/console\/imports\/[0-9a-f-]{36}$/);
    const importId = page.url().split('/').pop()!;

    const count = async (action: string) => (await page.locator(`[data-count="${action}"]`).textContent())?.trim();
    assert.deepEqual([await count('create'), await count('unchanged'), await count('skip'), await count('errors')], ['3', '1', '1', '1']);
    const badRow = page.getByRole('row', { name: /not-an-email/ });
    assert.match((await badRow.textContent()) ?? '', /Column “Email”: is not a valid email address/);
    assert.match((await badRow.textContent()) ?? '', /\b5\b/, 'the file line number (header = line 1)');
    await checkPage(page, 'import-preview');

    await page.getByRole('checkbox', { name: /ann@acme\.test/ }).check();
    await page.getByRole('checkbox', { name: /bob@acme\.test/ }).check();
    await page.getByRole('button', { name: 'Commit selected rows' }).click();
    const bar = page.locator('progress#import-progress-bar');
    await page.waitForFunction(() => {
      const el = document.querySelector<HTMLProgressElement>('progress#import-progress-bar');
      return el !== null && el.max > 0 && el.value === el.max;
    });
    assert.equal(await bar.evaluate((el: HTMLProgressElement) => [el.value, el.max].join('/')), '2/2');
    // A poll can fill the bar a moment before the commit's own answer is said.
    await page.getByRole('status').filter({ hasText: /rows applied/ }).waitFor();
    assert.match((await page.getByRole('status').textContent()) ?? '', /2 rows applied/);

    await page.getByRole('link', { name: 'See the final report' }).click();
    await page.getByRole('heading', { name: 'Final report' }).waitFor();
    const report = async (key: string) => (await page.locator(`[data-report="${key}"]`).textContent())?.trim();
    assert.deepEqual([await report('applied'), await report('create'), await report('failed')], ['2', '2', '0']);
    assert.equal(await bar.evaluate((el: HTMLProgressElement) => el.value === el.max), true);
    const download = page.getByRole('link', { name: /Download the report/ });
    const href = await download.getAttribute('href');
    assert.equal(href, `/api/orgs/acme/imports/${importId}/report.csv`);
    const csvReport = await page.evaluate(async (url) => (await fetch(url!)).text(), href);
    assert.match(csvReport, /^\uFEFF?Line,Row,Person,Action,Outcome,Changes,Problems,Notes\r\n/);
    assert.match(csvReport, /ann@acme\.test,create,applied/);
    await checkPage(page, 'import-report');
    await page.goto(`${s.origin}/console/imports`);
    assert.equal(await page.getByRole('link', { name: /people\.csv|Untitled file/ }).first().getAttribute('href'), `/console/imports/${importId}`);
    await checkPage(page, 'imports-recent');

    assert.equal(await statusOf('ann@acme.test'), 'active');
    assert.equal(await statusOf('bob@acme.test'), 'active');
    assert.equal(await statusOf('cy@acme.test'), null, 'an unselected row is not applied');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('commits selected rows that disable nobody without the mass-disable confirmation a sync of the whole file needs; committing all without it names the threshold', async () => {
    // Enabled people the sync file leaves out: more than the 20% threshold of the org's enabled people.
    for (const name of ['left1', 'left2', 'left3']) await addUser(s.t, s.acme, { userName: `${name}@acme.test` });
    const csv = ['Email,Given Name,Family Name', `import-admin@acme.test,Given,Family`, 'newbie@acme.test,New,Bie'].join('\r\n');
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/imports`);
    await page.getByLabel('Weekly sync').check();
    await page.getByLabel('Add new people as active without sending invitations').check();
    await page.getByLabel('CSV file').setInputFiles({ name: 'weekly.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    await page.waitForURL(/\/console\/imports\/[0-9a-f-]{36}$/);
    const force = page.getByLabel(/disable them anyway/);
    await force.waitFor();

    await page.getByRole('button', { name: /Commit all/ }).click();
    const refused = page.locator('[data-form-error]');
    await refused.waitFor();
    assert.match((await refused.textContent()) ?? '', /would disable \d+ of \d+ enabled people, more than the threshold of 20%\. Nothing was committed: tick “disable them anyway”/);
    assert.equal(await statusOf('left1@acme.test'), 'active', 'nothing disabled without the confirmation');
    assert.deepEqual(problems.splice(0), ['console.error: Failed to load resource: the server responded with a status of 409 (Conflict)']);

    await page.getByRole('checkbox', { name: /newbie@acme\.test/ }).check();
    await page.getByRole('button', { name: 'Commit selected rows' }).click();
    await page.getByRole('status').filter({ hasText: /rows? applied/ }).waitFor();
    assert.equal(await statusOf('newbie@acme.test'), 'active');
    assert.equal(await statusOf('left1@acme.test'), 'active', 'the selected row disables nobody');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('names the problem when the file cannot be matched to people', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/imports`);
    await page.getByLabel('CSV file').setInputFiles({ name: 'odd.csv', mimeType: 'text/csv', buffer: Buffer.from('Colour,Shape\nred,round\n') });
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /no Email column/);
    assert.match(page.url(), /\/console\/imports$/);
    await context.close();
  });

  it('tells a member who may upload but not commit this import which permission the commit needs, before any click', async () => {
    const clerk = await signIn(s.t, s.acme, 'import-clerk@acme.test', { permissions: ['users.edit'] });
    await addUser(s.t, s.acme, { userName: 'leaving-soon@acme.test' });
    const preview = await asPerson(s.t, s.acme, clerk)('post', '/imports?mode=upsert').set('Content-Type', 'text/csv').send('Email,Status\r\nleaving-soon@acme.test,disabled\r\n');
    assert.equal(preview.status, 201, JSON.stringify(preview.body));
    assert.deepEqual(preview.body.commitNeeds, ['users.disable']);
    const res = await fetch(`${s.origin}/console/imports/${preview.body.id}`, { headers: { cookie: clerk.cookie } });
    const text = await res.text();
    assert.match(text, /Committing this import needs the users\.disable permission/);
    assert.doesNotMatch(text, /Commit all/);
    const mine = await fetch(`${s.origin}/console/imports/${preview.body.id}`, { headers: { cookie: admin.cookie } });
    assert.match(await mine.text(), /Commit all/, 'an org admin may commit it');
  });

  it('shows a member without users.edit no upload and answers 403 on the import pages', async () => {
    const member = await signIn(s.t, s.acme, 'import-member@acme.test');
    const res = await fetch(`${s.origin}/console/imports`, { headers: { cookie: member.cookie } });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /users\.edit/);
    const context = await contextWithCookie(browser, s.origin, member.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/groups`);
    const sections = await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents();
    assert.ok(!sections.includes('Import CSV') && !sections.includes('Exports') && !sections.includes('Audit'));
    assert.equal(await page.locator('input[type="file"], form[data-api="POST /groups"]').count(), 0);
    await page.goto(`${s.origin}/console/imports`);
    await checkPage(page, 'imports-forbidden');
    assert.equal(await page.locator('input[type="file"]').count(), 0);
    await context.close();
  });
  it('shows the Manager column\'s last pass as a phase of its own once every row is processed', async () => {
    const csv = ['Email,Given Name,Family Name,Manager', 'phase-a@acme.test,Pha,Sea,phase-b@acme.test', 'phase-b@acme.test,Pha,Seb,'].join('\r\n');
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/imports`);
    await page.getByLabel('Add or update people').check();
    await page.getByLabel('Add new people as active without sending invitations').check();
    await page.getByLabel('CSV file').setInputFiles({ name: 'managers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Upload and preview' }).click();
    await page.waitForURL(/\/console\/imports\/[0-9a-f-]{36}$/);
    const importId = page.url().split('/').pop()!;
    // The commit is held while the poll answers as the server does during the last pass.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(`**/api/orgs/acme/imports/${importId}/commit`, async (route) => {
      await held;
      await route.continue();
    });
    const summary = await (await page.request.get(`${s.origin}/api/orgs/acme/imports/${importId}`, { headers: { accept: 'application/json' } })).json();
    await page.route(`**/api/orgs/acme/imports/${importId}`, (route) => route.fulfill({
      json: { ...summary, status: 'committing', progress: { ...summary.progress, total: 2, processed: 2, applied: 2, managerPassTotal: 5, managerPassDone: 3 } },
    }));
    await page.getByRole('button', { name: 'Commit all 2 rows' }).click();
    await page.getByText('All 2 rows processed; setting managers: 3 of 5').waitFor();
    assert.equal(await page.locator('progress#import-progress-bar').evaluate((el: HTMLProgressElement) => [el.value, el.max].join('/')), '3/5');
    await page.unroute(`**/api/orgs/acme/imports/${importId}`);
    release();
    await page.getByRole('status').filter({ hasText: /2 rows applied/ }).waitFor();
    assert.equal(await page.locator('progress#import-progress-bar').evaluate((el: HTMLProgressElement) => el.value === el.max), true);
    assert.deepEqual(problems, []);
    await context.close();
  });
});
