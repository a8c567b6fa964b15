import { createServer, type Server } from 'node:http';
import { freePort } from '../../support/net.ts';
import type { Express } from 'express';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { startSmtpCapture, type SmtpCapture } from '../../mail/support/smtp.ts';
import type { Clock } from '../../../src/lib/clock.ts';

/**
 * A listening Gatehouse for the browser: PUBLIC_URL is its own http origin (so
 * cookies, links in mails and SAML URLs point at it), mail goes to a real SMTP
 * capture, and sign-in throttling is loose enough for a test's many sign-ins.
 */
export interface ConsoleServer {
  origin: string;
  t: TestApp;
  app: Express;
  smtp: SmtpCapture;
  acme: SeededOrg;
  close(): Promise<void>;
}

export async function startConsoleServer(options: { config?: Record<string, unknown>; clock?: Clock } = {}): Promise<ConsoleServer> {
  const smtp = await startSmtpCapture();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const t = await createTestApp({
    ...(options.clock ? { clock: options.clock } : {}),
    config: { publicUrl: origin, smtpUrl: smtp.url, auth: { rateLimit: { requestsPerSecond: 1000, burst: 1000 } }, ...options.config },
  });
  const acme = await seedOrg(t.container, 'acme');
  const server: Server = createServer(t.app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    origin,
    t,
    app: t.app,
    smtp,
    acme,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await t.close();
      await smtp.close();
    },
  };
}
