import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { seedOrg, type SeededOrg, type TestApp } from '../../support/app.ts';
import { assertScimError, createScimTestApp, userBody } from '../../support/scim.ts';

/**
 * scim.bodyBudget: the SCIM body bytes all requests in flight may hold at once. Real HTTP on a
 * listening server, since what is measured is bodies arriving over sockets. The limits are small
 * here (bodies of 256 KB, a budget of two of them); a body under 64 KB is never counted.
 */
describe('SCIM body bytes in flight (scim.bodyBudget)', () => {
  const KB = 1024;
  let t: TestApp;
  let org: SeededOrg;
  let server: http.Server;
  let base: string;
  const open: http.ClientRequest[] = [];

  before(async () => {
    // Metrics on (port 0): the budget's gauges and refusals are read from the container's registry.
    t = await createScimTestApp({ scim: { bodyLimit: '256kb', bodyBudget: '512kb' }, metrics: { port: 0 } });
    org = await seedOrg(t.container, 'budget');
    server = t.app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const req of open.splice(0)) req.destroy();
    await settled();
  });
  after(async () => {
    server.closeAllConnections();
    server.close();
    await t.close();
  });

  const budget = () => t.container.scimBodies;

  /** Polls (no timing asserted) until `done` holds; fails after a generous while. */
  async function until(done: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (done()) return;
      await setTimeout(10);
    }
    assert.fail(`still waiting for ${what}: ${budget().used} bytes held, ${budget().waiting} waiting`);
  }
  const settled = () => until(() => budget().used === 0 && budget().waiting === 0, 'the budget to be whole again');

  /** A user body padded with trailing spaces (still JSON) to `size` bytes. */
  function padded(userName: string, size: number): string {
    const json = JSON.stringify(userBody(userName));
    return json + ' '.repeat(size - Buffer.byteLength(json));
  }

  /** A POST /Users that has sent its headers and `sent` bytes of its body, and goes on holding the rest. */
  function holding(headers: Record<string, string>, sent: string): http.ClientRequest {
    const req = http.request(`${base}/scim/v2/Users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/scim+json', Authorization: `Bearer ${org.tokens.scim}`, ...headers },
    });
    req.on('error', () => {});
    req.write(sent);
    open.push(req);
    return req;
  }

  /** POSTs `json` gzipped, with its size on the wire as Content-Length; resolves with the answer. */
  const postGzipped = (json: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    const body = gzipSync(json);
    const req = http.request(`${base}/scim/v2/Users`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/scim+json', 'Content-Encoding': 'gzip', 'Content-Length': String(body.length), Authorization: `Bearer ${org.tokens.scim}` },
    });
    req.on('response', (r) => {
      let text = '';
      r.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });

  const post = (body: string) => request(base).post('/scim/v2/Users').set('Authorization', `Bearer ${org.tokens.scim}`).set('Content-Type', 'application/scim+json').send(body);

  async function exists(userName: string): Promise<boolean> {
    const res = await request(base).get(`/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`).set('Authorization', `Bearer ${org.tokens.scim}`).expect(200);
    return res.body.totalResults === 1;
  }

  it('answers a large body that would take the bytes in flight over scim.bodyBudget with 429, Retry-After and a SCIM error, and writes nothing', async () => {
    holding({ 'Content-Length': String(250 * KB) }, '{');
    holding({ 'Content-Length': String(250 * KB) }, '{');
    await until(() => budget().used === 500 * KB, 'two bodies of 250 KB to be counted');

    const res = await post(padded('refused@budget.test', 100 * KB));
    assertScimError(res, 429);
    assert.equal(res.body.scimType, undefined);
    assert.match(res.body.detail, /busy with large requests.*retry/i);
    assert.match(res.headers['retry-after'] ?? '', /^\d+$/);
    assert.equal(await exists('refused@budget.test'), false, 'nothing written');
  });

  /** The budget's samples as a scrape would show them. */
  async function budgetMetrics(): Promise<Record<string, number>> {
    const text = await t.container.metrics!.registry.metrics();
    const names = ['gatehouse_scim_body_budget_bytes', 'gatehouse_scim_body_bytes_held', 'gatehouse_scim_body_requests_waiting', 'gatehouse_scim_body_refusals_total'];
    return Object.fromEntries(names.map((name) => [name, Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])]));
  }

  it('shows operators the budget in metrics: its size, the bytes held, the requests waiting for room and the 429s it answered', async () => {
    const before = await budgetMetrics();
    assert.equal(before.gatehouse_scim_body_budget_bytes, 512 * KB);
    assert.equal(before.gatehouse_scim_body_bytes_held, 0);
    assert.equal(before.gatehouse_scim_body_requests_waiting, 0);
    assert.ok(Number.isInteger(before.gatehouse_scim_body_refusals_total), JSON.stringify(before));

    holding({ 'Content-Length': String(256 * KB) }, '{');
    holding({ 'Content-Length': String(200 * KB) }, '{');
    await until(() => budget().used === 456 * KB, 'two declared bodies to be counted');
    const waiter = holding({ 'Content-Length': String(100 * KB) }, '{');
    await until(() => budget().waiting === 1, 'a third body to wait for room');
    const held = await budgetMetrics();
    assert.equal(held.gatehouse_scim_body_bytes_held, 456 * KB);
    assert.equal(held.gatehouse_scim_body_requests_waiting, 1);
    waiter.destroy();
    await until(() => budget().waiting === 0, 'the aborted waiter to leave the queue');

    // Two refusals: a declared body that waited in vain, and a chunked one that outgrew the room left.
    assertScimError(await post(padded('refused-metric@budget.test', 100 * KB)), 429);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/scim/v2/Users`, { method: 'POST', headers: { 'Content-Type': 'application/scim+json', Authorization: `Bearer ${org.tokens.scim}` } });
      req.on('response', (r) => { r.resume(); resolve(r.statusCode ?? 0); });
      req.on('error', reject);
      const body = padded('chunked-metric@budget.test', 100 * KB);
      for (let at = 0; at < body.length; at += 16 * KB) req.write(body.slice(at, at + 16 * KB));
      req.end();
    });
    assert.equal(chunked, 429);
    const after = await budgetMetrics();
    assert.equal(after.gatehouse_scim_body_refusals_total! - before.gatehouse_scim_body_refusals_total!, 2, JSON.stringify(after));
  });

  it('never refuses a body under 64 KB, however full the budget', async () => {
    holding({ 'Content-Length': String(256 * KB) }, '{');
    holding({ 'Content-Length': String(256 * KB) }, '{');
    await until(() => budget().used === 512 * KB, 'the whole budget to be held');

    assert.equal((await post(JSON.stringify(userBody('small@budget.test')))).status, 201);
    assert.equal((await post(padded('almost@budget.test', 63 * KB))).status, 201);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/scim/v2/Users`, { method: 'POST', headers: { 'Content-Type': 'application/scim+json', Authorization: `Bearer ${org.tokens.scim}` } });
      req.on('response', (r) => { r.resume(); resolve(r.statusCode ?? 0); });
      req.on('error', reject);
      const body = padded('chunked-small@budget.test', 60 * KB);
      req.write(body.slice(0, 30 * KB));
      req.end(body.slice(30 * KB));
    });
    assert.equal(chunked, 201);
  });

  it('counts a chunked body by the bytes that arrive, refusing it with 429 once they would go over the budget', async () => {
    holding({ 'Content-Length': String(256 * KB) }, '{');
    holding({ 'Content-Length': String(200 * KB) }, '{');
    await until(() => budget().used === 456 * KB, 'two declared bodies to be counted');

    const body = padded('chunked-big@budget.test', 200 * KB);
    const res = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/scim/v2/Users`, { method: 'POST', headers: { 'Content-Type': 'application/scim+json', Authorization: `Bearer ${org.tokens.scim}` } });
      req.on('response', (r) => {
        let text = '';
        r.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => resolve({ status: r.statusCode ?? 0, retryAfter: r.headers['retry-after'], body: text }));
      });
      req.on('error', reject);
      for (let at = 0; at < body.length; at += 16 * KB) req.write(body.slice(at, at + 16 * KB));
      req.end();
    });
    assert.equal(res.status, 429, res.body);
    assert.match(res.retryAfter ?? '', /^\d+$/);
    assert.match(JSON.parse(res.body).detail, /busy with large requests/);
    assert.equal(await exists('chunked-big@budget.test'), false, 'nothing written');
  });

  it('counts a compressed body as scim.bodyLimit, what it may inflate to, not as its size on the wire', async () => {
    holding({ 'Content-Length': String(256 * KB) }, '{');
    holding({ 'Content-Length': String(100 * KB) }, '{');
    await until(() => budget().used === 356 * KB, 'two declared bodies to be counted');
    // Random text hardly compresses: about 70 KB on the wire would fit in the 156 KB left; counted as 256 KB, it does not.
    const json = JSON.stringify(userBody('gzip@budget.test', { title: randomBytes(70 * KB).toString('base64') }));
    const wire = gzipSync(json).length;
    assert.ok(wire >= 64 * KB && wire < 156 * KB, String(wire));
    const res = await postGzipped(json);
    assert.equal(res.status, 429, res.body);
    assert.equal(await exists('gzip@budget.test'), false, 'nothing written');
  });

  it('counts a compressed body under 64 KB on the wire as scim.bodyLimit too: a few KB of gzip may inflate to the whole limit', async () => {
    // With room for it, a small compressed body is served as any other.
    assert.equal((await postGzipped(JSON.stringify(userBody('gzip-small@budget.test')))).status, 201);

    holding({ 'Content-Length': String(256 * KB) }, '{');
    holding({ 'Content-Length': String(100 * KB) }, '{');
    await until(() => budget().used === 356 * KB, 'two declared bodies to be counted');
    // 200 KB of JSON that gzip takes to well under 64 KB on the wire.
    const bomb = padded('gzip-bomb@budget.test', 200 * KB);
    assert.ok(gzipSync(bomb).length < 4 * KB);
    const res = await postGzipped(bomb);
    assert.equal(res.status, 429, res.body);
    assert.match(JSON.parse(res.body).detail, /busy with large requests/);
    assert.equal(await exists('gzip-bomb@budget.test'), false, 'nothing written');
  });

  it('gives the bytes back when a client aborts mid-body, or while its request waits for room', async () => {
    const first = holding({ 'Content-Length': String(256 * KB) }, '{');
    const second = holding({ 'Content-Length': String(256 * KB) }, '{');
    await until(() => budget().used === 512 * KB, 'the whole budget to be held');
    const waiter = holding({ 'Content-Length': String(100 * KB) }, '{');
    await until(() => budget().waiting === 1, 'a third body to wait for room');

    waiter.destroy();
    await until(() => budget().waiting === 0, 'the aborted waiter to leave the queue');
    first.destroy();
    second.destroy();
    await settled();
    // The whole budget again: two bodies of the largest size at once.
    const [a, b] = await Promise.all([post(padded('whole-a@budget.test', 250 * KB)), post(padded('whole-b@budget.test', 250 * KB))]);
    assert.deepEqual([a.status, b.status], [201, 201], JSON.stringify([a.body, b.body]));
  });

  it('answers parallel large bodies beyond the budget with 429 while it is held, small ones with 201 all along, and is whole after', async () => {
    const holders = [holding({ 'Content-Length': String(256 * KB) }, '{'), holding({ 'Content-Length': String(200 * KB) }, '{')];
    await until(() => budget().used === 456 * KB, 'two declared bodies to be counted');
    const names = (kind: string) => Array.from({ length: 6 }, (_, i) => `${kind}-${i}@budget.test`);
    const held = await Promise.all([
      ...names('held-large').map((name) => post(padded(name, 100 * KB))),
      ...names('held-small').map((name) => post(padded(name, 40 * KB))),
    ]);
    assert.deepEqual(held.map((r) => r.status), [...names('').map(() => 429), ...names('').map(() => 201)]);
    for (const name of names('held-large')) assert.equal(await exists(name), false, name);

    for (const holder of holders) holder.destroy();
    await settled();
    // Free to go again: each large body is read whole and written, or refused and not written.
    const large = names('free-large');
    const free = await Promise.all([...large.map((name) => post(padded(name, 200 * KB))), ...names('free-small').map((name) => post(JSON.stringify(userBody(name))))]);
    for (const [i, name] of large.entries()) {
      assert.ok(free[i]!.status === 201 || free[i]!.status === 429, `${free[i]!.status}: ${JSON.stringify(free[i]!.body)}`);
      assert.equal(await exists(name), free[i]!.status === 201, name);
    }
    assert.ok(free.some((r) => r.status === 201));
    assert.deepEqual(free.slice(large.length).map((r) => r.status), large.map(() => 201));
    await settled();
  });
});
