import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postWebhook, WebhookConnections, type SendOptions } from '../../src/lib/webhook-http.ts';
import { guardedLookup } from '../../src/lib/outbound-url.ts';

/**
 * How the delivery worker talks HTTP to an endpoint, against raw TCP servers
 * so each test controls the exact bytes of the answer: keep-alive reuse, body
 * framing and the kept snippet, a server that closes an idle connection, the
 * timeout, TLS verification.
 */

interface RawServer {
  port: number;
  /** Requests seen, per connection (in order). */
  connections: string[][];
  close(): Promise<void>;
}

/** Answers each complete request (head + Content-Length body) with `answer(n)` (n counts from 1 over all connections). */
async function rawServer(answer: (n: number, socket: net.Socket) => string | null): Promise<RawServer> {
  const connections: string[][] = [];
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const seen: string[] = [];
    connections.push(seen);
    let buffer = '';
    socket.on('data', (data) => {
      buffer += data.toString('latin1');
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
        if (buffer.length < end + 4 + length) return;
        seen.push(buffer.slice(0, end + 4 + length));
        buffer = buffer.slice(end + 4 + length);
        const text = answer(++count, socket);
        if (text !== null) socket.write(text);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const BODY = '{"a":"bcd"}';
/** The pool takes a connection back once the answer's end has been processed, a turn of the event loop after the caller has it. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('events: sending a webhook over HTTP', () => {
  let connections: WebhookConnections;
  let server: RawServer | undefined;
  const options = (extra: Partial<SendOptions> = {}): SendOptions => ({ allowHttp: true, allowPrivateNetworks: true, timeoutMs: 2000, connections, ...extra });
  const post = (port: number, extra: Partial<SendOptions> = {}, headers: Record<string, string> = {}) =>
    postWebhook(`http://127.0.0.1:${port}/hook?x=1`, BODY, headers, options(extra));

  beforeEach(() => {
    connections = new WebhookConnections();
  });
  afterEach(async () => {
    await connections.destroy();
    await server?.close();
    server = undefined;
  });

  it('sends one POST with the path, Host, JSON type and body, and reuses the connection for the next', async () => {
    server = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok');
    const first = await post(server.port);
    await settle();
    const second = await post(server.port);
    assert.deepEqual([first.status, first.body, second.status, second.body], [200, 'ok', 200, 'ok']);
    assert.equal(server.connections.length, 1, 'one keep-alive connection for both');
    const [head, body] = server.connections[0]![0]!.split('\r\n\r\n');
    const lines = head!.split('\r\n').map((l) => l.toLowerCase());
    assert.equal(lines[0], 'post /hook?x=1 http/1.1');
    assert.ok(lines.includes(`host: 127.0.0.1:${server.port}`));
    assert.ok(lines.includes('content-type: application/json'));
    assert.equal(body, BODY);
  });

  it('keeps only the first maxResponseBytes of a chunked answer, and still reuses the connection', async () => {
    server = await rawServer(() => 'HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    const answer = await post(server.port, { maxResponseBytes: 8 });
    assert.deepEqual([answer.status, answer.body], [500, 'hello wo']);
    await settle();
    assert.equal((await post(server.port)).body, 'hello world');
    assert.equal(server.connections.length, 1);
  });

  it('keeps the snippet of an answer whole characters only, never half of one cut at maxResponseBytes', async () => {
    server = await rawServer(() => 'HTTP/1.1 500 Oops\r\nContent-Length: 6\r\n\r\nhéllo');
    const answer = await post(server.port, { maxResponseBytes: 2 });
    assert.deepEqual([answer.status, answer.body], [500, 'h']);
  });

  it('delivers on a new connection after the server closed the idle one', async () => {
    server = await rawServer((n, socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      return null;
    });
    assert.equal((await post(server.port)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await post(server.port)).status, 200);
    assert.equal(server.connections.length, 2);
  });

  it('rejects a server that does not answer in time, naming the timeout, and a refused connection', async () => {
    server = await rawServer(() => null);
    await assert.rejects(post(server.port, { timeoutMs: 100 }), /timed out after 100 ms/);
    const closed = server.port;
    await server.close();
    server = undefined;
    await assert.rejects(post(closed), /ECONNREFUSED/);
  });

  it('keeps at most 16 connections per endpoint, queueing the rest', async () => {
    server = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const answers = await Promise.all(Array.from({ length: 40 }, () => post(server!.port)));
    assert.ok(answers.every((a) => a.status === 200));
    assert.ok(server.connections.length <= 16, `${server.connections.length} connections`);
    assert.equal(server.connections.flat().length, 40);
  });

  it('gives each endpoint its own 16 connections, even on the same origin', async () => {
    server = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    const answers = await Promise.all(['a', 'b'].flatMap((endpoint) => Array.from({ length: 16 }, () => post(server!.port, { endpoint }))));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(server.connections.length, 32, 'no request waited for another endpoint’s connection');
  });

  it('refuses a header value with a line break (no request smuggling)', async () => {
    server = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    await assert.rejects(post(server.port, {}, { 'x-evil': 'a\r\nInjected: 1' }));
    assert.equal(server.connections.flat().length, 0);
  });

  it('refuses a private address at connect time unless the operator allows private networks', async () => {
    server = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    await assert.rejects(postWebhook(`http://localhost:${server.port}/hook`, BODY, {}, options({ allowPrivateNetworks: false })), /private, loopback or link-local/);
    assert.equal(server.connections.length, 0);
  });

  it('refuses at connect time a name resolving to an IPv6 address that embeds a private IPv4 address (DNS rebinding)', async () => {
    const strict = { allowHttp: true, allowPrivateNetworks: false };
    const resolveTo = (address: string) => (_host: string, _options: unknown, callback: (error: null, addresses: Array<{ address: string; family: number }>) => void) =>
      callback(null, [{ address: '93.184.215.14', family: 4 }, { address, family: 6 }]);
    const answer = (lookup: ReturnType<typeof guardedLookup>) =>
      new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) => lookup('hook.example', {}, (error, address) => resolve({ error, address })));
    for (const address of ['::7f00:1', '::ffff:0:7f00:1', '2002:a9fe:a9fe::', '64:ff9b::a00:1', '64:ff9b:1::a9fe:a9fe', '2001:0:4136:e378:8000:63bf:3fff:fdd2']) {
      const { error } = await answer(guardedLookup(strict, resolveTo(address)));
      assert.equal(error?.code, 'EPRIVATEADDRESS', address);
      assert.match(error.message, new RegExp(`^hook\\.example resolves to ${address.replace(/\./g, '\\.')}, which `));
      assert.match(error.message, /private, loopback or link-local addresses unless the server's operator allows private networks/);
    }
    // A public IPv4 address behind the well-known NAT64 prefix (what DNS64 answers on an IPv6-only network) is allowed.
    const allowed = await answer(guardedLookup(strict, resolveTo('64:ff9b::5db8:d70e')));
    assert.deepEqual(allowed, { error: null, address: '93.184.215.14' });
  });

  it('speaks TLS to an https URL, verifying the certificate (a self-signed one is refused unless trusted)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      const secure = tls.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert }, (socket) => {
        socket.on('data', () => socket.write('HTTP/1.1 201 Created\r\nContent-Length: 6\r\n\r\nsecure'));
      });
      await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
      const url = `https://localhost:${(secure.address() as net.AddressInfo).port}/hook`;
      try {
        await assert.rejects(postWebhook(url, BODY, {}, options()), /self-signed|self signed|certificate/);
        const answer = await postWebhook(url, BODY, {}, { ...options(), connections: undefined, ca: cert });
        assert.deepEqual([answer.status, answer.body], [201, 'secure']);
      } finally {
        await new Promise((resolve) => secure.close(resolve));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
