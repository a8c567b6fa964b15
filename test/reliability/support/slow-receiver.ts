import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook endpoint that takes `delayMs` to answer each delivery, so a test
 * can kill Gatehouse while deliveries are in flight. Records the event id of
 * every request it received (answered or not).
 */
export interface SlowReceiver {
  url: string;
  eventIds: string[];
  inFlight(): number;
  close(): Promise<void>;
}

export async function startSlowReceiver(delayMs: number): Promise<SlowReceiver> {
  const eventIds: string[] = [];
  let inFlight = 0;
  const server = http.createServer((req, res) => {
    inFlight++;
    req.resume();
    req.on('end', () => {
      eventIds.push(String(req.headers['x-gatehouse-event-id']));
      setTimeout(() => {
        inFlight--;
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    eventIds,
    inFlight: () => inFlight,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
