import type { Browser } from 'playwright-core';
import { browserAvailable, launchBrowser } from './browser.ts';
import { startConsoleServer, type ConsoleServer } from './server.ts';

/**
 * A browser test file's before(): one listening Gatehouse and one Chromium for
 * the whole file, or the file skipped where there is no Chromium (a failure
 * under REQUIRE_BROWSER=1, see browser.ts).
 */
export async function openConsole(ctx: Mocha.Context, options: Parameters<typeof startConsoleServer>[0] = {}): Promise<{ s: ConsoleServer; browser: Browser }> {
  if (!browserAvailable()) ctx.skip();
  const s = await startConsoleServer(options);
  return { s, browser: await launchBrowser() };
}

/** The matching after(): what openConsole opened, if it got that far. */
export async function closeConsole(s: ConsoleServer | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await s?.close();
}
