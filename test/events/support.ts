import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** The status to answer next (default 200); a function sees the request count. */
  respond: (n: number) => number;
  /** How long to wait before answering (default 0), as `respond`. */
  delayMs: (n: number) => number;
  /** When each answer was sent, in the order sent. */
  answeredAt: number[];
  /** Holds every answer (after its delay) until the function returned is called. */
  hold(): () => void;
  waitFor(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A local webhook endpoint that records every request. */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const receiver: Receiver = {
    url: '',
    received,
    respond: () => 200,
    delayMs: () => 0,
    answeredAt: [],
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = Promise.resolve();
        release();
      };
    },
    async waitFor(count, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > until) throw new Error(`waited for ${count} webhook requests, got ${received.length}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  let gate = Promise.resolve();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const status = receiver.respond(received.length);
      const answer = async () => {
        await gate;
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `failing with ${status}`);
        receiver.answeredAt.push(Date.now());
      };
      const delay = receiver.delayMs(received.length);
      if (delay > 0) setTimeout(() => void answer(), delay);
      else void answer();
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return receiver;
}

/** The README's receiver-side check, `verifyGatehouse(secret, header, rawBody, toleranceSeconds?)`. */
export type ReadmeVerifier = (secret: string, header: string | undefined, rawBody: string, toleranceSeconds?: number) => boolean;

/**
 * The receiver's side of the signature, run from the README's own snippet
 * (the `js` block that defines `verifyGatehouse`), so what product teams copy
 * is what the tests check.
 */
export async function readmeVerifier(): Promise<ReadmeVerifier> {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) => code.includes('function verifyGatehouse'));
  if (!block) throw new Error('README.md has no js block defining verifyGatehouse');
  const module = (await import(`data:text/javascript,${encodeURIComponent(`${block}\nexport { verifyGatehouse };`)}`)) as { verifyGatehouse: ReadmeVerifier };
  return module.verifyGatehouse;
}

/** The README's check of a delivery's signature (see readmeVerifier). */
export async function verifySignature(secret: string, header: string | undefined, rawBody: string, toleranceSeconds = 300): Promise<boolean> {
  return (await readmeVerifier())(secret, header, rawBody, toleranceSeconds);
}
