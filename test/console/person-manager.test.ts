import assert from 'node:assert/strict';
import request from 'supertest';
import type { Browser, Page } from 'playwright-core';
import { checkPage, openPage } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { signIn, type SignedIn } from '../admin/support.ts';
import { addUser, api, sql } from '../people/support.ts';

/** The person page over plain HTTP: the Manager field of the profile form. */
describe('console person page: the manager field', function () {
  this.timeout(60_000);
  let t: TestApp;
  let acme: SeededOrg;
  let admin: SignedIn;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    admin = await signIn(t, acme, 'manager-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => t.close());

  const page = async (id: string, cookie = admin.cookie) => (await request(t.app).get(`/console/users/${id}`).set('Cookie', cookie).expect(200)).text;

  it('offers a users.edit holder a labelled Manager input holding the manager’s email, with a hint saying what it takes', async () => {
    const boss = await addUser(t, acme, { userName: 'boss@acme.test', displayName: 'Bea Boss' });
    const id = await addUser(t, acme, { userName: 'ines@acme.test' });
    await api(t, acme).patch(`/users/${id}`, { managerId: boss }).expect(200);
    const html = await page(id);
    assert.match(html, /<label for="p-managerId">Manager<\/label><input id="p-managerId" name="managerId" type="text" value="boss@acme.test" data-type="person"[^>]* aria-describedby="p-managerId-hint"/);
    assert.match(html, /<p id="p-managerId-hint" class="hint">Their email or username; empty for no manager<\/p>/);
    const none = await page(boss);
    assert.match(none, /<input id="p-managerId" name="managerId" type="text" value=""/);
  });

  it('shows a deleted manager as a deleted person, in the facts and in the Manager field, saying how to clear them', async () => {
    const boss = await addUser(t, acme, { userName: 'gone.boss@acme.test', displayName: 'Gia Gone' });
    const id = await addUser(t, acme, { userName: 'left@acme.test' });
    await api(t, acme).patch(`/users/${id}`, { managerId: boss }).expect(200);
    await api(t, acme).delete(`/users/${boss}`, { confirmEmail: 'gone.boss@acme.test' }).expect(200);
    const html = await page(id);
    assert.match(html, new RegExp(`<dt>Manager</dt><dd><a href="/console/users/${boss}">Gia Gone</a> <span class="badge badge-deleted">Deleted</span></dd>`));
    assert.match(html, /<input id="p-managerId" name="managerId" type="text" value="gone.boss@acme.test" data-type="person"[^>]* aria-describedby="p-managerId-hint p-managerId-deleted"/);
    assert.match(html, /<p id="p-managerId-deleted" class="hint">Gia Gone is a deleted person: empty this field and save to remove them as manager\.<\/p>/);
  });

  it('shows no Manager input to a member without users.edit, nor for a person the IdP provisions', async () => {
    const member = await signIn(t, acme, 'member@acme.test', { orgRole: 'member' });
    const id = await addUser(t, acme, { userName: 'plain@acme.test' });
    assert.doesNotMatch(await page(id, member.cookie), /p-managerId/);
    await sql(t, `update users set source = 'scim' where id = ?`, [id]);
    assert.doesNotMatch(await page(id), /p-managerId/);
  });
});

/** Picking the manager in a real browser: by email or username, only-changed saving, refusals at the field. */
describe('console person page: setting the manager in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'manager-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  async function saveAndReload(page: Page): Promise<void> {
    const loaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await loaded;
  }

  const managerOf = async (id: string) => (await sql(s.t, 'select manager_id from users where id = ?', [id]))[0]!.manager_id;

  it('sets the manager typed by email or username, sending only managerId, and clears them when emptied', async () => {
    const boss = await addUser(s.t, s.acme, { userName: 'bea', email: 'bea.boss@acme.test', displayName: 'Bea Boss' });
    const id = await addUser(s.t, s.acme, { userName: 'raj@acme.test', displayName: 'Raj Iyer' });
    const { page, problems, close } = await openPage(browser, s.origin, admin.cookie);
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(JSON.parse(r.postData() ?? 'null'));
    });
    await page.goto(`${s.origin}/console/users/${id}`);
    await page.getByLabel('Manager', { exact: true }).fill('BEA.BOSS@acme.test');
    await saveAndReload(page);
    assert.equal(await managerOf(id), boss);
    assert.equal(await page.getByLabel('Manager', { exact: true }).inputValue(), 'bea.boss@acme.test');
    assert.equal(await page.getByRole('link', { name: 'Bea Boss' }).count(), 1);
    await page.getByLabel('Job title').fill('Nurse');
    await saveAndReload(page);
    await page.getByLabel('Manager', { exact: true }).fill('');
    await saveAndReload(page);
    assert.equal(await managerOf(id), null);
    await page.getByLabel('Manager', { exact: true }).fill('bea');
    await saveAndReload(page);
    assert.equal(await managerOf(id), boss);
    assert.deepEqual(sent, [{ managerId: boss }, { title: 'Nurse' }, { managerId: null }, { managerId: boss }]);
    assert.deepEqual(problems, []);
    await close();
  });

  it('clears a manager deleted since, shown as a deleted person, by emptying the Manager field', async () => {
    const boss = await addUser(s.t, s.acme, { userName: 'dee@acme.test', displayName: 'Dee Parted' });
    const id = await addUser(s.t, s.acme, { userName: 'orphan@acme.test', displayName: 'Oli Orphan' });
    await api(s.t, s.acme).patch(`/users/${id}`, { managerId: boss }).expect(200);
    await api(s.t, s.acme).delete(`/users/${boss}`, { confirmEmail: 'dee@acme.test' }).expect(200);
    const { page, problems, close } = await openPage(browser, s.origin, admin.cookie);
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(JSON.parse(r.postData() ?? 'null'));
    });
    await page.goto(`${s.origin}/console/users/${id}`);
    const field = page.getByLabel('Manager', { exact: true });
    assert.equal(await field.inputValue(), 'dee@acme.test');
    assert.match((await page.getByText('is a deleted person').textContent()) ?? '', /Dee Parted is a deleted person/);
    await checkPage(page, 'person-manager-deleted');
    await page.getByLabel('Job title').fill('Baker');
    await saveAndReload(page);
    assert.equal(await managerOf(id), boss, 'an untouched field leaves the deleted manager alone');
    await page.getByLabel('Manager', { exact: true }).fill('');
    await saveAndReload(page);
    assert.equal(await managerOf(id), null);
    assert.equal(await page.getByLabel('Manager', { exact: true }).inputValue(), '');
    assert.equal(await page.getByText('is a deleted person').count(), 0);
    assert.deepEqual(sent, [{ title: 'Baker' }, { managerId: null }]);
    assert.deepEqual(problems, []);
    await close();
  });

  it('says at the Manager field when nobody has the address, or the person would be their own manager, saving nothing', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'kai@acme.test', displayName: 'Kai Moss' });
    const { page, close } = await openPage(browser, s.origin, admin.cookie);
    await page.goto(`${s.origin}/console/users/${id}`);
    const field = page.getByLabel('Manager', { exact: true });
    const said = () => field.evaluate((el) => {
      const ids = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
      return ids.map((i) => document.getElementById(i)).find((e) => e?.classList.contains('field-error'))?.textContent ?? '';
    });
    await field.fill('nobody@acme.test');
    await page.getByLabel('Job title').fill('Porter');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await said(), /nobody in this organization has the email or username nobody@acme\.test/);
    await checkPage(page, 'person-manager-unknown');
    await field.fill('kai@acme.test');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.waitForFunction(() => /own manager/.test(document.querySelector('[data-form-error]')?.textContent ?? ''));
    assert.match(await said(), /cannot be their own manager/);
    const [row] = await sql(s.t, 'select title, manager_id from users where id = ?', [id]);
    assert.deepEqual([row!.title, row!.manager_id], [null, null]);
    await close();
  });
});
