import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { checkPage, openPage } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { asPerson, signIn, type SignedIn } from '../admin/support.ts';
import { addUser, sql } from '../people/support.ts';

/**
 * Who may do what, from the person page: an org admin makes someone an org admin or grants a
 * member permissions (PUT /users/:id/access) — what the 403 page and the last-org-admin refusal
 * tell them to do — and everyone else reads it.
 */
describe('console: a person’s access (org role and permissions) in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'access-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  async function open(who: SignedIn, path: string, viewport?: { width: number; height: number }) {
    const opened = await openPage(browser, s.origin, who.cookie, viewport);
    await opened.page.goto(`${s.origin}${path}`);
    return opened;
  }

  const saveAccess = async (page: Page) => {
    const answered = page.waitForResponse((r) => r.url().endsWith('/access') && r.request().method() === 'PUT');
    await page.getByRole('button', { name: 'Save access' }).click();
    return (await answered).status();
  };

  const accessOf = async (userId: string) => (await asPerson(s.t, s.acme, admin)('get', `/users/${userId}/access`)).body as { orgRole: string; permissions: string[] };

  it('grants a member permissions, which their console then offers', async () => {
    const helper = await signIn(s.t, s.acme, 'helper@acme.test');
    const { page, problems, close } = await open(admin, `/console/users/${helper.userId}`);
    const region = page.getByRole('region', { name: 'Access' });
    assert.equal(await region.getByLabel('Organization role').inputValue(), 'member');
    await region.getByRole('checkbox', { name: /Invite people/ }).check();
    await region.getByRole('checkbox', { name: /Read the audit trail/ }).check();
    const reloaded = page.waitForEvent('load');
    assert.equal(await saveAccess(page), 200);
    await reloaded;
    assert.deepEqual(await accessOf(helper.userId), { userId: helper.userId, orgRole: 'member', permissions: ['users.invite', 'audit.read'] });
    assert.equal(await page.getByRole('status').first().textContent(), 'Access saved.');
    assert.equal(await page.getByRole('region', { name: 'Access' }).getByRole('checkbox', { name: /Invite people/ }).isChecked(), true);
    await checkPage(page, 'person-access');
    assert.deepEqual(problems, []);
    await close();
    const theirs = await open(helper, '/console/users');
    assert.equal(await theirs.page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Invite people' }).count(), 1);
    assert.equal(await theirs.page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).count(), 1);
    await theirs.close();
  });

  it('makes someone an org admin, after which the last-admin guard lets the first one step down', async () => {
    const deputy = await addUser(s.t, s.acme, { userName: 'deputy@acme.test', displayName: 'Dee Puty' });
    const { page, problems, close } = await open(admin, `/console/users/${deputy}`);
    await page.getByLabel('Organization role').selectOption('org_admin');
    const reloaded = page.waitForEvent('load');
    assert.equal(await saveAccess(page), 200);
    await reloaded;
    assert.equal((await accessOf(deputy)).orgRole, 'org_admin');
    // The facts at the top follow.
    assert.match((await page.locator('dl.facts').first().textContent()) ?? '', /Organization roleOrg admin/);
    const events = await sql(s.t, `select count(*)::int as n from audit_events where action = 'user.access_changed' and target_id = ?`, [deputy]);
    assert.equal(Number(events[0]!.n), 1);
    assert.deepEqual(problems, []);
    await close();
  });

  it('says why the last org admin cannot step down, in the form, and changes nothing', async () => {
    const solo = await signIn(s.t, s.acme, 'solo-admin@acme.test', { orgRole: 'org_admin' });
    // Every other org admin of acme steps down first, so solo is the last one.
    await sql(s.t, `update users set org_role = 'member' where org_id = ? and org_role = 'org_admin' and id <> ?`, [s.acme.id, solo.userId]);
    try {
      const { page, close } = await open(solo, `/console/users/${solo.userId}`);
      assert.match((await page.getByRole('region', { name: 'Access' }).textContent()) ?? '', /your own/i);
      await page.getByLabel('Organization role').selectOption('member');
      assert.equal(await saveAccess(page), 409);
      const alert = page.getByRole('region', { name: 'Access' }).getByRole('alert');
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? '', /last org admin/);
      assert.equal((await accessOf(solo.userId)).orgRole, 'org_admin');
      await close();
    } finally {
      await sql(s.t, `update users set org_role = 'org_admin' where id = ?`, [admin.userId]);
    }
  });

  it('shows a member the access read-only, and fits a phone-width screen', async () => {
    const editor = await signIn(s.t, s.acme, 'editor@acme.test', { permissions: ['users.edit'] });
    const target = await signIn(s.t, s.acme, 'granted@acme.test', { permissions: ['users.export'] });
    const { page, close } = await open(editor, `/console/users/${target.userId}`, { width: 375, height: 740 });
    const region = page.getByRole('region', { name: 'Access' });
    assert.match((await region.textContent()) ?? '', /Download the people and invitation exports/);
    assert.equal(await region.getByRole('checkbox').count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Save access' }).count(), 0);
    await checkPage(page, 'person-access-member-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
    await close();
    assert.equal((await asPerson(s.t, s.acme, editor)('put', `/users/${target.userId}/access`, { permissions: ['users.edit'] })).status, 403);
  });
});
