import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { checkPage, watchConsole } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { seedPerson } from '../auth/support/people.ts';
import { setUserAccess } from '../../src/directory/org-admins.ts';
import { addGroup, addUser, scopeOf, sql } from '../people/support.ts';

const EMAIL = 'draft-admin@acme.test';
const PASSWORD = 'Blue-Harbor-Lamp-42';
const RESTORED = 'Your session had ended: what you typed is back. Check it, then save.';

/**
 * A session that ends while the admin fills in a form: saving sends them to sign in again, and the
 * page they come back to has the form as they left it (never a password), saved only when they say so.
 */
describe('console: what an admin typed survives signing in again', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let adminId: string;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    const admin = await seedPerson(s.t.container, s.acme, EMAIL, { password: PASSWORD });
    adminId = admin.id;
    await setUserAccess(s.t.container.fork(), scopeOf(s.acme), adminId, { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  const endSessions = () => s.t.container.fork().execute(`update sessions set expires_at = now() - interval '1 minute' where user_id = ? and revoked_at is null`, [adminId]);

  async function signInTo(page: Page, path: string): Promise<void> {
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${s.origin}${path}`);
  }

  /** A page of a fresh browser, signed in through the sign-in page as the admin would be. */
  async function open(path: string) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}${path}`);
    await signInTo(page, path);
    return { page, problems, close: () => context.close() };
  }

  /** The session ends server-side; Save meets a 401 and the browser goes to sign in, then back. */
  async function saveAfterTheSessionEnded(page: Page, button: string, path: string): Promise<Record<string, string>> {
    await endSessions();
    await page.getByRole('button', { name: button }).click();
    await page.waitForURL(`${s.origin}/auth/password/login?next=${encodeURIComponent(path)}&expired=1`);
    assert.match((await page.getByRole('status').textContent()) ?? '', /Your session has ended/);
    const kept = await page.evaluate(() => Object.fromEntries(Object.keys(sessionStorage).map((key) => [key, sessionStorage.getItem(key) ?? ''])));
    await signInTo(page, path);
    return kept;
  }

  it('brings back an edited profile after signing in again, never the password typed in the form, and saves only when asked', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'pia@acme.test', displayName: 'Pia Lund' });
    const path = `/console/users/${id}`;
    const { page, problems, close } = await open(path);
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(JSON.parse(r.postData() ?? 'null'));
    });
    await page.getByLabel('Job title').fill('Charge nurse');
    await page.getByLabel('Department').fill('ICU');
    // No console form sends a password through the API today; one that did must not have it kept.
    await page.locator('form.profile').evaluate((form) => {
      const field = Object.assign(document.createElement('input'), { type: 'password', name: 'currentPassword', value: 'Secret-Typed-Here-1' });
      field.setAttribute('aria-label', 'Your password');
      form.append(field);
    });

    const kept = await saveAfterTheSessionEnded(page, 'Save profile', path);
    assert.deepEqual(sent, [{ title: 'Charge nurse', department: 'ICU', currentPassword: 'Secret-Typed-Here-1' }], 'the one attempt, refused with 401');
    const stored = Object.values(kept).join('\n');
    assert.match(stored, /Charge nurse/);
    assert.doesNotMatch(stored, /Secret-Typed-Here-1/, 'a password is never written to sessionStorage');

    assert.equal(await page.getByLabel('Job title').inputValue(), 'Charge nurse');
    assert.equal(await page.getByLabel('Department').inputValue(), 'ICU');
    assert.equal(await page.getByLabel('Display name').inputValue(), 'Pia Lund');
    assert.equal(await page.getByRole('status').first().textContent(), RESTORED);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'title', 'focus on the first field brought back');
    assert.deepEqual(await page.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('gatehouse.draft'))), [], 'brought back once, then forgotten');
    const [before] = await sql(s.t, 'select title, department from users where id = ?', [id]);
    assert.deepEqual([before!.title, before!.department], [null, null], 'nothing saved until the admin saves');
    await checkPage(page, 'draft-restored');

    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await reloaded;
    assert.deepEqual(sent[1], { title: 'Charge nurse', department: 'ICU' });
    const [after] = await sql(s.t, 'select title, department from users where id = ?', [id]);
    assert.deepEqual([after!.title, after!.department], ['Charge nurse', 'ICU']);
    assert.equal(await page.getByRole('status').first().textContent(), 'Profile saved.');
    assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
    await close();
  });

  it('brings back a new entry point’s name and description', async () => {
    const { page, problems, close } = await open('/console/groups');
    await page.getByLabel('Name', { exact: true }).fill('Draft Ward');
    await page.getByLabel('Description (optional)').fill('Kept across sign-in');
    await saveAfterTheSessionEnded(page, 'Create entry point', '/console/groups');
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Draft Ward');
    assert.equal(await page.getByLabel('Description (optional)').inputValue(), 'Kept across sign-in');
    await page.getByRole('button', { name: 'Create entry point' }).click();
    await page.waitForURL(/\/console\/groups\/[0-9a-f-]{36}$/);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Draft Ward');
    assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
    await close();
  });

  it('brings back the settings form that was being saved, a choice in a list included, and leaves the others as drawn', async () => {
    const { page, problems, close } = await open('/console/settings');
    await page.getByLabel('Shortest password').fill('14');
    await page.getByLabel('Kinds of characters required').selectOption('1');
    await saveAfterTheSessionEnded(page, 'Save password policy', '/console/settings');
    assert.equal(await page.getByLabel('Shortest password').inputValue(), '14');
    assert.equal(await page.getByLabel('Kinds of characters required').inputValue(), '1');
    assert.equal(await page.getByLabel('Invitation lifetime (days)').inputValue(), '7');
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(JSON.parse(r.postData() ?? 'null'));
    });
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Save password policy' }).click();
    await reloaded;
    assert.deepEqual(sent, [{ passwordPolicy: { minLength: 14, requireClasses: 1 } }]);
    assert.equal(await page.getByLabel('Shortest password').inputValue(), '14');
    assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
    await close();
  });

  it('brings back the pasted addresses, the message and the entry points picked on the invite page', async () => {
    const groupId = await addGroup(s.t, s.acme, 'Draft Ward 9', []);
    const { page, problems, close } = await open('/console/invite');
    await page.getByLabel('Email addresses').fill('quinn@acme.test, rosa@acme.test');
    await page.getByLabel('Role in Draft Ward 9').selectOption('editor');
    await page.getByLabel('Personal message (optional)').fill('Welcome aboard');
    await saveAfterTheSessionEnded(page, 'Send invitations', '/console/invite');
    assert.equal(await page.getByLabel('Email addresses').inputValue(), 'quinn@acme.test, rosa@acme.test');
    assert.equal(await page.locator('#invite-count').textContent(), '2 addresses recognised.');
    assert.equal(await page.getByRole('checkbox', { name: 'Draft Ward 9' }).isChecked(), true);
    assert.equal(await page.getByLabel('Role in Draft Ward 9').inputValue(), 'editor');
    assert.equal(await page.getByLabel('Personal message (optional)').inputValue(), 'Welcome aboard');
    await page.getByRole('button', { name: 'Send invitations' }).click();
    await page.getByRole('heading', { name: 'Invitations sent' }).waitFor();
    const planned = await sql(s.t, `select i.email, im.role from invitation_memberships im join invitations i on i.id = im.invitation_id where im.group_id = ? order by i.email`, [groupId]);
    assert.deepEqual(planned.map((r) => [r.email, r.role]), [['quinn@acme.test', 'editor'], ['rosa@acme.test', 'editor']]);
    assert.deepEqual(problems.filter((p) => !p.includes('401')), []);
    await close();
  });
});
