import assert from 'node:assert/strict';
import { updateOrgSettings } from '../../src/directory/org-settings.ts';
import { testActor } from '../support/app.ts';
import type { Browser, Page } from 'playwright-core';
import { checkPage, contextWithCookie, watchConsole } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { signIn } from '../admin/support.ts';
import { configureSaml } from '../saml/support/sp.ts';

/** Issue 10: the org's settings page — one form per group, each a PATCH /settings, problems named by field. */
describe('console: settings', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: Awaited<ReturnType<typeof signIn>>;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'settings-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  const settings = async () => (await (await fetch(`${s.origin}/api/orgs/acme/settings`, { headers: { authorization: `Bearer ${s.acme.tokens.admin}` } })).json()) as Record<string, unknown>;

  const patchSettings = async (body: Record<string, unknown>) => {
    const res = await fetch(`${s.origin}/api/orgs/acme/settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${s.acme.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
  };

  async function save(page: Page, button: string): Promise<number> {
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/orgs/acme/settings') && r.request().method() === 'PATCH');
    await page.getByRole('button', { name: button }).click();
    return (await answered).status();
  }

  it('shows every setting with its current value and the seats used', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/settings`);
    await checkPage(page, 'settings');
    assert.equal(await page.getByLabel('Invitation lifetime (days)').inputValue(), '7');
    assert.equal(await page.getByLabel('Shortest password').inputValue(), '12');
    assert.equal(await page.getByLabel(/session cap/).inputValue(), '3');
    assert.equal(await page.getByLabel(/Single sign-on only/).isChecked(), false);
    assert.equal(await page.getByLabel(/^Roles a member can have/).inputValue(), 'viewer\neditor\nadmin');
    assert.match((await page.locator('.seats').textContent()) ?? '', /\d+ used, no limit/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('changes the invitation lifetime and seats, and keeps the other groups as they were', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/settings`);
    await page.getByLabel('Invitation lifetime (days)').fill('14');
    await page.getByLabel('Seats bought').fill('25');
    const reloaded = page.waitForEvent('load');
    assert.equal(await save(page, 'Save invitations and seats'), 200);
    await reloaded;
    assert.equal(await page.getByLabel('Invitation lifetime (days)').inputValue(), '14');
    assert.match((await page.locator('.seats').textContent()) ?? '', /\d+ used of 25/);
    assert.equal(await page.getByRole('status').textContent(), 'Invitations and seats: saved.');
    const stored = await settings();
    assert.equal(stored.invitationTtlDays, 14);
    assert.equal(stored.seatLimit, 25);
    assert.equal(stored.sessionCap, 3);
    await context.close();
  });

  it('names the field of a bad value in the form’s alert and changes nothing', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/settings`);
    await page.getByLabel('Invitation lifetime (days)').fill('365');
    assert.equal(await save(page, 'Save invitations and seats'), 400);
    const alert = page.locator('#invitations-form [role="alert"]');
    await alert.waitFor();
    // Named as the form names it (its label), not by the API's key: the admin never saw "invitationTtlDays".
    assert.equal(await alert.textContent(), 'Invitation lifetime (days): must be a whole number from 1 to 90');
    assert.equal(await page.getByLabel('Invitation lifetime (days)').getAttribute('aria-invalid'), 'true');
    await checkPage(page, 'settings-error');
    assert.equal((await settings()).invitationTtlDays, 14);
    await context.close();
  });

  it('marks and focuses the field of a nested setting the API refuses (passwordPolicy.minLength)', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/settings`);
    await page.getByLabel('Shortest password').fill('5');
    assert.equal(await save(page, 'Save password policy'), 400);
    const alert = page.locator('#password-policy-form [role="alert"]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'Shortest password: must be a whole number from 8 to 128');
    assert.equal(await page.getByLabel('Shortest password').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'min-length');
    await context.close();
  });

  it('names the line of a list the API refuses (roles.2 is the third line of Roles)', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/settings`);
    await page.getByLabel(/^Roles a member can have/).fill('viewer\neditor\nNight Shift\nadmin');
    assert.equal(await save(page, 'Save roles'), 400);
    const alert = page.locator('#roles-form [role="alert"]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'Roles a member can have in an entry point (one a line), line 3: must be a lower-case name (letters, digits, _ or -, at most 50)');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'roles');
    await context.close();
  });

  it('refuses SSO enforcement before single sign-on is set up, saying so at the checkbox, and leaves it off', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/settings`);
    await page.getByLabel(/Single sign-on only/).check();
    assert.equal(await save(page, 'Save sign-in'), 409);
    const alert = page.locator('#sign-in-form [role="alert"]');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /^Single sign-on only \(SSO enforced\): this organization has no single sign-on connection yet, so nobody could sign in/);
    // A 409 naming its field (details.field) marks and focuses that field, as a 400's problems do.
    const checkbox = page.getByLabel(/Single sign-on only/);
    assert.equal(await checkbox.getAttribute('aria-invalid'), 'true');
    assert.equal(await checkbox.evaluate((el) => el === document.activeElement), true);
    assert.equal((await settings()).ssoEnforced, false, 'every password still works');
    await checkPage(page, 'settings-sso-refused');
    await context.close();
  });

  it('turns on SSO enforcement, and shows the operator-set email domains of “Sign in with SSO” read-only', async () => {
    await configureSaml(s.app, s.acme);
    await updateOrgSettings(s.t.container.fork(), { orgId: s.acme.id, orgSlug: 'acme', actor: testActor }, { ssoDomains: ['acme.test', 'acme-corp.test'] }, { operator: true });
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/settings`);
    assert.match((await page.getByLabel('Email domains for “Sign in with SSO”').textContent()) ?? '', /acme\.test, acme-corp\.test/);
    assert.equal(await page.locator('[name="ssoDomains"]').count(), 0, 'no field: an org admin cannot claim a domain');
    await page.getByLabel(/Single sign-on only/).check();
    const reloaded = page.waitForEvent('load');
    assert.equal(await save(page, 'Save sign-in'), 200);
    await reloaded;
    const stored = await settings();
    assert.equal(stored.ssoEnforced, true);
    assert.deepEqual(stored.ssoDomains, ['acme.test', 'acme-corp.test']);
    assert.equal(await page.getByLabel(/Single sign-on only/).isChecked(), true);
    const claim = await fetch(`${s.origin}/api/orgs/acme/settings`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${s.acme.tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ssoDomains: ['bigcorp.test'] }),
    });
    assert.equal(claim.status, 400);
    assert.equal((await claim.json()).error.details.problems[0].field, 'ssoDomains');
    await context.close();
  });

  it('saves only the settings the admin edited, so another admin’s change to the same form meanwhile stays', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    const sent: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(JSON.parse(r.postData() ?? 'null'));
    });
    await page.goto(`${s.origin}/console/settings`);
    // While the page is open, another admin requires a second factor (a checkbox of the same form).
    await patchSettings({ requireTwoFactor: true });
    await page.getByLabel(/session cap/).fill('5');
    let reloaded = page.waitForEvent('load');
    assert.equal(await save(page, 'Save sign-in'), 200);
    await reloaded;
    assert.deepEqual(sent, [{ sessionCap: 5 }]);
    let stored = await settings();
    assert.equal(stored.sessionCap, 5);
    assert.equal(stored.requireTwoFactor, true, 'the other admin’s change stays');
    assert.equal(await page.getByLabel(/Require a second factor/).isChecked(), true);

    // A choice in a list is an edit too; the number beside it, changed meanwhile elsewhere, is not sent back.
    await patchSettings({ passwordPolicy: { minLength: 20 } });
    await page.getByLabel('Kinds of characters required').selectOption('2');
    reloaded = page.waitForEvent('load');
    assert.equal(await save(page, 'Save password policy'), 200);
    await reloaded;
    assert.deepEqual(sent[1], { passwordPolicy: { requireClasses: 2 } });
    stored = await settings();
    assert.deepEqual(stored.passwordPolicy, { minLength: 20, requireClasses: 2 });

    // A box ticked and then unticked again is no edit: nothing edited is said, and nothing is sent.
    await page.getByLabel(/Require a second factor/).uncheck();
    await page.getByLabel(/Require a second factor/).check();
    await page.getByRole('button', { name: 'Save sign-in' }).click();
    await page.getByRole('status').getByText('No changes to save.').waitFor();
    await page.getByRole('button', { name: 'Save roles' }).click();
    assert.equal(sent.length, 2);
    await patchSettings({ requireTwoFactor: false, sessionCap: 3, passwordPolicy: { minLength: 12, requireClasses: 3 } });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
