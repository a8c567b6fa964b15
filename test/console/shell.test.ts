import assert from 'node:assert/strict';
import http from 'node:http';
import type { Browser } from 'playwright-core';
import { checkPage, contextWithCookie, watchConsole } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { signIn } from '../admin/support.ts';
import { seedPerson } from '../auth/support/people.ts';
import { setUserAccess } from '../../src/directory/org-admins.ts';
import { scopeOf } from '../people/support.ts';

/** Issue 10: the console's shell — sign-in, navigation by permission, CSP, accessibility, phone width. */
describe('console shell in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;

  before(async function () {
    ({ s, browser } = await openConsole(this));
  });
  after(() => closeConsole(s, browser));

  it('sends someone who is not signed in to the sign-in page and back to where they were going', async () => {
    const user = await seedPerson(s.t.container, s.acme, 'olga@acme.test', { password: 'Blue-Harbor-Lamp-42' });
    await setUserAccess(s.t.container.fork(), scopeOf(s.acme), user.id, { orgRole: 'org_admin' });
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/users?status=disabled`);
    assert.match(page.url(), /\/auth\/password\/login\?next=/);
    await checkPage(page, 'sign-in');
    await page.getByLabel('Email').fill('olga@acme.test');
    await page.getByLabel('Password').fill('Blue-Harbor-Lamp-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/users\?status=disabled$/, { timeout: 10_000 }).catch(async (error) => {
      throw new Error(`${error.message}\nat ${page.url()}: ${(await page.textContent('main'))?.slice(0, 300)}`);
    });
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Users');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/auth\/password\/login/);
    assert.match(await page.getByRole('status').textContent() ?? '', /signed out/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('tells a person whose session ended, and a disabled person with the right password, what happened', async () => {
    const ended = await signIn(s.t, s.acme, 'ended@acme.test', { orgRole: 'org_admin' });
    await s.t.container.fork().execute('update sessions set revoked_at = now() where user_id = ?', [ended.userId]);
    const context = await contextWithCookie(browser, s.origin, ended.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/groups`);
    assert.match(page.url(), /\/auth\/password\/login\?next=%2Fconsole%2Fgroups&expired=1$/);
    assert.match((await page.getByRole('status').textContent()) ?? '', /Your session has ended/);
    await seedPerson(s.t.container, s.acme, 'off@acme.test', { password: 'Blue-Harbor-Lamp-42', state: 'disabled' });
    await page.getByLabel('Email').fill('off@acme.test');
    await page.getByLabel('Password').fill('Blue-Harbor-Lamp-42');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /Your account is disabled/);
    await checkPage(page, 'sign-in-disabled');
    await context.close();
  });

  it('answers 404 to a page address whose id is not an id (a decoded .. would climb the admin API path)', async () => {
    const admin = await signIn(s.t, s.acme, 'dots@acme.test', { orgRole: 'org_admin' });
    // Sent as is (browsers and fetch would resolve a %2e%2e segment before sending; a script need not).
    const statusOf = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const { hostname, port } = new URL(s.origin);
        http.get({ hostname, port, path, headers: { cookie: admin.cookie } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).once('error', reject);
      });
    for (const path of ['/console/users/%2e%2e', '/console/groups/%2e%2e%2f%2e%2e', '/console/imports/a%20b']) {
      assert.equal(await statusOf(path), 404, path);
    }
  });

  it('serves its assets, and answers 404 (never 500 or a file outside) to unknown or traversing asset paths', async () => {
    const asset = await fetch(`${s.origin}/console/assets/console.js`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    for (const path of ['/console/assets/nope.js', '/console/assets/%2e%2e/router.ts', '/console/assets/..%2f..%2fpage.ts', '/console/assets/']) {
      const res = await fetch(`${s.origin}${path}`);
      assert.equal(res.status, 404, path);
    }
  });

  it('serves console pages under a strict Content-Security-Policy without inline script or style', async () => {
    const admin = await signIn(s.t, s.acme, 'csp@acme.test', { orgRole: 'org_admin' });
    const res = await fetch(`${s.origin}/console/users`, { headers: { cookie: admin.cookie } });
    assert.equal(res.status, 200);
    const policy = res.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self'/);
    assert.match(policy, /style-src 'self'/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
    const page = await res.text();
    assert.doesNotMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline <script>');
    assert.doesNotMatch(page, /<style|\sstyle=/, 'no inline style');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('shows an org admin every section and a member with no grants only what anyone may read', async () => {
    const admin = await signIn(s.t, s.acme, 'nav-admin@acme.test', { orgRole: 'org_admin' });
    const member = await signIn(s.t, s.acme, 'nav-member@acme.test');
    const sections = async (cookie: string) => {
      const context = await contextWithCookie(browser, s.origin, cookie);
      const page = await context.newPage();
      await page.goto(`${s.origin}/console/users`);
      const links = await page.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents();
      await context.close();
      return links;
    };
    assert.deepEqual(await sections(admin.cookie), ['Users', 'Invite people', 'Entry points', 'Import CSV', 'Exports', 'SSO & provisioning', 'Settings', 'Audit']);
    assert.deepEqual(await sections(member.cookie), ['Users', 'Entry points']);
  });

  it('answers a member who opens an admin page with 403 and says which permission it needs', async () => {
    const member = await signIn(s.t, s.acme, 'nosy@acme.test');
    const res = await fetch(`${s.origin}/console/settings`, { headers: { cookie: member.cookie } });
    assert.ok([403, 404].includes(res.status));
    if (res.status === 403) assert.match(await res.text(), /settings\.manage/);
  });

  it('lets an admin disable and reactivate a person from the users table, with the status counts following', async () => {
    const admin = await signIn(s.t, s.acme, 'ops@acme.test', { orgRole: 'org_admin' });
    await seedPerson(s.t.container, s.acme, 'dana@acme.test');
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/users?status=active&q=dana`);
    await checkPage(page, 'users');
    const reloadedA = page.waitForEvent('load');
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Disable dana@acme.test' }).click();
    await reloadedA;
    await page.goto(`${s.origin}/console/users?status=disabled&q=dana`);
    const disabledTab = page.getByRole('link', { name: /^Disabled/ });
    assert.match((await disabledTab.textContent()) ?? '', /Disabled\s+1$/);
    const reloadedB = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Reactivate dana@acme.test' }).click();
    await reloadedB;
    await page.goto(`${s.origin}/console/users?status=active&q=dana`);
    assert.equal(await page.locator('tbody tr').count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Disable dana@acme.test' }).count(), 1);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('fits a phone-width screen without horizontal scrolling of the page itself', async () => {
    const admin = await signIn(s.t, s.acme, 'phone@acme.test', { orgRole: 'org_admin' });
    const context = await contextWithCookie(browser, s.origin, admin.cookie, { width: 375, height: 740 });
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/users`);
    await checkPage(page, 'users-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
    await context.close();
  });
});
