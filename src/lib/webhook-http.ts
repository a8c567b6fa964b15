import { createHmac, randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { checkUrlShape, guardedLookup, type OutboundPolicy } from './outbound-url.ts';
import { Agent, type Dispatcher } from 'undici';
import { CONNECTIONS_PER_ENDPOINT } from './webhook-limits.ts';

/**
 * Signing and sending one webhook request. The signature scheme (documented
 * in the README "Consuming changes"): `X-Gatehouse-Signature: t=<unix>,v1=<hex>`
 * where hex = HMAC-SHA256(secret, `${t}.${body}`). The timestamp is signed so
 * a captured request cannot be replayed later (receivers reject old `t`).
 * While a rolled secret's grace period lasts, the previous secret signs too:
 * `t=<unix>,v1=<new>,v1=<old>` (as Stripe-Signature does), and a receiver
 * accepts the request when any v1 is the one its secret makes.
 */
export function signPayload(secret: string, body: string, unixSeconds: number, previousSecret?: string | null): string {
  const signed = `${unixSeconds}.${body}`;
  const v1 = createHmac('sha256', secret).update(signed).digest('hex');
  if (!previousSecret) return `t=${unixSeconds},v1=${v1}`;
  return `t=${unixSeconds},v1=${v1},v1=${createHmac('sha256', previousSecret).update(signed).digest('hex')}`;
}

/** A new endpoint secret: 32 random bytes, prefixed so it is recognisable in a secret scanner. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export interface WebhookResponse {
  status: number;
  /** The first bytes of the answer, for the delivery log. */
  body: string;
}

/**
 * The delivery worker's keep-alive connections (undici, the HTTP client
 * behind Node's fetch): most deliveries go to a few endpoints, and a new TCP +
 * TLS handshake per event would cost more than the request. Each endpoint has
 * a pool of its own, so endpoints on one host (tenants of one receiving
 * service) never queue for each other's connections: the worker keeps at most
 * CONNECTIONS_PER_ENDPOINT requests in flight per endpoint, each gets a
 * connection at once, and its timeout measures the receiver, not our queue.
 * A new connection still goes through the guarded lookup, and requests under
 * different SSRF policies never share one (one pool per policy). Pools unused
 * for a minute are closed (their idle connections already were).
 */
export class WebhookConnections {
  readonly #agents = new Map<string, { agent: Agent; usedAt: number }>();
  #sweptAt = Date.now();

  /** The pool for requests to `endpoint` (an id; absent, one pool per policy) under this policy. */
  agentFor(policy: OutboundPolicy, endpoint = ''): Agent {
    const now = Date.now();
    if (now - this.#sweptAt > UNUSED_MS) this.#sweep(now);
    const key = `${policy.allowPrivateNetworks ? 'private-allowed' : 'public-only'} ${endpoint}`;
    let entry = this.#agents.get(key);
    if (!entry) {
      entry = { agent: connectionPool(policy, CONNECTIONS_PER_ENDPOINT), usedAt: now };
      this.#agents.set(key, entry);
    }
    entry.usedAt = now;
    return entry.agent;
  }

  /** Closes every connection (shutdown). */
  async destroy(): Promise<void> {
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.all(agents.map(({ agent }) => agent.destroy()));
  }

  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [key, { agent, usedAt }] of this.#agents) {
      if (now - usedAt <= UNUSED_MS) continue;
      this.#agents.delete(key);
      // close() lets a request still in flight finish (one may last up to the timeout).
      agent.close().catch(() => undefined);
    }
  }
}

/** A pool no request has used for this long is closed. */
const UNUSED_MS = 60_000;


/** An idle keep-alive connection is closed after this long (receivers often close theirs at 5 s). */
const IDLE_MS = 4000;

function connectionPool(policy: OutboundPolicy, connections: number, ca?: string): Agent {
  return new Agent({
    connections,
    keepAliveTimeout: IDLE_MS,
    keepAliveMaxTimeout: IDLE_MS,
    connect: { lookup: guardedLookup(policy) as never, ...(ca ? { ca } : {}) },
  });
}

export interface SendOptions extends OutboundPolicy {
  timeoutMs: number;
  maxResponseBytes?: number;
  /** The worker's pools; absent, the request gets a connection of its own, closed after it. */
  connections?: WebhookConnections;
  /** Which endpoint (its id) the request is for: each has its own pool in `connections`. */
  endpoint?: string;
  /** Trusted certificates instead of the system's (tests with a local https server); only without `connections`. */
  ca?: string;
}

/**
 * POSTs `body`; resolves with the status and a snippet for any HTTP answer,
 * rejects on a refused URL, a network error or the timeout (which covers the
 * whole exchange, so a slow endpoint cannot hold a worker).
 */
export async function postWebhook(rawUrl: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<WebhookResponse> {
  const url = checkUrlShape(rawUrl, options);
  const own = options.connections ? undefined : connectionPool(options, 1, options.ca);
  const agent = options.connections?.agentFor(options, options.endpoint) ?? own!;
  try {
    return await exchange(agent, url, body, headers, options);
  } finally {
    if (own) await own.destroy();
  }
}

/**
 * One request through undici's dispatch interface: callbacks, no response
 * stream, no abort signal. Per delivery, undici's `request()` with its body
 * stream read to the end and an `AbortSignal.timeout` cost about twice the CPU
 * of the exchange itself (20,000 POSTs to a local server, 2026-11-30). The
 * answer is read to its end (only its first bytes kept) so the connection can
 * serve the next delivery.
 */
function exchange(agent: Agent, url: URL, body: string, headers: Record<string, string>, options: SendOptions): Promise<WebhookResponse> {
  const limit = options.maxResponseBytes ?? 1024;
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let status = 0;
    let size = 0;
    const kept: Buffer[] = [];
    let settled = false;
    let failure: Error | undefined;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      failure = error;
      if (error) reject(error);
      // A StringDecoder leaves out a character the limit cut in half, rather than ending the snippet with U+FFFD.
      else resolve({ status, body: new StringDecoder('utf8').write(Buffer.concat(kept)) });
    };
    const timer = setTimeout(() => {
      const error = new Error(`timed out after ${options.timeoutMs} ms`);
      settle(error);
      // Not yet on a connection: onRequestStart aborts it when it gets one.
      controller?.abort(error);
    }, options.timeoutMs);
    try {
      agent.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'Gatehouse-Webhooks/1', ...headers },
          body,
        },
        {
          onRequestStart(started) {
            controller = started;
            if (failure) started.abort(failure);
          },
          onResponseStart(_c, statusCode) {
            status = statusCode;
          },
          onResponseData(_c, chunk) {
            if (size < limit) kept.push(chunk.subarray(0, limit - size));
            size += chunk.length;
          },
          onResponseEnd() {
            settle();
          },
          onResponseError(_c, error) {
            settle(error);
          },
        },
      );
    } catch (error) {
      settle(error as Error);
    }
  });
}
