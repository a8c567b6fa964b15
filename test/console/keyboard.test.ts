import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { openPage } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { asPerson, signIn, type SignedIn } from '../admin/support.ts';
import { addUser } from '../people/support.ts';

/**
 * The console with the keyboard alone: an action that reloads the page leaves focus where the
 * admin was working, not at the top of the page behind the whole navigation.
 */
describe('console with the keyboard only', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'keys-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  const focused = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent?.trim() ?? '');

  /** Tabs forward until the control with this accessible label has focus (as a keyboard user does). */
  async function tabTo(page: Page, label: string): Promise<void> {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      if ((await focused(page)) === label) return;
    }
    throw new Error(`Tab never reached ${label}`);
  }

  it('keeps focus on the row’s button after resending an invitation, for the next one down the list', async () => {
    for (const email of ['kb-1@acme.test', 'kb-2@acme.test']) assert.equal((await asPerson(s.t, s.acme, admin)('post', '/invitations', { emails: email })).status, 201);
    const { page, problems, close } = await openPage(browser, s.origin, admin.cookie);
    await page.goto(`${s.origin}/console/users?status=pending&q=kb-`);
    await tabTo(page, 'Resend invitation kb-1@acme.test');
    const reloaded = page.waitForEvent('load');
    await page.keyboard.press('Enter');
    await reloaded;
    await page.getByText('A new invitation was sent to kb-1@acme.test.').waitFor();
    assert.equal(await focused(page), 'Resend invitation kb-1@acme.test');
    // From there, the next row is a few Tabs away, not the whole header.
    await page.keyboard.press('Tab');
    assert.equal(await focused(page), 'Revoke invitation kb-1@acme.test');
    assert.deepEqual(problems, []);
    await close();
  });

  it('lands on the result message when the control it used is gone (the disabled row left the Active tab)', async () => {
    await addUser(s.t, s.acme, { userName: 'kb-dis@acme.test', displayName: 'Kay Bee' });
    const { page, problems, close } = await openPage(browser, s.origin, admin.cookie);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${s.origin}/console/users?status=active&q=kb-dis`);
    await tabTo(page, 'Disable Kay Bee');
    const reloaded = page.waitForEvent('load');
    await page.keyboard.press('Enter');
    await reloaded;
    await page.getByText('Kay Bee is disabled.').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.matches('main [data-status]')), true, 'focus is on the message, inside main');
    assert.deepEqual(problems, []);
    await close();
  });
});
