import assert from 'node:assert/strict';
import request from 'supertest';
import type { Browser, Page } from 'playwright-core';
import { checkPage, openPage } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../support/app.ts';
import { signIn, type SignedIn } from '../admin/support.ts';
import { addUser, api, sql } from '../people/support.ts';

/** Every field PATCH /users/:id edits, its label on the person page, and a value the API takes. */
const fields = [
  ['givenName', 'First name', 'Ines'],
  ['middleName', 'Middle name', 'Maria'],
  ['familyName', 'Last name', 'Duarte'],
  ['displayName', 'Display name', 'Ines Duarte'],
  ['nickName', 'Nickname', 'Nes'],
  ['title', 'Job title', 'Ward manager'],
  ['department', 'Department', 'Cardiology'],
  ['division', 'Division', 'Clinical'],
  ['organization', 'Organization', 'Acme Hospitals'],
  ['costCenter', 'Cost center', 'CC-4410'],
  ['employeeNumber', 'Employee number', 'E-00912'],
  ['officeLocation', 'Office', 'Lisbon'],
  ['phone', 'Phone', '+351 21 000 0000'],
  ['preferredLanguage', 'Preferred language', 'pt'],
  ['locale', 'Locale', 'pt-PT'],
  ['timezone', 'Time zone', 'Europe/Lisbon'],
] as const;

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The person page over plain HTTP: what it shows of the profile, editable or not. */
describe('console person page: every profile field the API edits', function () {
  this.timeout(60_000);
  let t: TestApp;
  let acme: SeededOrg;
  let admin: SignedIn;

  before(async () => {
    t = await createTestApp();
    acme = await seedOrg(t.container, 'acme');
    admin = await signIn(t, acme, 'profile-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => t.close());

  const page = async (id: string) => (await request(t.app).get(`/console/users/${id}`).set('Cookie', admin.cookie).expect(200)).text;

  it('offers an org admin an input, labelled and holding its value, for each field PATCH /users/:id edits', async () => {
    const id = await addUser(t, acme, { userName: 'ines@acme.test' });
    await api(t, acme).patch(`/users/${id}`, Object.fromEntries(fields.map(([name, , value]) => [name, value]))).expect(200);
    const html = await page(id);
    for (const [name, label, value] of fields) {
      assert.match(html, new RegExp(`<label for="p-${name}">${escaped(label)}</label>`), `${name} has its label`);
      assert.match(html, new RegExp(`<input id="p-${name}" name="${name}"[^>]* value="${escaped(value)}"`), `${name} is an input with its value`);
    }
  });

  it('shows every field of a person the IdP provisions as text, with no input, and their manager', async () => {
    const boss = await addUser(t, acme, { userName: 'boss@acme.test', displayName: 'Bea Boss' });
    const id = await addUser(t, acme, { userName: 'idp-ines@acme.test' });
    await api(t, acme).patch(`/users/${id}`, Object.fromEntries(fields.map(([name, , value]) => [name, value]))).expect(200);
    await sql(t, `update users set source = 'scim', manager_id = ? where id = ?`, [boss, id]);
    const html = await page(id);
    assert.doesNotMatch(html, /<input id="p-/);
    assert.match(html, /These details come from your identity provider/);
    for (const [name, label, value] of fields) assert.match(html, new RegExp(`<dt>${escaped(label)}</dt><dd>${escaped(value)}</dd>`), `${name} is shown`);
    assert.match(html, new RegExp(`<dt>Manager</dt><dd><a href="/console/users/${boss}">Bea Boss</a></dd>`));
  });
});

/** Editing those fields in a real browser: only what changed is sent, refusals land at their field. */
describe('console person page: editing every profile field in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'profile-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  async function saveAndReload(page: Page): Promise<void> {
    const loaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await loaded;
  }

  it('shows each field, and saving sends only the fields changed', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'raj@acme.test', displayName: 'Raj Iyer' });
    const { page, problems, close } = await openPage(browser, s.origin, admin.cookie);
    await page.goto(`${s.origin}/console/users/${id}`);
    for (const [, label] of fields) assert.equal(await page.getByLabel(label, { exact: true }).count(), 1, `${label} is shown`);
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(JSON.parse(r.postData() ?? 'null'));
    });
    await page.getByLabel('Employee number').fill('E-7');
    await page.getByLabel('Time zone').fill('Asia/Kolkata');
    await page.getByLabel('Preferred language').fill('hi');
    await saveAndReload(page);
    assert.deepEqual(sent, [{ employeeNumber: 'E-7', timezone: 'Asia/Kolkata', preferredLanguage: 'hi' }]);
    const [row] = await sql(s.t, 'select employee_number, timezone, preferred_language from users where id = ?', [id]);
    assert.deepEqual([row!.employee_number, row!.timezone, row!.preferred_language], ['E-7', 'Asia/Kolkata', 'hi']);
    assert.equal(await page.getByLabel('Time zone').inputValue(), 'Asia/Kolkata');
    assert.deepEqual(problems, []);
    await close();
  });

  it('shows the API’s refusal of a bad time zone, locale and phone at each of those fields', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'kai@acme.test', displayName: 'Kai Moss' });
    const { page, close } = await openPage(browser, s.origin, admin.cookie);
    await page.goto(`${s.origin}/console/users/${id}`);
    await page.getByLabel('Time zone').fill('EST');
    await page.getByLabel('Locale').fill('english');
    await page.getByLabel('Phone').fill('abc');
    await page.getByLabel('Job title').fill('Porter');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('alert').waitFor();
    const at = async (label: string) => {
      const input = page.getByLabel(label, { exact: true });
      assert.equal(await input.getAttribute('aria-invalid'), 'true', `${label} is marked`);
      const said = await input.evaluate((el) => {
        const ids = (el.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
        const error = ids.map((i) => document.getElementById(i)).find((e) => e?.classList.contains('field-error'));
        return error && el.parentElement?.contains(error) ? error.textContent : null;
      });
      return said ?? '';
    };
    assert.match(await at('Time zone'), /must be an IANA time zone such as Europe\/Berlin/);
    assert.match(await at('Locale'), /must be a BCP 47 language tag/);
    assert.match(await at('Phone'), /must be a phone number/);
    assert.equal(await page.getByLabel('Job title').getAttribute('aria-invalid'), null);
    await checkPage(page, 'person-profile-errors');
    assert.equal((await sql(s.t, 'select title from users where id = ?', [id]))[0]!.title, null, 'nothing saved');
    // Put right, the messages go with the save.
    await page.getByLabel('Time zone').fill('America/New_York');
    await page.getByLabel('Locale').fill('en-US');
    await page.getByLabel('Phone').fill('(555) 123-4567');
    await saveAndReload(page);
    assert.equal(await page.locator('.field-error').count(), 0);
    assert.equal(await page.getByLabel('Locale').inputValue(), 'en-US');
    await close();
  });
});
