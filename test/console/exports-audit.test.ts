import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { checkPage, contextWithCookie, watchConsole } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { asPerson, signIn, type SignedIn } from '../admin/support.ts';
import { addUser, api } from '../people/support.ts';
import { scimRequest } from '../support/scim.ts';

/** Issue 10: Exports (the four people exports and audit.csv, filters applied) and the Audit page. */
describe('console exports and audit in a real browser', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let admin: SignedIn;
  let groupId: string;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    admin = await signIn(s.t, s.acme, 'export-admin@acme.test', { orgRole: 'org_admin' });
    const eve = await addUser(s.t, s.acme, { userName: 'eve@acme.test' });
    await addUser(s.t, s.acme, { userName: 'evan@acme.test' });
    const created = await asPerson(s.t, s.acme, admin)('post', '/groups', { displayName: 'Exporters' });
    groupId = created.body.id;
    await asPerson(s.t, s.acme, admin)('post', `/groups/${groupId}/members`, { members: [{ userId: eve, role: 'editor' }] });
  });
  after(() => closeConsole(s, browser));

  /** Downloads what a link points at, as the browser would with the session cookie. */
  async function download(page: Page, name: string | RegExp): Promise<{ disposition: string; lines: string[] }> {
    const href = await page.getByRole('link', { name }).getAttribute('href');
    assert.ok(href);
    const res = await fetch(new URL(href, s.origin), { headers: { cookie: admin.cookie } });
    assert.equal(res.status, 200, `${href} answered ${res.status}`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    const text = (await res.text()).replace(/^\uFEFF/, '');
    return { disposition: res.headers.get('content-disposition') ?? '', lines: text.split(/\r?\n/).filter(Boolean) };
  }

  it('downloads each people export with the filters chosen on the page', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/exports`);
    await checkPage(page, 'exports');
    await page.getByLabel('Status', { exact: true }).first().selectOption('active');
    await page.getByLabel('Entry point').selectOption({ label: 'Exporters' });
    await page.getByLabel('Name or email contains').fill('eve');
    await page.getByRole('button', { name: 'Apply people filters' }).click();
    await page.waitForURL(/status=active/);

    const users = await download(page, 'Download users.csv');
    assert.match(users.disposition, /^attachment; filename="acme-users-.*\.csv"$/);
    assert.match(users.lines[0]!, /^User Name,User ID,User Email,/);
    assert.equal(users.lines.length, 2, 'the header and eve alone: evan is in no entry point');
    assert.match(users.lines[1]!, /eve@acme\.test/);

    const memberships = await download(page, /users-memberships\.csv/);
    assert.match(memberships.disposition, /users-memberships/);
    assert.match(memberships.lines[0]!, /Entry Point Name/);
    assert.match(memberships.lines[1]!, /eve@acme\.test.*Exporters.*editor/);

    await page.getByLabel('Status', { exact: true }).nth(1).selectOption('pending');
    await page.getByRole('button', { name: 'Apply invitation filter' }).click();
    await page.waitForURL(/invitationStatus=pending/);
    assert.match((await page.getByRole('link', { name: 'Download invitations.csv' }).getAttribute('href')) ?? '', /invitations\.csv\?status=pending$/);
    const invitations = await download(page, 'Download invitations.csv');
    assert.match(invitations.lines[0]!, /^Date Invited,Invited Name,Invited Email/);
    const invitationMemberships = await download(page, /invitations-memberships\.csv/);
    assert.match(invitationMemberships.lines[0]!, /Entry Point Role$/);
    assert.match((await page.getByRole('link', { name: 'Download users.csv' }).getAttribute('href')) ?? '', /q=eve/, 'the people filters are kept');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('writes every file with ";" once the semicolon separator is chosen (Excel in German, French… locales), and keeps it with the filters', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/exports`);
    await page.getByLabel('Separator').selectOption('semicolon');
    await page.getByRole('button', { name: 'Apply separator' }).click();
    await page.waitForURL(/delimiter=semicolon/);
    await checkPage(page, 'exports with the semicolon separator');
    const users = await download(page, 'Download users.csv');
    assert.match(users.lines[0]!, /^User Name;User ID;User Email;/);
    assert.match((await download(page, 'Download audit.csv')).lines[0]!, /^Date;Actor Type;Actor;/);
    await page.getByLabel('Name or email contains').fill('eve');
    await page.getByRole('button', { name: 'Apply people filters' }).click();
    await page.waitForURL(/q=eve/);
    assert.match((await page.getByRole('link', { name: 'Download users.csv' }).getAttribute('href')) ?? '', /q=eve.*delimiter=semicolon|delimiter=semicolon.*q=eve/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('finds an earlier action in the audit trail, narrows it by action and exports that view', async () => {
    await asPerson(s.t, s.acme, admin)('patch', `/groups/${groupId}`, { description: 'Files and reports' });
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/audit`);
    const all = await page.locator('tbody tr').count();
    const created = page.getByRole('row', { name: /group\.created/ });
    assert.match((await created.textContent()) ?? '', /export-admin@acme\.test[\s\S]*group\.created[\s\S]*Exporters/);
    await checkPage(page, 'audit');

    await page.getByLabel('Action or prefix').fill('group.created');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=group\.created/);
    const actions = await page.locator('tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual(actions, ['group.created']);
    assert.ok(all > actions.length, `the filter narrows ${all} events`);

    await page.getByLabel('Action or prefix').fill('group.');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=group\.(&|$)/);
    const prefixed = await page.locator('tbody tr td:nth-child(3)').allTextContents();
    assert.ok(prefixed.length >= 2 && prefixed.every((a) => a.startsWith('group.')), prefixed.join());
    assert.match((await page.getByRole('row', { name: /group\.updated/ }).textContent()) ?? '', /description: ∅ → Files and reports/);

    await page.getByLabel('Action or prefix').fill('Group Created!');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=Group/);
    assert.match((await page.getByRole('alert').textContent()) ?? '', /action: must be an action/);

    await page.goto(`${s.origin}/console/audit?action=group.created`);
    await page.getByRole('link', { name: 'Export these events as CSV' }).click();
    await page.waitForURL(/\/console\/exports\?action=group\.created/);
    const audit = await download(page, 'Download audit.csv');
    assert.match(audit.disposition, /acme-audit-/);
    assert.match(audit.lines[0]!, /^Date,Actor Type,Actor,Action,/);
    assert.equal(audit.lines.length, 2);
    assert.match(audit.lines[1]!, /group\.created/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('says in words what a held IdP reactivation, an adopted disable and a SCIM group write naming a deleted member mean', async () => {
    const scim = (method: 'post' | 'patch', path: string, body: unknown) => scimRequest(s.t, s.acme.tokens.scim, method, path, body);
    const made = await scim('post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'held@acme.test', active: true });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const held = made.body.id as string;
    const active = (value: boolean) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value }] });
    assert.equal((await api(s.t, s.acme).post(`/users/${held}/disable`)).status, 200);
    assert.equal((await scim('patch', `/Users/${held}`, active(true))).status, 200);
    assert.equal((await scim('patch', `/Users/${held}`, active(false))).status, 200);
    const gone = (await scim('post', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'gone@acme.test', active: true })).body.id as string;
    const group = await scim('post', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Held Sales' });
    assert.equal(group.status, 201, JSON.stringify(group.body));
    assert.equal((await api(s.t, s.acme).delete(`/users/${gone}`, { confirmEmail: 'gone@acme.test' })).status, 200);
    const add = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: gone }] }] };
    assert.equal((await scim('patch', `/Groups/${group.body.id}`, add)).status, 200);

    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    const rowText = async (action: string, target = 'held@acme.test') => {
      await page.goto(`${s.origin}/console/audit?action=${action}&target=${encodeURIComponent(target)}`);
      const rows = await page.locator('tbody tr').allTextContents();
      assert.equal(rows.length, 1, rows.join('\n'));
      return rows[0]!.replace(/\s+/g, ' ');
    };
    assert.match(await rowText('user.activation_held'), /The identity provider’s reactivation was not applied: disabled here by an administrator, they stay disabled until reactivated here\./);
    assert.match(await rowText('user.disable_adopted'), /The identity provider disabled them too: its own reactivation will now apply\./);
    const groupRow = await rowText('group.updated', 'Held Sales');
    assert.match(groupRow, /Still sent as members by the identity provider, though deleted here \(kept hidden until restored\): gone@acme\.test/);
    assert.doesNotMatch(groupRow, /deletedMembersAdded|[{}[\]]/);
    await page.goto(`${s.origin}/console/users/${held}`);
    const activity = ((await page.locator('section[aria-labelledby="activity-h"]').textContent()) ?? '').replace(/\s+/g, ' ');
    assert.match(activity, /user\.activation_held ?The identity provider’s reactivation was not applied/);
    assert.match(activity, /user\.disable_adopted ?The identity provider disabled them too/);
    await page.goto(`${s.origin}/console/audit?action=group.updated&target=Held%20Sales`);
    await page.getByRole('link', { name: 'gone@acme.test' }).click();
    await page.waitForURL(new RegExp(`/console/users/${gone}$`));
    await checkPage(page, 'audit notes');
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('keeps the audit filters when the people filters are applied, and the other way round', async () => {
    const context = await contextWithCookie(browser, s.origin, admin.cookie);
    const page = await context.newPage();
    const problems = watchConsole(page);
    // Arrived from the Audit page's "Export these events as CSV".
    await page.goto(`${s.origin}/console/exports?action=group.created&since=2026-01-01`);
    await page.getByLabel('Status', { exact: true }).first().selectOption('active');
    await page.getByRole('button', { name: 'Apply people filters' }).click();
    await page.waitForURL(/status=active/);
    const auditHref = async () => (await page.getByRole('link', { name: 'Download audit.csv' }).getAttribute('href')) ?? '';
    assert.match(await auditHref(), /action=group\.created/);
    assert.match(await auditHref(), /since=2026-01-01T00%3A00%3A00\.000Z/);
    assert.equal(await page.getByLabel('Action (exact, or a prefix such as user.)').inputValue(), 'group.created');
    await page.getByLabel('Actor (email or id)').fill('export-admin@acme.test');
    await page.getByRole('button', { name: 'Apply audit filters' }).click();
    await page.waitForURL(/actor=/);
    assert.match((await page.getByRole('link', { name: 'Download users.csv' }).getAttribute('href')) ?? '', /status=active/);
    assert.match(await auditHref(), /action=group\.created/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('refuses the exports and the audit to a member without grants, and shows no export controls', async () => {
    const member = await signIn(s.t, s.acme, 'export-member@acme.test');
    for (const path of ['/console/exports', '/console/audit']) {
      const res = await fetch(`${s.origin}${path}`, { headers: { cookie: member.cookie } });
      assert.equal(res.status, 403, path);
    }
    assert.equal((await asPerson(s.t, s.acme, member)('get', '/exports/users.csv')).status, 403);
    const context = await contextWithCookie(browser, s.origin, member.cookie);
    const page = await context.newPage();
    await page.goto(`${s.origin}/console/users`);
    assert.equal(await page.locator('a[href*="/exports/"]').count(), 0);
    await context.close();
  });
});
