import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

/**
 * Headless Chromium from the system (Debian's `chromium`), as issue 10 asks:
 * no sandbox (CI runs as root) and no background networking (this machine's
 * network is closed). Without a Chromium the browser tests skip, unless
 * REQUIRE_BROWSER=1 (set by .ci/run) makes its absence a failure.
 */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function browserAvailable(): boolean {
  if (existsSync(chromiumPath)) return true;
  if (process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
  return false;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Screenshots land here (git-ignored): the test artifacts of each page. */
export const artifactsDir = join(import.meta.dirname, '..', '..', '..', 'test-artifacts', 'console');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: join(artifactsDir, `${name}.png`), fullPage: true });
}

const axeSource: string = (createRequire(import.meta.url)('axe-core') as { source: string }).source;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/**
 * axe-core's WCAG 2 A/AA rules on the page as it is now. Injected through the
 * DevTools protocol (page.evaluate), which the page's CSP does not govern, so the
 * console keeps its no-inline-script policy under test. Returns the serious and
 * critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const out = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return out.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Fails with a readable list when the page has serious accessibility violations. */
export async function assertAccessible(page: Page): Promise<void> {
  const violations = await seriousViolations(page);
  if (violations.length) {
    const lines = violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`);
    throw new Error(`axe found ${violations.length} serious violation(s) on ${page.url()}:\n${lines.join('\n')}`);
  }
}

/** A console page checked the way every browser test checks one: screenshot, then axe. */
export async function checkPage(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  await assertAccessible(page);
}

/** A context whose requests carry this session cookie, at the phone or desktop width. */
export async function contextWithCookie(browser: Browser, origin: string, cookie: string, viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport });
  const [name, ...value] = cookie.split('=');
  await context.addCookies([{ name: name!, value: value.join('='), url: origin, httpOnly: true, sameSite: 'Lax' }]);
  return context;
}

/** A page of its own context, signed in by this cookie, with its console errors collected; close() ends the context. */
export async function openPage(browser: Browser, origin: string, cookie: string, viewport?: { width: number; height: number }): Promise<{ page: Page; problems: string[]; close: () => Promise<void> }> {
  const context = await contextWithCookie(browser, origin, cookie, viewport);
  const page = await context.newPage();
  return { page, problems: watchConsole(page), close: () => context.close() };
}

/** Collects page errors and CSP violations reported to the console, so a test can assert there were none. */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  return problems;
}
