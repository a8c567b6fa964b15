import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { parseAddressList } from '../../src/directory/invitation-addresses.ts';
import { checkPage, contextWithCookie, watchConsole } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { asPerson, signIn, type SignedIn } from '../admin/support.ts';
import { addGroup, sql } from '../people/support.ts';
import { STRONG_PASSWORD } from '../invitations/support.ts';

// The browser's copy of the parser (plain JavaScript, loaded by the page).
const browserParser = (await import(new URL('../../src/http/console/assets/js/invite-addresses.js', import.meta.url).href)) as {
  parseAddressList(text: string): Array<{ email: string | null; problem?: string }>;
  countAddresses(text: string): { recognised: number; invalid: number; duplicates: number };
};

const pastes = [
  'ann@acme.test',
  'Ann.Lee@Acme.TEST',
  'ann@acme.test\nbob@acme.test\r\ncy@acme.test',
  'ann@acme.test, bob@acme.test; cy@acme.test',
  'ann@acme.test bob@acme.test\tcy@acme.test',
  '\n\n ann@acme.test ;; ,\n\n',
  'Ann Lee <ann@acme.test>; "Doe, Bob" <BOB@acme.test>; cy@acme.test',
  'Lee, Ann <ann@acme.test>; Doe, Bob <bob@acme.test>',
  'van der Berg, Jan <jan@acme.test>, Lee, Ann <ann@acme.test>, nonsense, cy@acme.test',
  '<ann@acme.test>',
  'Ann <ann@acme.test> Bob <bob@acme.test> trailing@acme.test',
  'Ann Lee ann@acme.test',
  'mailto:ann@acme.test',
  'ann@acme.test, nonsense',
  'ann@localhost, ann@@acme.test, .ann@acme.test, ann@acme.123, Ann <ann@>',
  'ann@acme.test, ANN@acme.test',
  'ann+test@mail.eu.acme.test, ann@xn--bcher-kva.xn--p1ai',
  `${'a'.repeat(65)}@acme.test, ${'b'.repeat(250)}@acme.test`,
  '"unclosed, quote <x@acme.test>, y@acme.test',
  '  \n ',
];

/** The live count must read a paste exactly as POST /invitations will. */
describe('invite page: the browser counts addresses with the server’s rules', () => {
  for (const paste of pastes) {
    it(`agrees with the server on ${JSON.stringify(paste).slice(0, 60)}`, () => {
      const server = parseAddressList(paste).map((p) => [p.email, p.problem ?? null]);
      const browser = browserParser.parseAddressList(paste).map((p) => [p.email, p.problem ?? null]);
      assert.deepEqual(browser, server);
    });
  }

  it('counts recognised addresses, entries that are not addresses and repeats', () => {
    assert.deepEqual(browserParser.countAddresses('a@acme.test, b@acme.test\nnope\nA@acme.test; c@acme.test'), { recognised: 3, invalid: 1, duplicates: 1 });
  });
});

