import type { Server, ServerResponse } from 'node:http';

export interface Drain {
  /** From now on: idle connections closed at once, each answer says `Connection: close`, each connection closed after its answer. */
  start(): void;
}

/**
 * Keep-alive connections during a shutdown. Node closes the idle ones when the server closes, but a
 * connection whose answer was under way then stays open after it for the keep-alive timeout (5 s),
 * holding server.close() that long; and a client would go on sending on it until the shutdown
 * timeout cut it mid-request. Call it on the server before it serves.
 */
export function drainOnShutdown(server: Server): Drain {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (draining) return res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return {
    start() {
      draining = true;
      for (const res of inFlight) {
        if (!res.headersSent) res.setHeader('Connection', 'close');
        // An answer already on its way cannot say so: its connection is closed once it is sent.
        res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
      }
      server.closeIdleConnections();
    },
  };
}
