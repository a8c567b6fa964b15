import { Agent, request } from 'undici';
import { checkOutboundUrl, guardedLookup, OutboundUrlError, type OutboundPolicy } from './outbound-url.ts';

export interface FetchOptions extends OutboundPolicy {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
}

/** Why a document could not be fetched, in words an admin can act on. */
export class OutboundFetchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundFetchError';
  }
}

/**
 * GETs a small document (an IdP's metadata) from a URL an org admin gave,
 * under the webhooks' SSRF rules: the URL and every redirect target are
 * checked (scheme, then each address at connect time through the guarded
 * lookup), redirects are followed by hand up to `maxRedirects`, the body is
 * cut off past `maxBytes`, and `timeoutMs` covers the whole exchange,
 * redirects included.
 */
export async function fetchOutbound(raw: string, options: FetchOptions): Promise<string> {
  const agent = new Agent({ connect: { lookup: guardedLookup(options) as never } });
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    let url = await checked(raw, options);
    for (let hops = 0; ; hops++) {
      const res = await request(url, { dispatcher: agent, signal, headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml', 'user-agent': 'Gatehouse/1' } });
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        await res.body.dump();
        if (hops >= options.maxRedirects) throw new OutboundFetchError(`redirected more than ${options.maxRedirects} times`);
        const next = new URL(String(res.headers.location), url).toString();
        url = await checked(next, options, `redirects to ${next}: `);
        continue;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new OutboundFetchError(`answered HTTP ${res.statusCode}`);
      }
      return await readLimited(res.body, options.maxBytes);
    }
  } catch (error) {
    throw reasonOf(error, options);
  } finally {
    await agent.destroy();
  }
}

async function checked(raw: string, policy: OutboundPolicy, prefix = ''): Promise<URL> {
  try {
    return await checkOutboundUrl(raw, policy);
  } catch (error) {
    if (error instanceof OutboundUrlError && prefix) throw new OutboundUrlError(`${prefix}${error.message}`);
    throw error;
  }
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): unknown }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new OutboundFetchError(`is too large (more than ${maxBytes} bytes)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Any failure → one OutboundFetchError whose message finishes "idpMetadataUrl …". */
function reasonOf(error: unknown, options: FetchOptions): Error {
  if (error instanceof OutboundFetchError || error instanceof OutboundUrlError) return error;
  const e = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new OutboundFetchError(`did not answer within ${options.timeoutMs} ms`);
  const cause = e.cause ?? e;
  if (cause instanceof OutboundUrlError || cause.code === 'EPRIVATEADDRESS') return new OutboundUrlError(cause.message);
  return new OutboundFetchError(`is unreachable (${cause.code ?? cause.message})`);
}
