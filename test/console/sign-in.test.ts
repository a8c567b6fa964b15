import assert from 'node:assert/strict';
import { updateOrgSettings } from '../../src/directory/org-settings.ts';
import type { Browser } from 'playwright-core';
import { checkPage, watchConsole } from './support/browser.ts';
import { type ConsoleServer } from './support/server.ts';
import { closeConsole, openConsole } from './support/suite.ts';
import { seedOrg, testActor, type SeededOrg } from '../support/app.ts';
import { configureSaml } from '../saml/support/sp.ts';
import { SSO_AMBIGUOUS, SSO_NOT_FOUND } from '../../src/http/auth/sso-discovery.ts';
import { escapeHtml } from '../../src/lib/html.ts';

/** Issue 10: "Sign in with SSO" on the sign-in page — by org ID or work email domain → the org's SAML sign-in. */
describe('console sign-in: Sign in with SSO', function () {
  this.timeout(120_000);
  let s: ConsoleServer;
  let browser: Browser;
  let globex: SeededOrg;
  let initech: SeededOrg;

  // ssoDomains are the operator's (the CLI's) to set: through the domain, as `gatehouse org sso-domains` does.
  const patchSettings = async (org: SeededOrg, body: Record<string, unknown>) => {
    await updateOrgSettings(s.t.container.fork(), { orgId: org.id, orgSlug: org.slug, actor: testActor }, body, { operator: true });
  };
  const discover = (who: string, next?: string) =>
    fetch(`${s.origin}/auth/sso?${new URLSearchParams({ who, ...(next ? { next } : {}) })}`, { redirect: 'manual' });

  before(async function () {
    ({ s, browser } = await openConsole(this));
    globex = await seedOrg(s.t.container, 'globex');
    initech = await seedOrg(s.t.container, 'initech');
    await configureSaml(s.app, s.acme);
    await configureSaml(s.app, globex);
    // initech claims a domain but has no SAML connection: it is never a destination.
    await patchSettings(s.acme, { ssoDomains: ['acme.test', 'shared.test'] });
    await patchSettings(globex, { ssoDomains: ['shared.test'] });
    await patchSettings(initech, { ssoDomains: ['initech.test'] });
  });
  after(() => closeConsole(s, browser));

  it('sends an org ID to that org’s SAML sign-in, with the console page as RelayState', async () => {
    const res = await discover('Acme', '/console/users?status=active');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/saml/acme/login?RelayState=${encodeURIComponent('/console/users?status=active')}`);
  });

  it('sends a work email to the one org whose SSO domains claim its domain', async () => {
    const res = await discover('Wile.E@ACME.test');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/saml/acme/login');
  });

  it('never carries a next address outside the console', async () => {
    const res = await discover('acme', 'https://evil.test/console');
    assert.equal(res.headers.get('location'), `/saml/acme/login?RelayState=${encodeURIComponent('/console')}`);
  });

  it('starts the SAML sign-in with a console path as RelayState', async () => {
    const res = await fetch(`${s.origin}/saml/acme/login?RelayState=${encodeURIComponent('/console/users')}`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.match(res.headers.get('location') ?? '', /^https:\/\/idp\.example\.test\/app\/sso\/saml\?SAMLRequest=.*&RelayState=%2Fconsole%2Fusers/);
  });

  it('answers an unknown org, an org without SSO and an unclaimed domain with one and the same message', async () => {
    const bodies = new Set<string>();
    for (const who of ['no-such-org', 'initech', 'someone@initech.test', 'someone@nowhere.test', 'not a slug!', 'trailing@']) {
      const res = await discover(who);
      assert.equal(res.status, 404, who);
      const page = await res.text();
      assert.ok(page.includes(escapeHtml(SSO_NOT_FOUND)), who);
      bodies.add(page.replace(/value="[^"]*"/g, ''));
    }
    assert.equal(bodies.size, 1, 'nothing in the page tells the cases apart');
  });

  it('asks for the org ID when several orgs claim the email domain', async () => {
    const res = await discover('pat@shared.test');
    assert.equal(res.status, 404);
    const page = await res.text();
    assert.ok(page.includes(escapeHtml(SSO_AMBIGUOUS)));
    assert.doesNotMatch(page, /globex/);
  });

  it('serves the sign-in page without form-action, so the SSO form may end at the IdP, and keeps the rest of the policy', async () => {
    const res = await fetch(`${s.origin}/auth/password/login`);
    const policy = res.headers.get('content-security-policy') ?? '';
    assert.doesNotMatch(policy, /form-action/);
    assert.match(policy, /script-src 'self'/);
    assert.match(policy, /frame-ancestors 'none'/);
  });

  it('shows the message on the sign-in page, accessibly, with what was typed kept', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${s.origin}/auth/password/login?next=%2Fconsole%2Fsettings`);
    await page.getByLabel('Organization ID or work e-mail').fill('nobody@nowhere.test');
    await page.getByRole('button', { name: 'Continue with SSO' }).click();
    await page.waitForURL(/\/auth\/sso\?/);
    const alert = page.getByRole('alert');
    assert.ok(((await alert.textContent()) ?? '').includes(SSO_NOT_FOUND));
    assert.equal(await page.getByLabel('Organization ID or work e-mail').inputValue(), 'nobody@nowhere.test');
    assert.equal(await page.locator('input[name="next"]').first().inputValue(), '/console/settings');
    await checkPage(page, 'sign-in-sso-unknown');
    assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
    await context.close();
  });
});
