import { fetchOutbound, type FetchOptions } from '../lib/outbound-fetch.ts';
import type { OutboundPolicy } from '../lib/outbound-url.ts';
import { fail, type Result } from '../lib/result.ts';
import { parseIdpMetadata, type IdpMetadata } from './metadata.ts';

/** Entra's federation metadata is a few kB; Okta's less. 1 MB is what a pasted idpMetadataXml may be. */
const LIMITS = { timeoutMs: 10_000, maxBytes: 1_000_000, maxRedirects: 3 };

/**
 * An IdP's "App Federation Metadata URL" (Entra) or "Metadata URL" (Okta) →
 * the same fields pasted metadata XML gives, or why not, in words that follow
 * "idpMetadataUrl" (unreachable, timeout, refused address, too large, not XML,
 * not SAML metadata). `limits` lets tests shorten the timeout.
 */
export async function fetchIdpMetadata(url: string, policy: OutboundPolicy, limits: Partial<FetchOptions> = {}): Promise<Result<IdpMetadata, 'metadata_url'>> {
  let text: string;
  try {
    text = await fetchOutbound(url, { ...LIMITS, ...limits, ...policy });
  } catch (error) {
    return fail('metadata_url', (error as Error).message);
  }
  if (!text.replace(/^\uFEFF/, '').trimStart().startsWith('<')) return fail('metadata_url', 'did not answer with XML');
  const parsed = parseIdpMetadata(text);
  if (!parsed.ok) return fail('metadata_url', `is not SAML IdP metadata: ${parsed.detail}`);
  return parsed;
}
