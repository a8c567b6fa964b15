import net from 'node:net';

/**
 * A TCP proxy between Gatehouse and PostgreSQL that can fail like a database
 * restart does: `down()` severs every open connection (both sides see a reset)
 * and resets new ones as soon as they arrive; `up()` lets connections through
 * again. The machine's PostgreSQL is shared with other test files, so it is
 * never restarted itself.
 */
export interface FaultProxy {
  port: number;
  /** Connections accepted while up (each one a pg connection of the pool). */
  accepted: number;
  down(): void;
  up(): void;
  /**
   * Leaves open connections alone until the client next sends something on
   * one, then severs that one: a pooled connection that looks idle and healthy
   * fails on its next statement (a restart the pool has not noticed yet).
   */
  cutOnNextWrite(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const open = new Set<net.Socket>();
  let isUp = true;
  let cutArmed = false;
  const server = net.createServer((client) => {
    if (!isUp) {
      client.resetAndDestroy();
      return;
    }
    proxy.accepted++;
    const upstream = net.connect(target.port, target.host);
    open.add(client).add(upstream);
    client.prependListener('data', () => {
      if (!cutArmed) return;
      cutArmed = false;
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    });
    client.pipe(upstream).pipe(client);
    const sever = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', sever).on('close', sever);
    upstream.on('error', sever).on('close', sever);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: FaultProxy = {
    port: (server.address() as net.AddressInfo).port,
    accepted: 0,
    down() {
      isUp = false;
      for (const socket of open) {
        // A reset, not a polite FIN: PostgreSQL going away mid-query looks like this to the client.
        if (!socket.destroyed) socket.resetAndDestroy();
      }
      open.clear();
    },
    up() {
      isUp = true;
    },
    cutOnNextWrite() {
      cutArmed = true;
    },
    close() {
      proxy.down();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

/** DATABASE_URL with its host and port replaced by the proxy's. */
export function throughProxy(databaseUrl: string, proxy: FaultProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}