/** Issue 10: Invite people — paste, live count, pick entry points, send, the result, and the invitee's way in. */
describe('console invite page in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'invite-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  it('invites a pasted list with one invalid entry and one repeat, and the invitee registers and lands in the console', async () => {
    const groupId = await addGroup(s.t, s.acme, 'Ward 7', []);
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/invite`);
    await checkPage(page, 'invite');
    const count = page.locator('#invite-count');
    assert.equal(await count.textContent(), 'No addresses yet.');
    await page.getByLabel('Email addresses').fill('Nina Park <nina@acme.test>, omar@acme.test\nnot an address\nNINA@acme.test; pia@acme.test');
    assert.equal(await count.textContent(), '3 addresses recognised (1 entry is not an address, 1 repeat).');
    await page.getByLabel('Role in Ward 7').selectOption('editor');
    await page.getByRole('button', { name: 'Send invitations' }).click();
    const heading = page.getByRole('heading', { name: 'Invitations sent' });
    await heading.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'invite-result-h', 'focus moves to the result');
    assert.equal(await page.locator('[data-result-summary]').textContent(), '3 invitations sent; 2 addresses were not invited.');
    const notSent = await page.locator('#invite-result tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    assert.deepEqual(notSent, [
      ['not an address', 'Not an email address'],
      ['nina@acme.test', 'Listed more than once (invited once)'],
    ]);
    assert.equal(await page.getByRole('form').count(), 0, 'the form is hidden');
    await checkPage(page, 'invite-result');

    const planned = await sql(s.t, `select im.role from invitation_memberships im join invitations i on i.id = im.invitation_id where i.email = 'omar@acme.test' and im.group_id = ?`, [groupId]);
    assert.deepEqual(planned.map((r) => r.role), ['editor']);

    await page.getByRole('button', { name: 'Send more invitations' }).click();
    assert.equal(await page.getByLabel('Email addresses').inputValue(), '');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'emails');
    assert.equal(await count.textContent(), 'No addresses yet.');
    await page.getByLabel('Email addresses').fill('omar@acme.test');
    await page.getByRole('button', { name: 'Send invitations' }).click();
    await page.getByRole('heading', { name: 'Nobody was invited' }).waitFor();
    assert.equal(await page.locator('#invite-result tbody td').textContent(), 'Already invited: their invitation is still open');
    assert.deepEqual(problems, []);
    await context.close();

    // The invitee opens the mailed link in their own browser and registers.
    await s.t.container.outbox.deliverDue();
    const mail = s.smtp.textsTo('omar@acme.test').at(-1) ?? '';
    const link = new RegExp(`${s.origin.replace(/[.:/]/g, '\\$&')}/invitations/gh_invite_[A-Za-z0-9_-]+`).exec(mail)?.[0];
    assert.ok(link, `an invitation link to this server in:\n${mail}`);
    const invitee = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const join = await invitee.newPage();
    await join.goto(link);
    await join.getByLabel('First name').fill('Omar');
    await join.getByLabel('Last name').fill('Haddad');
    await join.getByLabel('Password', { exact: true }).fill(STRONG_PASSWORD);
    await join.getByLabel('Password again').fill(STRONG_PASSWORD);
    await join.getByLabel(/I accept the terms of use/).check();
    await join.getByRole('button', { name: 'Create account' }).click();
    await join.waitForURL(/\/console\/users$/);
    assert.equal(await join.locator('.who').textContent(), 'Omar Haddad');
    assert.deepEqual(await join.getByRole('navigation', { name: 'Sections' }).getByRole('link').allTextContents(), ['Users', 'Entry points']);
    const joined = await sql(s.t, `select m.role from memberships m join users u on u.id = m.user_id where u.email = 'omar@acme.test' and m.group_id = ?`, [groupId]);
    assert.deepEqual(joined.map((r) => r.role), ['editor']);
    await invitee.close();
  });

  it('fits a phone-width screen', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie, { width: 375, height: 740 });
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/invite`);
    await checkPage(page, 'invite-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
    await context.close();
  });

  it('offers a member with users.invite but not groups.manage no entry points to put invitees in, and invites them', async () => {
    await addGroup(s.t, s.acme, 'Recovery Ward', []);
    const inviter = await signIn(s.t, s.acme, 'inviter-only@acme.test', { permissions: ['users.invite'] });
    const context = await contextWithCookie(browser, s.origin, inviter.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/invite`);
    assert.equal(await page.getByRole('checkbox', { name: 'Recovery Ward' }).count(), 0, 'no picker whose choice the API refuses');
    assert.match((await page.locator('form#invite').textContent()) ?? '', /needs the groups\.manage permission/);
    await checkPage(page, 'invite-without-groups');
    await page.getByLabel('Email addresses').fill('helper@acme.test');
    await page.getByRole('button', { name: 'Send invitations' }).click();
    await page.getByRole('heading', { name: 'Invitations sent' }).waitFor();
    assert.equal((await sql(s.t, `select count(*)::int as n from invitations where email = 'helper@acme.test'`))[0]!.n, 1);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('refuses a member without users.invite: no page, no link, and 403 from the API', async () => {
    const member = await signIn(s.t, s.acme, 'no-invite@acme.test', { permissions: ['users.edit'] });
    const res = await fetch(`${s.origin}/console/invite`, { headers: { cookie: member.cookie } });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /users\.invite/);
    const sent = await asPerson(s.t, s.acme, member)('post', '/invitations', { emails: 'sneaky@acme.test' });
    assert.equal(sent.status, 403);
    assert.equal((await sql(s.t, `select count(*)::int as n from invitations where email = 'sneaky@acme.test'`))[0]!.n, 0);
  });
});
