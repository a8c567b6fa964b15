import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import path from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { createTestApp, seedOrg, type TestApp } from '../support/app.ts';
import { freePort } from '../support/net.ts';
import { configureSaml, seedUser } from '../saml/support/sp.ts';
import { browserAvailable, launchBrowser } from './support/browser.ts';
import { startTestIdp, type TestIdp } from './support/test-idp.ts';

/**
 * Login CSRF in a real browser: Gatehouse on https, the IdP on another site
 * (http://localhost), so the IdP's POST to the ACS is cross-site and only a
 * SameSite=None cookie rides along with it.
 */
describe('console: an SSO sign-in is bound to the browser that started it', function () {
  this.timeout(120_000);
  let t: TestApp;
  let server: Server;
  let browser: Browser;
  let idp: TestIdp;
  let origin: string;

  before(async function () {
    if (!browserAvailable()) this.skip();
    const port = await freePort();
    origin = `https://127.0.0.1:${port}`;
    t = await createTestApp({ config: { publicUrl: origin } });
    const acme = await seedOrg(t.container, 'acme');
    await seedUser(t.container, acme, 'mallory@acme.test');
    idp = await startTestIdp({ entityId: `${origin}/saml/acme`, acsUrl: `${origin}/saml/acme/acs`, nameId: 'mallory@acme.test', host: 'localhost' });
    await configureSaml(t.app, acme, { idpSsoUrl: idp.ssoUrl, allowIdpInitiated: false });
    // Any key serves for TLS here: the browser is told to accept the certificate.
    const fixtures = path.resolve(import.meta.dirname, '..', 'fixtures', 'saml');
    server = createServer({ key: readFileSync(path.join(fixtures, 'idp.key')), cert: readFileSync(path.join(fixtures, 'idp.crt')) }, t.app);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await idp?.close();
    await t?.close();
  });

  const newBrowser = () => browser.newContext({ ignoreHTTPSErrors: true });
  const signedIn = async (context: BrowserContext) => (await context.request.get(`${origin}/api/session`)).status() === 200;

  it('signs in the browser that started the sign-in, its cookie surviving the IdP\'s cross-site POST', async () => {
    const context = await newBrowser();
    const page = await context.newPage();
    await page.goto(`${origin}/saml/acme/login`);
    await page.waitForURL((url) => url.href.startsWith(idp.ssoUrl));
    await page.getByRole('button', { name: 'Continue to Gatehouse' }).click();
    await page.waitForURL(`${origin}/console/users`);
    assert.ok(await signedIn(context));
    // Spent: cleared from the browser with the sign-in.
    assert.deepEqual((await context.cookies(origin)).map((c) => c.name), ['__Host-gatehouse_session']);
    await context.close();
  });

  it('refuses, in another person\'s browser, a response the attacker obtained in theirs, and signs no one in', async () => {
    // The attacker starts a sign-in and stops at the IdP's page, keeping the signed response it carries.
    const attacker = await newBrowser();
    const attackerPage = await attacker.newPage();
    await attackerPage.goto(`${origin}/saml/acme/login`);
    await attackerPage.waitForURL((url) => url.href.startsWith(idp.ssoUrl));
    const samlResponse = await attackerPage.locator('input[name="SAMLResponse"]').inputValue();
    await attacker.close();

    // The victim opens the attacker's page, which posts that response to the ACS.
    const victim = await newBrowser();
    const page = await victim.newPage();
    await page.route('http://attacker.test/', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><title>Win a prize</title><form method="post" action="${origin}/saml/acme/acs"><input type="hidden" name="SAMLResponse" value="${samlResponse}"><button>Claim</button></form>`,
      }),
    );
    await page.goto('http://attacker.test/');
    await page.getByRole('button', { name: 'Claim' }).click();
    await page.waitForURL(`${origin}/saml/acme/acs`);
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Start sign-in here');
    assert.match((await page.textContent('main')) ?? '', /not started in this browser/);
    assert.equal(await signedIn(victim), false);
    await victim.close();
  });
});
