import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { testActor } from '../support/app.ts';
import { updateOrgSettings } from '../../src/directory/org-settings.ts';
import type { Browser, Page } from 'playwright-core';
import { checkPage, openPage, watchConsole } from './support/browser.ts';
import type { ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { startTestIdp, type TestIdp } from './support/test-idp.ts';
import { signIn } from '../admin/support.ts';
import { seedPerson } from '../auth/support/people.ts';
import { IDP_ENTITY_ID } from '../saml/support/idp.ts';
import { SamlConnection } from '../../src/db/entities/index.ts';
import { recordMetadataFetch } from '../../src/saml/metadata-refresh.ts';

/** Issue 10: the IT admin's page — values for the IdP, IdP metadata, certificates, SCIM tokens, activity — and SSO sign-in through it. */
describe('console: single sign-on and provisioning', function () {
  this.timeout(180_000);
  let s: ConsoleServer;
  let browser: Browser;
  let idp: TestIdp;
  let admin: Awaited<ReturnType<typeof signIn>>;

  before(async function () {
    ({ s, browser } = await openConsole(this));
    idp = await startTestIdp({ entityId: `${s.origin}/saml/acme`, acsUrl: `${s.origin}/saml/acme/acs`, nameId: 'alice@acme.test' });
    admin = await signIn(s.t, s.acme, 'it-admin@acme.test', { orgRole: 'org_admin' });
  });
  after(async () => {
    await idp?.close();
    await closeConsole(s, browser);
  });

  const adminPage = (viewport?: { width: number; height: number }) => openPage(browser, s.origin, admin.cookie, viewport);

  /** Submits a data-api form by its button and waits for the page the API's success reloads. */
  async function submitAndReload(page: Page, button: string, method: string): Promise<void> {
    const answered = page.waitForResponse((r) => r.url().startsWith(`${s.origin}/api/`) && r.request().method() === method);
    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: button }).click();
    const res = await answered;
    assert.ok(res.ok(), `${method} answered ${res.status()}`);
    await reloaded;
  }

  it('shows the values to copy into Okta or Entra, exactly as the SP uses them, each with a copy button', async () => {
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/sso`);
    await checkPage(page, 'sso-unconfigured');
    assert.equal((await page.locator('#acs-url').textContent())?.trim(), `${s.origin}/saml/acme/acs`);
    assert.equal((await page.locator('#sp-entity-id').textContent())?.trim(), `${s.origin}/saml/acme`);
    assert.equal((await page.locator('#sp-metadata-url').textContent())?.trim(), `${s.origin}/saml/acme/metadata`);
    assert.equal((await page.locator('#scim-base-url').textContent())?.trim(), `${s.origin}/scim/v2`);
    for (const name of ['Copy ACS URL (single sign-on URL)', 'Copy SP entity ID (audience)', 'Copy SP metadata URL', 'Copy SCIM base URL']) {
      assert.equal(await page.getByRole('button', { name }).count(), 1, name);
    }
    assert.deepEqual(problems, []);
    await close();
  });

  it('configures SAML from pasted IdP metadata, then lists the certificate with its expiry and keeps the JIT policy on option changes', async () => {
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/sso`);
    await page.getByLabel('Metadata XML').fill(idp.metadataXml);
    await submitAndReload(page, 'Save metadata', 'PUT');
    const facts = (await page.locator('dl.facts').nth(1).textContent()) ?? '';
    assert.match(facts, new RegExp(IDP_ENTITY_ID.replace(/[.]/g, '\\.')));
    assert.match(facts, new RegExp(idp.ssoUrl.replace(/[.?]/g, '\\$&')));
    const certRows = page.getByRole('table', { name: 'Signing certificates of the identity provider' }).locator('tbody tr');
    assert.equal(await certRows.count(), 1);
    assert.match((await certRows.first().textContent()) ?? '', /\d{4}-\d{2}-\d{2}/);

    await page.getByLabel('Accounts on first sign-in (JIT)').selectOption('link');
    await submitAndReload(page, 'Save options', 'PUT');
    assert.equal(await page.getByLabel('Accounts on first sign-in (JIT)').inputValue(), 'link');
    assert.equal(await certRows.count(), 1, 'changing an option keeps the IdP side');
    await checkPage(page, 'sso');
    assert.deepEqual(problems, []);
    await close();
  });

  it('does not undo a change another admin made after the page was loaded: saving the options says so and saves nothing', async () => {
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/sso`);
    await page.getByLabel('Metadata XML').fill(idp.metadataXml);
    await submitAndReload(page, 'Save metadata', 'PUT');
    const before = await page.getByLabel('Accounts on first sign-in (JIT)').inputValue();
    // Meanwhile another admin (or a script) changes the connection through the API.
    const api = (method: string, body?: unknown) => fetch(`${s.origin}/api/orgs/acme/saml`, {
      method,
      headers: { authorization: `Bearer ${s.acme.tokens.admin}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const other = await api('PUT', { jit: before === 'create' ? 'link' : 'create', allowedRedirectUrls: ['https://elsewhere.acme.test/'] });
    const theirs = (await other.json()) as { jit: string; allowedRedirectUrls: string[] };
    assert.equal(other.status, 200, JSON.stringify(theirs));

    await page.getByLabel('Accept SHA-1 signatures (only for old identity providers)').check();
    const answered = page.waitForResponse((r) => r.url() === `${s.origin}/api/orgs/acme/saml` && r.request().method() === 'PUT');
    await page.getByRole('button', { name: 'Save options' }).click();
    assert.equal((await answered).status(), 412);
    const alert = page.locator('#options-form [role="alert"]');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /someone else changed these settings after this page was loaded\. Reload the page/);
    const now = (await (await api('GET')).json()) as { jit: string; allowSha1: boolean; allowedRedirectUrls: string[] };
    assert.deepEqual([now.jit, now.allowSha1, now.allowedRedirectUrls], [theirs.jit, false, theirs.allowedRedirectUrls]);

    // Reloaded, the page shows their change and saves on top of it.
    await page.reload();
    assert.equal(await page.getByLabel('Accounts on first sign-in (JIT)').inputValue(), theirs.jit);
    await page.getByLabel('Accept SHA-1 signatures (only for old identity providers)').check();
    await submitAndReload(page, 'Save options', 'PUT');
    const saved = (await (await api('GET')).json()) as { jit: string; allowSha1: boolean; allowedRedirectUrls: string[] };
    assert.deepEqual([saved.jit, saved.allowSha1, saved.allowedRedirectUrls], [theirs.jit, true, theirs.allowedRedirectUrls]);
    await api('PUT', { jit: theirs.jit, allowSha1: false, allowedRedirectUrls: [] });
    assert.deepEqual(problems.filter((p) => !/412/.test(p)), []);
    await close();
  });

  it('names the problem when the pasted metadata is not IdP metadata', async () => {
    const { page, close } = await adminPage();
    await page.goto(`${s.origin}/console/sso`);
    await page.getByLabel('Metadata XML').fill('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>');
    await page.getByRole('button', { name: 'Save metadata' }).click();
    const alert = page.locator('#metadata-form [role="alert"]');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /^Metadata XML: no EntityDescriptor with an IDPSSODescriptor/);
    await close();
  });

  it('configures SAML from the IdP metadata URL (Entra’s App Federation Metadata URL), and names the problem when it gives no metadata', async () => {
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/sso`);
    await page.getByLabel('IdP metadata URL').fill(idp.metadataUrl.replace('/metadata', '/not-metadata'));
    await page.getByRole('button', { name: 'Fetch metadata' }).click();
    const alert = page.locator('#metadata-url-form [role="alert"]');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /^IdP metadata URL: answered HTTP 204/);
    await page.getByLabel('IdP metadata URL').fill(idp.metadataUrl);
    await submitAndReload(page, 'Fetch metadata', 'PUT');
    assert.equal(await page.getByLabel('IdP metadata URL').inputValue(), idp.metadataUrl, 'the URL is kept, to fetch again at the next certificate');
    assert.match((await page.locator('#idp-metadata-url-status').textContent()) ?? '', /^\s*Last fetched \d{4}-\d\d-\d\d \d\d:\d\d UTC\.\s*$/);
    // The background refresh failed since: the page says when and why.
    const connection = await s.t.container.fork().findOneOrFail(SamlConnection, { org: s.acme.id, name: 'default' });
    await recordMetadataFetch(s.t.container.fork(), connection.id, new Date('2026-12-01T10:00:00Z'), 'answered HTTP 503');
    await page.reload();
    assert.match((await page.locator('#idp-metadata-url-status').textContent()) ?? '', /Last fetched .*\. Last error 2026-12-01 10:00 UTC: answered HTTP 503\.\s*$/);
    // A reason that ends its own sentence gets no second full stop.
    await recordMetadataFetch(s.t.container.fork(), connection.id, new Date('2026-12-01T11:00:00Z'), 'is not SAML IdP metadata: no EntityDescriptor.');
    await page.reload();
    assert.match((await page.locator('#idp-metadata-url-status').textContent()) ?? '', /Last error 2026-12-01 11:00 UTC: is not SAML IdP metadata: no EntityDescriptor\.\s*$/);
    const facts = (await page.locator('dl.facts').nth(1).textContent()) ?? '';
    assert.match(facts, new RegExp(IDP_ENTITY_ID.replace(/[.]/g, '\\.')));
    assert.deepEqual(problems.filter((p) => !/400/.test(p)), []);
    await close();
  });

  it('signs a person in through the IdP from the sign-in page’s “Sign in with SSO”, by work email, back to the page they wanted', async () => {
    await seedPerson(s.t.container, s.acme, 'alice@acme.test');
    await updateOrgSettings(s.t.container.fork(), { orgId: s.acme.id, orgSlug: 'acme', actor: testActor }, { ssoDomains: ['acme.test'] }, { operator: true });
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/console/users?status=active`);
    await page.waitForURL(/\/auth\/password\/login\?next=/);
    await page.getByLabel('Organization ID or work e-mail').fill('alice@acme.test');
    await page.getByRole('button', { name: 'Continue with SSO' }).click();
    await page.waitForURL((url) => url.href.startsWith(idp.ssoUrl), { timeout: 10_000 }).catch(async (error) => {
      throw new Error(`${error.message}\nat ${page.url()}: ${(await page.textContent('main'))?.slice(0, 300)}`);
    });
    assert.equal(idp.requests.length, 1);
    await page.getByRole('button', { name: 'Continue to Gatehouse' }).click();
    await page.waitForURL(`${s.origin}/console/users?status=active`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Users');
    assert.match((await page.locator('.who').textContent()) ?? '', /alice@acme\.test/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  it('creates a SCIM token whose secret is shown once and works, lists what it was refused, then revokes it after confirming', async () => {
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/sso`);
    await page.getByLabel(/^Name/).fill('Okta provisioning');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secretBox = page.locator('#token-secret-box .secret');
    await secretBox.waitFor();
    const secret = ((await secretBox.textContent()) ?? '').trim();
    assert.ok(secret.length >= 20, 'a secret is shown');
    assert.equal(await page.getByRole('button', { name: 'Copy the token' }).count(), 1);
    await checkPage(page, 'sso-token-created');

    const created = await fetch(`${s.origin}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'provisioned@acme.test', emails: [{ value: 'provisioned@acme.test', primary: true }] }),
    });
    assert.equal(created.status, 201, await created.text());
    const clash = await fetch(`${s.origin}/scim/v2/Users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'provisioned@acme.test' }),
    });
    assert.equal(clash.status, 409, await clash.text());
    const failed = await fetch(`${s.origin}/saml/acme/acs`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'SAMLResponse=bm90IHhtbA%3D%3D' });
    assert.equal(failed.status, 400);

    await page.reload();
    assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');
    assert.equal(await page.locator('#token-secret-box .secret').count(), 0);
    const scim = page.getByRole('table', { name: 'Last changes made over SCIM' });
    assert.match((await scim.textContent()) ?? '', /Okta provisioning[\s\S]*provisioned@acme\.test/);
    const failures = page.getByRole('table', { name: 'Last failed single sign-ons' });
    assert.match((await failures.textContent()) ?? '', /malformed/);
    const refusals = page.getByRole('table', { name: 'Last refused SCIM requests' });
    assert.match((await refusals.textContent()) ?? '', /Okta provisioning[\s\S]*POST \/scim\/v2\/Users[\s\S]*Clashes with an existing user or group/);
    assert.match((await page.locator('#scim-problem-counts').textContent()) ?? '', /1 × Clashes with an existing user or group/);
    await checkPage(page, 'sso-scim-problems');

    page.once('dialog', (dialog) => void dialog.accept());
    await submitAndReload(page, 'Revoke Okta provisioning', 'DELETE');
    assert.equal(await page.getByRole('button', { name: 'Revoke Okta provisioning' }).count(), 0);
    assert.match((await page.getByRole('table', { name: 'SCIM tokens' }).textContent()) ?? '', /Revoked/);
    const refused = await fetch(`${s.origin}/scim/v2/Users`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(refused.status, 401);
    assert.deepEqual(problems, []);
    await close();
  });

  it('adds an assertion-encryption key with its certificate to copy, requires encryption, and removes an old key after confirming', async () => {
    const { page, problems, close } = await adminPage();
    await page.goto(`${s.origin}/console/sso`);
    await submitAndReload(page, 'Add an encryption key', 'POST');
    const rows = page.getByRole('table', { name: 'Encryption keys' }).locator('tbody tr');
    assert.equal(await rows.count(), 1);
    await page.getByText('Certificate 1', { exact: true }).click();
    const pem = ((await page.locator('#encryption-cert-0').textContent()) ?? '').trim();
    assert.match(pem, /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/);
    assert.equal(await page.getByRole('button', { name: 'Copy certificate 1' }).count(), 1);
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download certificate 1' }).click()]);
    assert.match(file.suggestedFilename(), /^gatehouse-acme-default-encryption-\d{4}-\d\d-\d\d\.cer$/);
    assert.equal(readFileSync((await file.path())!, 'utf8').trim(), pem);
    const metadata = await (await fetch(`${s.origin}/saml/acme/metadata`)).text();
    assert.ok(metadata.includes(pem.replace(/-----[A-Z ]+-----|\s/g, '')), 'the SP metadata publishes the certificate');

    await page.getByLabel(/Require encrypted assertions/).check();
    await submitAndReload(page, 'Save options', 'PUT');
    assert.equal(await page.getByLabel(/Require encrypted assertions/).isChecked(), true);
    assert.equal(await page.getByRole('button', { name: /Remove encryption key/ }).count(), 0, 'the only key stays while encryption is required');
    await submitAndReload(page, 'Add an encryption key', 'POST');
    assert.equal(await rows.count(), 2);
    await checkPage(page, 'sso-encryption');
    page.once('dialog', (dialog) => void dialog.accept());
    await submitAndReload(page, 'Remove encryption key 2', 'DELETE');
    assert.equal(await rows.count(), 1);
    assert.notEqual((await page.locator('#encryption-cert-0').textContent())?.trim(), pem, 'the older key went, the newer stays');

    await page.getByLabel(/Require encrypted assertions/).uncheck();
    await submitAndReload(page, 'Save options', 'PUT');
    assert.equal(await page.getByRole('button', { name: 'Remove encryption key 1' }).count(), 1);
    assert.deepEqual(problems, []);
    await close();
  });

  it('fits a phone-width screen', async () => {
    const { page, close } = await adminPage({ width: 375, height: 740 });
    await page.goto(`${s.origin}/console/sso`);
    await checkPage(page, 'sso-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
    await close();
  });

  it('answers a member without settings.manage with 403 on the SSO and settings pages', async () => {
    const member = await signIn(s.t, s.acme, 'member@acme.test', { permissions: ['users.invite'] });
    for (const path of ['/console/sso', '/console/settings']) {
      const res = await fetch(`${s.origin}${path}`, { headers: { cookie: member.cookie } });
      assert.equal(res.status, 403, path);
      assert.match(await res.text(), /settings\.manage/);
    }
  });
});
