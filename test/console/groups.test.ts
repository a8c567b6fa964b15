import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { checkPage, contextWithCookie, openPage } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { asPerson, signIn, type SignedIn } from '../admin/support.ts';
import { addUser } from '../people/support.ts';

/** Issue 10: the Entry points pages — list, create, rename, members with roles, delete with force. */
describe('console entry points in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'groups-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  const adminPage = () => openPage(browser, s.origin, admin.cookie);

  it('creates, renames, fills and deletes an entry point, asking before deleting its members', async () => {
    const ginaId = await addUser(s.t, s.acme, { userName: 'gina@acme.test', displayName: 'Gina Lopez' });
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/groups`);
    await checkPage(page, 'groups');
    await page.getByLabel('Name', { exact: true }).fill('Field Sales');
    await page.getByRole('button', { name: 'Create entry point' }).click();
    await page.waitForURL(/\/console\/groups\/[0-9a-f-]{36}$/);
    const groupId = page.url().split('/').pop()!;
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Field Sales');
    assert.match((await page.getByRole('status').textContent()) ?? '', /created/);

    await page.getByLabel('Name', { exact: true }).fill('Field Sales EMEA');
    await page.getByRole('button', { name: 'Save name and description' }).click();
    await page.getByRole('heading', { level: 1, name: 'Field Sales EMEA' }).waitFor();

    await page.getByLabel('Email address').fill('GINA@acme.test');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('link', { name: 'Gina Lopez' }).waitFor();
    assert.equal(await page.getByLabel('Role of Gina Lopez', { exact: true }).inputValue(), 'editor');
    await checkPage(page, 'group-detail');

    await page.getByLabel('Role of Gina Lopez', { exact: true }).selectOption('admin');
    await page.getByRole('button', { name: 'Change role of Gina Lopez' }).click();
    await page.getByText('Role changed to admin.').waitFor();
    const members = await asPerson(s.t, s.acme, admin)('get', `/groups/${groupId}/members`);
    assert.deepEqual(members.body.members.map((m: { userId: string; role: string }) => [m.userId, m.role]), [[ginaId, 'admin']]);

    // "Add member" for someone already in: says what it did, not "Added".
    await page.getByLabel('Email address').fill('gina@acme.test');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('gina@acme.test was already a member: role changed to viewer.').waitFor();

    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Delete Field Sales EMEA' }).click();
    await page.waitForURL(/\/console\/groups$/);
    assert.match(asked[0] ?? '', /remove its 1 member/);
    assert.equal((await asPerson(s.t, s.acme, admin)('get', `/groups/${groupId}`)).status, 404);
    assert.equal(await page.getByRole('link', { name: 'Field Sales EMEA' }).count(), 0);
    assert.deepEqual(problems, []);
    await close();
  });

  it('renames with only the fields edited, so a description another admin set meanwhile stays', async () => {
    const created = await asPerson(s.t, s.acme, admin)('post', '/groups', { displayName: 'Late Shift', description: 'Ward 3' });
    const groupId = created.body.id as string;
    const { page, problems, close } = await adminPage();
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(JSON.parse(r.postData() ?? 'null'));
    });
    await page.goto(`${s.origin}/console/groups/${groupId}`);
    assert.equal((await asPerson(s.t, s.acme, admin)('patch', `/groups/${groupId}`, { description: 'Ward 4' })).status, 200);
    await page.getByLabel('Name', { exact: true }).fill('Late Shift B');
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Save name and description' }).click();
    await reloaded;
    await page.getByRole('heading', { level: 1, name: 'Late Shift B' }).waitFor();
    assert.deepEqual(sent, [{ displayName: 'Late Shift B' }]);
    const stored = await asPerson(s.t, s.acme, admin)('get', `/groups/${groupId}`);
    assert.deepEqual([stored.body.displayName, stored.body.description], ['Late Shift B', 'Ward 4']);
    assert.equal(await page.getByLabel('Description', { exact: true }).inputValue(), 'Ward 4');

    // Nothing edited: said so, nothing sent.
    await page.getByRole('button', { name: 'Save name and description' }).click();
    await page.getByRole('status').getByText('No changes to save.').waitFor();
    assert.equal(sent.length, 1);
    assert.deepEqual(problems, []);
    await close();
  });

  it('marks the Name field when an entry point of that name exists, keeping what was typed', async () => {
    await asPerson(s.t, s.acme, admin)('post', '/groups', { displayName: 'Pharmacy' });
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/groups`);
    await page.getByLabel('Name', { exact: true }).fill('pharmacy');
    await page.getByLabel('Description (optional)').fill('Second floor');
    await page.getByRole('button', { name: 'Create entry point' }).click();
    const alert = page.locator('form.groups-create [role="alert"]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'Name: A group named "pharmacy" already exists in this organization (names are compared case-insensitively)');
    const name = page.getByLabel('Name', { exact: true });
    assert.equal(await name.getAttribute('aria-invalid'), 'true');
    assert.equal(await name.evaluate((el) => el === document.activeElement), true);
    assert.equal(await page.getByLabel('Description (optional)').inputValue(), 'Second floor');
    await checkPage(page, 'groups-create-conflict');
    assert.deepEqual(problems.filter((p) => !p.includes('409')), []);
    await close();
  });

  it('says so when the address to add belongs to nobody in the org', async () => {
    const created = await asPerson(s.t, s.acme, admin)('post', '/groups', { displayName: 'Night Shift' });
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/groups/${created.body.id}`);
    await page.getByLabel('Email address').fill('stranger@elsewhere.test');
    await page.getByRole('button', { name: 'Add member' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /nobody in this organization has the address stranger@elsewhere\.test/);
    assert.deepEqual(problems, []);
    await close();
  });

  it('adds the person whose address it is even when many other addresses contain it', async () => {
    // "bo@acme.test" is a substring of every "…bo@acme.test": the search answers them all, the exact one last.
    for (let i = 0; i < 25; i++) await addUser(s.t, s.acme, { userName: `x${i}bo@acme.test` });
    const boId = await addUser(s.t, s.acme, { userName: 'bo@acme.test', displayName: 'Bo Short' });
    const created = await asPerson(s.t, s.acme, admin)('post', '/groups', { displayName: 'Day Shift' });
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/groups/${created.body.id}`);
    await page.getByLabel('Email address').fill('bo@acme.test');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('link', { name: 'Bo Short' }).waitFor();
    const members = await asPerson(s.t, s.acme, admin)('get', `/groups/${created.body.id}/members`);
    assert.deepEqual(members.body.members.map((m: { userId: string }) => m.userId), [boId]);
    assert.deepEqual(problems, []);
    await close();
  });

  it('lists entry points with member counts and finds them by name, also at phone width', async () => {
    const one = await addUser(s.t, s.acme, { userName: 'hal@acme.test' });
    const created = await asPerson(s.t, s.acme, admin)('post', '/groups', { displayName: 'Warehouse North' });
    await asPerson(s.t, s.acme, admin)('post', `/groups/${created.body.id}/members`, { members: [{ userId: one }] });
    const context = await contextWithCookie(browser, s.origin, admin.cookie, { width: 375, height: 740 });
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/groups?q=warehouse`);
    const row = page.getByRole('row', { name: /Warehouse North/ });
    assert.match((await row.textContent()) ?? '', /Warehouse North[\s\S]*\b1\b/);
    assert.equal(await page.locator('tbody tr').count(), 1);
    await checkPage(page, 'groups-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
    await context.close();
  });

  it('shows a member without groups.manage the entry points but no way to change them, and the API refuses', async () => {
    const member = await signIn(s.t, s.acme, 'groups-member@acme.test');
    const created = await asPerson(s.t, s.acme, admin)('post', '/groups', { displayName: 'Read Only Crew' });
    const context = await contextWithCookie(browser, s.origin, member.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/groups`);
    assert.equal(await page.getByText('Create an entry point').count(), 0);
    await page.goto(`${s.origin}/console/groups/${created.body.id}`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Read Only Crew');
    assert.equal(await page.getByRole('button').filter({ hasNotText: 'Sign out' }).count(), 0);
    await checkPage(page, 'group-detail-member');
    assert.equal((await asPerson(s.t, s.acme, member)('delete', `/groups/${created.body.id}`)).status, 403);
    await context.close();
  });
});
