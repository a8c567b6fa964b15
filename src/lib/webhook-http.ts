import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { checkUrlShape, guardedLookup, type OutboundPolicy } from './outbound-url.ts';

/**
 * Signing and sending one webhook request. The signature scheme (documented
 * in the README "Consuming changes"): `X-Gatehouse-Signature: t=<unix>,v1=<hex>`
 * where hex = HMAC-SHA256(secret, `${t}.${body}`). The timestamp is signed so
 * a captured request cannot be replayed later (receivers reject old `t`).
 */
export function signPayload(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
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

export interface WebhookAgents {
  http: http.Agent;
  https: https.Agent;
}

/**
 * Keep-alive pools for the delivery worker: most deliveries go to a few
 * endpoints, and a new TCP + TLS handshake per event would cost more than the
 * request. A new connection still goes through the guarded lookup.
 */
export function createWebhookAgents(maxSockets = 16): WebhookAgents {
  return { http: new http.Agent({ keepAlive: true, maxSockets }), https: new https.Agent({ keepAlive: true, maxSockets }) };
}

export interface SendOptions extends OutboundPolicy {
  timeoutMs: number;
  maxResponseBytes?: number;
  agents?: WebhookAgents;
}

/**
 * POSTs `body`; resolves with the status and a snippet for any HTTP answer,
 * rejects on a refused URL, a network error or the timeout (which covers the
 * whole exchange, so a slow endpoint cannot hold a worker).
 */
export function postWebhook(rawUrl: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<WebhookResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = checkUrlShape(rawUrl, options);
    } catch (error) {
      reject(error as Error);
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    const limit = options.maxResponseBytes ?? 1024;
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Gatehouse-Webhooks/1', ...headers },
        lookup: guardedLookup(options) as never,
        agent: options.agents ? options.agents[url.protocol === 'https:' ? 'https' : 'http'] : false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < limit) chunks.push(chunk.subarray(0, limit - size));
          size += chunk.length;
        });
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    request.end(body);
  });
}
