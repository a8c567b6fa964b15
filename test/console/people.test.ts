import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { checkPage, openPage } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { asPerson, signIn, type SignedIn } from '../admin/support.ts';
import { addGroup, addSession, addUser, api, sql } from '../people/support.ts';

/** Issue 10: the Users table's row actions and the Person page, driven in a real browser. */
describe('console people pages in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'people-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(() => closeConsole(s, browser));

  async function open(who: SignedIn, path: string, viewport?: { width: number; height: number }): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
    const opened = await openPage(browser, s.origin, who.cookie, viewport);
    await opened.page.goto(`${s.origin}${path}`);
    return opened;
  }

  /** Clicks a control whose form reloads the page on success, and waits for the reloaded page. */
  async function clickAndReload(page: Page, control: Locator): Promise<void> {
    const loaded = page.waitForEvent('load');
    await control.click();
    await loaded;
  }

  const status = (page: Page) => page.locator('dl.facts dd .badge').first().textContent();

  it('disables and reactivates a person from their page', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'dora@acme.test', displayName: 'Dora Diaz' });
    const { page, problems, close } = await open(admin, `/console/users/${id}`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Dora Diaz');
    await checkPage(page, 'person');
    // Disabling signs them out everywhere: asked first, and declining sends nothing.
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Disable Dora Diaz' }).click();
    await page.waitForTimeout(300);
    assert.deepEqual(asked, ['Disable Dora Diaz? They are signed out everywhere at once; you can reactivate them later.']);
    assert.equal(await status(page), 'Active');
    page.once('dialog', (dialog) => void dialog.accept());
    await clickAndReload(page, page.getByRole('button', { name: 'Disable Dora Diaz' }));
    assert.equal(await status(page), 'Disabled');
    assert.match((await page.getByRole('status').first().textContent()) ?? '', /Dora Diaz is disabled/);
    await clickAndReload(page, page.getByRole('button', { name: 'Reactivate Dora Diaz' }));
    assert.equal(await status(page), 'Active');
    assert.equal(await page.getByRole('button', { name: 'Disable Dora Diaz' }).count(), 1);
    assert.deepEqual(problems, []);
    await close();
  });

  it('says a person provisioned by the identity provider stays disabled until reactivated here', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'ida@acme.test', displayName: 'Ida Push', source: 'scim' });
    const { page, problems, close } = await open(admin, `/console/users/${id}`);
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await clickAndReload(page, page.getByRole('button', { name: 'Disable Ida Push' }));
    assert.deepEqual(asked, ['Disable Ida Push? They are signed out everywhere at once and stay disabled until reactivated here, even if your identity provider still has them active.']);
    assert.equal(await status(page), 'Disabled');
    assert.match((await page.locator('dl.facts').first().textContent()) ?? '', /by an administrator: stays disabled until reactivated here, whatever your identity provider sends/);
    assert.deepEqual(problems, []);
    await close();
  });

  it('asks before disabling from a users row, and warns an admin who is about to disable themselves', async () => {
    await addUser(s.t, s.acme, { userName: 'row-rita@acme.test', displayName: 'Rita Row' });
    // A second org admin exists, so the API would let this one disable their own account.
    await signIn(s.t, s.acme, 'other-admin@acme.test', { orgRole: 'org_admin' });
    const { page, problems, close } = await open(admin, '/console/users?status=active&q=row-rita');
    const asked: string[] = [];
    page.on('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Disable Rita Row' }).click();
    await page.goto(`${s.origin}/console/users/${admin.userId}`);
    await page.getByRole('button', { name: 'Disable people-admin@acme.test' }).click();
    await page.goto(`${s.origin}/console/users?status=active&q=people-admin`);
    await page.getByRole('button', { name: 'Disable people-admin@acme.test' }).click();
    // "Select all" that catches one's own row says so too.
    await page.getByLabel('Select all on this page').check();
    await page.getByRole('button', { name: 'Disable selected' }).click();
    await page.waitForTimeout(300);
    const self = 'Disable your own account? You are signed out at once and cannot sign in again until another org admin reactivates you.';
    assert.deepEqual(asked, [
      'Disable Rita Row? They are signed out everywhere at once; you can reactivate them later.',
      self,
      self,
      'Disable 1 person? They are signed out everywhere at once. Your own account is among them: you are signed out too, until another org admin reactivates you.',
    ]);
    const states = await sql(s.t, `select user_name, state from users where user_name in ('row-rita@acme.test', 'people-admin@acme.test') order by user_name`);
    assert.deepEqual(states.map((r) => String(r.state)), ['active', 'active'], 'declined: nothing disabled');
    assert.deepEqual(problems, []);
    await close();
  });

  it('deletes only when the email is typed, says why otherwise, and restores', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'eli@acme.test', displayName: 'Eli Ford' });
    const { page, problems, close } = await open(admin, `/console/users?status=active&q=eli`);
    await clickAndReload(page, page.getByRole('link', { name: 'Delete Eli Ford…' }));
    assert.match(page.url(), new RegExp(`/console/users/${id}#delete$`));
    // The row's "Delete…" lands on the confirmation itself, open and ready to type in.
    assert.equal(await page.locator('details#delete').getAttribute('open'), '');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-email');
    const confirm = page.getByLabel('Type eli@acme.test to confirm');
    await confirm.fill('eli@acme');
    await page.getByRole('button', { name: 'Delete Eli Ford' }).click();
    const alert = page.locator('#delete [role="alert"]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'That is not eli@acme.test. Type the address exactly as shown to confirm; nothing was deleted.');
    assert.equal(await confirm.getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'confirm-email');
    // The page's check is a courtesy: the API refuses a wrong confirmation on its own.
    const refused = await asPerson(s.t, s.acme, admin)('delete', `/users/${id}`, { confirmEmail: 'eli@acme' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.details.problems[0].field, 'confirmEmail');
    assert.equal(String((await sql(s.t, 'select state from users where id = ?', [id]))[0]!.state), 'active');
    await checkPage(page, 'person-delete-refused');
    await confirm.fill('ELI@acme.test');
    await clickAndReload(page, page.getByRole('button', { name: 'Delete Eli Ford' }));
    assert.equal(await status(page), 'Deleted');
    assert.equal(await page.getByLabel('Type eli@acme.test to confirm').count(), 0);
    await clickAndReload(page, page.getByRole('button', { name: 'Restore Eli Ford' }));
    assert.equal(await status(page), 'Active');
    assert.deepEqual(problems, []);
    await close();
  });

  it('revokes and resends an invitation from the users table, with the row following its status', async () => {
    const invited = await asPerson(s.t, s.acme, admin)('post', '/invitations', { emails: 'ivan@acme.test' });
    assert.equal(invited.status, 201);
    const { page, problems, close } = await open(admin, '/console/users?status=pending&q=ivan');
    await checkPage(page, 'users-pending');
    await clickAndReload(page, page.getByRole('button', { name: 'Revoke invitation ivan@acme.test' }));
    assert.equal(await page.locator('tbody tr').count(), 0, 'no longer pending');
    await page.goto(`${s.origin}/console/users?status=expired&q=ivan`);
    assert.equal(await page.getByRole('button', { name: 'Revoke invitation ivan@acme.test' }).count(), 0, 'a dead link is not revoked again');
    await clickAndReload(page, page.getByRole('button', { name: 'Resend invitation ivan@acme.test' }));
    assert.match((await page.getByRole('status').first().textContent()) ?? '', /A new invitation was sent to ivan@acme.test/);
    await page.goto(`${s.origin}/console/users?status=pending&q=ivan`);
    assert.equal(await page.locator('tbody tr').count(), 1);
    const mails = await sql(s.t, `select count(*)::int as n from outbox_messages where "to" = 'ivan@acme.test' and kind = 'invitation'`);
    assert.equal(Number(mails[0]!.n), 2, 'the first mail and the resent one');
    assert.deepEqual(problems, []);
    await close();
  });

  /** The org's mass-disable threshold for one test (the share of enabled people a bulk disable may take without force). */
  async function withThreshold(share: number, run: () => Promise<void>): Promise<void> {
    const set = (value: number) => api(s.t, s.acme).patch('/settings', { massDisableThreshold: value }).expect(200);
    await set(share);
    try {
      await run();
    } finally {
      await set(0.2);
    }
  }

  it('shows an invitee’s invitation on their page: who sent it, until when the link works, the entry points they join', async () => {
    const groupId = await addGroup(s.t, s.acme, 'Triage', []);
    const invited = await asPerson(s.t, s.acme, admin)('post', '/invitations', { emails: 'Nina Park <nina@acme.test>', groups: [{ id: groupId, role: 'editor' }] });
    assert.equal(invited.status, 201);
    const [row] = await sql(s.t, `select u.id, i.expires_at from users u join invitations i on i.user_id = u.id where u.user_name = 'nina@acme.test'`);
    const expires = new Date(String(row!.expires_at)).toISOString();
    const { page, problems, close } = await open(admin, `/console/users/${String(row!.id)}`);
    const invitation = page.getByRole('region', { name: 'Invitation' });
    const text = ((await invitation.textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(text, /Sent \d{4}-\d\d-\d\d \d\d:\d\d UTC by people-admin@acme\.test/);
    assert.ok(text.includes(`Link works until ${expires.slice(0, 10)} ${expires.slice(11, 16)} UTC`), text);
    assert.match(text, /Joins on accepting Triage \(editor\)/);
    // The entry points table shows memberships held now: it says the planned ones come on accepting.
    assert.match((await page.getByRole('region', { name: 'Entry points' }).textContent()) ?? '', /joins the invitation’s entry points when they accept it/);
    await checkPage(page, 'person-invitee');
    assert.deepEqual(problems, []);
    await close();
  });

  it('disables the selected rows after asking, says how many were done, and sends nothing when none is selected', () => withThreshold(1, async () => {
    await addUser(s.t, s.acme, { userName: 'bulk-1@acme.test', displayName: 'Bulk One' });
    await addUser(s.t, s.acme, { userName: 'bulk-2@acme.test', displayName: 'Bulk Two' });
    const { page, problems, close } = await open(admin, '/console/users?status=active&q=bulk-');
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/users/disable')) sent.push(r.method());
    });
    // Nothing selected: said on the page, nothing sent (the API's "ids: must name at least one user" was shown).
    await page.getByRole('button', { name: 'Disable selected' }).click();
    const alert = page.locator('form#bulk [role="alert"]');
    await alert.waitFor();
    assert.equal(await alert.textContent(), 'Select the people to disable first: tick their rows.');
    // Selected: asked first, naming how many; declining sends nothing.
    await page.getByLabel('Select all on this page').check();
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: 'Disable selected' }).click();
    await page.waitForTimeout(300);
    assert.deepEqual(asked, ['Disable 2 people? They are signed out everywhere at once.']);
    assert.deepEqual(sent, []);
    page.once('dialog', (dialog) => void dialog.accept());
    await clickAndReload(page, page.getByRole('button', { name: 'Disable selected' }));
    assert.deepEqual(sent, ['POST']);
    assert.equal(await page.getByRole('status').first().textContent(), 'Disabled 2 people.');
    assert.equal(await page.locator('tbody tr').count(), 0);
    assert.deepEqual(problems, []);
    await close();
  }));

  it('says in the bulk disable question that the SCIM-managed people selected stay disabled until reactivated here, and only when some are selected', () => withThreshold(1, async () => {
    await addUser(s.t, s.acme, { userName: 'mix-local@acme.test', displayName: 'Mix Local' });
    await addUser(s.t, s.acme, { userName: 'mix-idp-1@acme.test', displayName: 'Mix Idp1', source: 'scim' });
    await addUser(s.t, s.acme, { userName: 'mix-idp-2@acme.test', displayName: 'Mix Idp2', source: 'scim' });
    const { page, problems, close } = await open(admin, '/console/users?status=active&q=mix-');
    const ask = async (labels: string[]): Promise<string[]> => {
      for (const box of await page.locator('tbody input[name="row"]').all()) await box.uncheck();
      for (const label of labels) await page.getByLabel(`Select ${label}`).check();
      const asked: string[] = [];
      page.once('dialog', (dialog) => {
        asked.push(dialog.message());
        void dialog.dismiss();
      });
      await page.getByRole('button', { name: 'Disable selected' }).click();
      await page.waitForTimeout(300);
      return asked;
    };
    assert.deepEqual(await ask(['Mix Local']), ['Disable 1 person? They are signed out everywhere at once.']);
    assert.deepEqual(await ask(['Mix Idp1']), ['Disable 1 person? They are signed out everywhere at once and stay disabled until reactivated here, even if your identity provider still has them active.']);
    assert.deepEqual(await ask(['Mix Idp1', 'Mix Idp2']), ['Disable 2 people? They are signed out everywhere at once and stay disabled until reactivated here, even if your identity provider still has them active.']);
    assert.deepEqual(await ask(['Mix Local', 'Mix Idp1']), ['Disable 2 people? They are signed out everywhere at once. The one managed by your identity provider will stay disabled until reactivated here, even if your identity provider still has them active.']);
    assert.deepEqual(await ask(['Mix Local', 'Mix Idp1', 'Mix Idp2']), ['Disable 3 people? They are signed out everywhere at once. The 2 managed by your identity provider will stay disabled until reactivated here, even if your identity provider still has them active.']);
    assert.deepEqual(problems, []);
    await close();
  }));

  it('asks again, with the numbers, before a bulk disable over the mass-disable threshold, and disables nobody when declined', () => withThreshold(0.01, async () => {
    const id = await addUser(s.t, s.acme, { userName: 'mass-1@acme.test', displayName: 'Mass One' });
    const enabled = Number((await sql(s.t, `select count(*)::int as n from users where org_id = ? and state in ('active', 'invited')`, [s.acme.id]))[0]!.n);
    const { page, problems, close } = await open(admin, '/console/users?status=active&q=mass-');
    const bodies: unknown[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/users/disable')) bodies.push(r.postDataJSON());
    });
    await page.getByLabel('Select all on this page').check();
    const asked: string[] = [];
    // The selection's own question (yes), then the guard's (no): one request, refused, nothing disabled.
    page.on('dialog', (dialog) => {
      asked.push(dialog.message());
      void (asked.length === 1 ? dialog.accept() : dialog.dismiss());
    });
    await page.getByRole('button', { name: 'Disable selected' }).click();
    const alert = page.locator('form#bulk [role="alert"]');
    await alert.waitFor();
    assert.equal(asked[1], `This disables 1 of the organization's ${enabled} enabled people, more than its mass-disable threshold (1%). Disable them anyway?`);
    assert.match((await alert.textContent()) ?? '', /nothing was disabled/);
    assert.deepEqual(bodies, [{ ids: [id] }]);
    assert.equal((await sql(s.t, 'select state from users where id = ?', [id]))[0]!.state, 'active');

    // Confirmed: sent again with force, and done.
    page.removeAllListeners('dialog');
    page.on('dialog', (dialog) => void dialog.accept());
    await clickAndReload(page, page.getByRole('button', { name: 'Disable selected' }));
    assert.deepEqual(bodies.slice(1), [{ ids: [id] }, { ids: [id], force: true }]);
    assert.equal(await page.getByRole('status').first().textContent(), 'Disabled 1 person.');
    assert.equal((await sql(s.t, 'select state from users where id = ?', [id]))[0]!.state, 'disabled');
    assert.deepEqual(problems.filter((p) => !/409/.test(p)), []);
    await close();
  }));

  it('filters the users table by entry point', async () => {
    const inId = await addUser(s.t, s.acme, { userName: 'kai@acme.test', displayName: 'Kai Lund' });
    await addUser(s.t, s.acme, { userName: 'kim@acme.test', displayName: 'Kim Lund' });
    await addGroup(s.t, s.acme, 'Pharmacy', [inId]);
    const { page, close } = await open(admin, '/console/users?q=lund');
    assert.equal(await page.locator('tbody tr').count(), 2);
    await page.getByLabel('Entry point').selectOption({ label: 'Pharmacy' });
    const loaded = page.waitForURL(/group=/);
    await page.getByRole('button', { name: 'Search' }).click();
    await loaded;
    assert.deepEqual(await page.locator('tbody tr th, tbody tr td:nth-child(2) a').allTextContents(), ['Kai Lund']);
    await close();
  });

  it('edits the profile, the entry points with a role, and signs a device out', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'fay@acme.test', displayName: 'Fay Gold' });
    const groupId = await addGroup(s.t, s.acme, 'Night Shift', []);
    await addSession(s.t, s.acme, id);
    const { page, problems, close } = await open(admin, `/console/users/${id}`);
    await page.getByLabel('Job title').fill('Charge nurse');
    await clickAndReload(page, page.getByRole('button', { name: 'Save profile' }));
    assert.equal(await page.getByLabel('Job title').inputValue(), 'Charge nurse');
    await page.getByLabel('Role in Night Shift').selectOption('editor');
    assert.equal(await page.getByRole('checkbox', { name: 'Night Shift' }).isChecked(), true, 'choosing a role joins');
    await clickAndReload(page, page.getByRole('button', { name: 'Save entry points' }));
    const rows = await sql(s.t, 'select role from memberships where user_id = ? and group_id = ?', [id, groupId]);
    assert.deepEqual(rows.map((r) => r.role), ['editor']);
    assert.equal(await page.getByLabel('Role in Night Shift').inputValue(), 'editor');
    await clickAndReload(page, page.getByRole('button', { name: 'Sign out device 1: Unknown device' }));
    assert.match((await page.getByRole('region', { name: 'Devices' }).textContent()) ?? '', /not signed in anywhere/);
    assert.ok(await page.getByRole('region', { name: 'Activity' }).getByText('user.updated').count());
    assert.deepEqual(problems, []);
    await close();
  });

  it('saves only the profile fields the admin changed, so a change made meanwhile (an import) is not undone', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'ola@acme.test', displayName: 'Ola Berg' });
    const { page, problems, close } = await open(admin, `/console/users/${id}`);
    // While the page is open, a CSV import (or another admin) sets her department.
    assert.equal((await asPerson(s.t, s.acme, admin)('patch', `/users/${id}`, { department: 'Radiology' })).status, 200);
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(r.postData() ?? '');
    });
    await page.getByLabel('Job title').fill('Radiographer');
    await clickAndReload(page, page.getByRole('button', { name: 'Save profile' }));
    assert.deepEqual(sent.map((b) => JSON.parse(b)), [{ title: 'Radiographer' }]);
    const [row] = await sql(s.t, 'select title, department from users where id = ?', [id]);
    assert.deepEqual([row!.title, row!.department], ['Radiographer', 'Radiology']);
    assert.equal(await page.getByLabel('Department').inputValue(), 'Radiology');
    // Clearing a field is a change too: it is sent as "".
    await page.getByLabel('Job title').fill('');
    await clickAndReload(page, page.getByRole('button', { name: 'Save profile' }));
    assert.deepEqual(JSON.parse(sent[1]!), { title: '' });
    assert.equal((await sql(s.t, 'select title from users where id = ?', [id]))[0]!.title, null);
    // Nothing edited: said so, nothing sent.
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').getByText('No changes to save.').waitFor();
    assert.equal(sent.length, 2);
    assert.deepEqual(problems, []);
    await close();
  });

  it('sends a password reset link and resets the second factors from the person page', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'lost-phone@acme.test', displayName: 'Lou Phone' });
    const { page, problems, close } = await open(admin, `/console/users/${id}`);
    await clickAndReload(page, page.getByRole('button', { name: 'Send password reset to Lou Phone' }));
    assert.equal(await page.getByRole('status').first().textContent(), 'A password reset link was sent to lost-phone@acme.test.');
    const mails = await sql(s.t, `select count(*)::int as n from outbox_messages where "to" = 'lost-phone@acme.test' and kind = 'password_reset'`);
    assert.equal(Number(mails[0]!.n), 1);
    const asked: string[] = [];
    page.once('dialog', (dialog) => {
      asked.push(dialog.message());
      void dialog.accept();
    });
    await clickAndReload(page, page.getByRole('button', { name: 'Reset two-factor of Lou Phone' }));
    assert.deepEqual(asked, ['Remove the second factors and recovery codes of Lou Phone? They set up a second factor again at their next sign-in.']);
    assert.equal(await page.getByRole('status').first().textContent(), 'Second factors reset: Lou Phone sets one up again at their next sign-in.');
    const events = await sql(s.t, `select count(*)::int as n from audit_events where action = 'auth.mfa_reset' and target_id = ?`, [id]);
    assert.equal(Number(events[0]!.n), 1);
    await checkPage(page, 'person-sign-in-help');
    assert.deepEqual(problems, []);
    await close();
    // Neither is offered for a disabled person (the API refuses a reset link to them).
    await sql(s.t, `update users set state = 'disabled', disabled_at = now() where id = ?`, [id]);
    const again = await open(admin, `/console/users/${id}`);
    assert.equal(await again.page.getByRole('button', { name: 'Send password reset to Lou Phone' }).count(), 0);
    await again.close();
  });

  it('shows an IdP-provisioned person’s profile as read-only with the managed badge', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'scim-sam@acme.test', displayName: 'Sam Idp', source: 'scim' });
    const { page, close } = await open(admin, `/console/users/${id}`);
    assert.equal(await page.getByText('Managed by your identity provider').count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Save profile' }).count(), 0);
    assert.equal(await page.getByLabel('Job title').count(), 0);
    assert.match((await page.getByRole('region', { name: 'Profile' }).textContent()) ?? '', /come from your identity provider/);
    await close();
  });

  it('shows a member without permissions no actions, and the API refuses them with 403 anyway', async () => {
    const member = await signIn(s.t, s.acme, 'plain-member@acme.test');
    const id = await addUser(s.t, s.acme, { userName: 'gus@acme.test', displayName: 'Gus Hale' });
    await addSession(s.t, s.acme, id);
    const users = await open(member, '/console/users?status=active&q=gus');
    assert.equal(await users.page.locator('tbody tr').count(), 1);
    assert.equal(await users.page.locator('td.actions').getByRole('button').count(), 0);
    assert.equal(await users.page.locator('td.actions').getByRole('link').count(), 0);
    assert.equal(await users.page.getByRole('button', { name: 'Disable selected' }).count(), 0);
    await checkPage(users.page, 'users-member');
    await users.page.goto(`${s.origin}/console/users/${id}`);
    assert.deepEqual(await users.page.locator('main form button').allTextContents(), []);
    assert.equal(await users.page.getByRole('region', { name: 'Devices' }).count(), 0, 'sessions need users.edit');
    assert.equal(await users.page.getByRole('region', { name: 'Activity' }).count(), 0, 'activity needs audit.read');
    assert.equal(await users.page.getByRole('region', { name: 'Entry points' }).count(), 1, 'anyone may read memberships');
    await checkPage(users.page, 'person-member');
    await users.close();
    const call = asPerson(s.t, s.acme, member);
    assert.equal((await call('post', `/users/${id}/disable`)).status, 403);
    assert.equal((await call('delete', `/users/${id}`, { confirmEmail: 'gus@acme.test' })).status, 403);
    assert.equal((await call('patch', `/users/${id}`, { title: 'Boss' })).status, 403);
    assert.equal(String((await sql(s.t, 'select state from users where id = ?', [id]))[0]!.state), 'active');
  });

  it('shows a member holding grants no action on an org admin’s account, which the API refuses them', async () => {
    const helpdesk = await signIn(s.t, s.acme, 'helpdesk@acme.test', { permissions: ['users.edit', 'users.disable', 'users.delete'] });
    const boss = await signIn(s.t, s.acme, 'boss-admin@acme.test', { orgRole: 'org_admin' });
    const peer = await addUser(s.t, s.acme, { userName: 'peer-staff@acme.test', displayName: 'Peer Staff' });
    await addSession(s.t, s.acme, peer);
    const users = await open(helpdesk, '/console/users?status=active&q=boss-admin');
    assert.equal(await users.page.locator('tbody tr').count(), 1);
    assert.deepEqual(await users.page.locator('td.actions').getByRole('button').allTextContents(), [], 'no Disable that only fails');
    assert.equal(await users.page.locator('td.actions').getByRole('link').count(), 0, 'no Delete… that only fails');
    await users.page.goto(`${s.origin}/console/users/${boss.userId}`);
    assert.deepEqual(await users.page.locator('main form button').allTextContents(), [], 'no profile, device or lifecycle form');
    assert.equal(await users.page.getByLabel('Job title').count(), 0);
    assert.match((await users.page.getByRole('region', { name: 'Profile' }).textContent()) ?? '', /Only an org admin can change an org admin’s account/);
    assert.equal(await users.page.getByRole('region', { name: 'Devices' }).count(), 1, 'the devices are still listed');
    await checkPage(users.page, 'person-org-admin-as-member');
    // The same grants still act on someone who is not an org admin.
    await users.page.goto(`${s.origin}/console/users/${peer}`);
    assert.equal(await users.page.getByRole('button', { name: 'Disable Peer Staff' }).count(), 1);
    assert.equal(await users.page.getByRole('button', { name: 'Save profile' }).count(), 1);
    assert.equal(await users.page.getByRole('button', { name: /^Sign out device 1/ }).count(), 1);
    await users.close();
    const call = asPerson(s.t, s.acme, helpdesk);
    assert.equal((await call('patch', `/users/${boss.userId}`, { title: 'Boss' })).body.error.details.reason, 'org_admin_target');
    assert.equal((await call('post', `/users/${boss.userId}/disable`)).body.error.details.reason, 'org_admin_target');
  });

  it('fits the person page on a phone-width screen', async () => {
    const id = await addUser(s.t, s.acme, { userName: 'hana@acme.test', displayName: 'Hana Ito' });
    await addGroup(s.t, s.acme, 'Day Shift', [id], 'admin');
    const { page, close } = await open(admin, `/console/users/${id}`, { width: 375, height: 740 });
    await checkPage(page, 'person-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
    await close();
  });
});
