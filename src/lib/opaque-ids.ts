import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Opaque ids for rows numbered by one sequence across every tenant (the audit
 * trail's bigint identity). Shown as is, the gaps between one tenant's ids
 * would count every other tenant's writes; shown opaque they say nothing of
 * order, distance or magnitude, and the server still orders by the number.
 *
 * One AES-128 block, encrypted alone (ECB: a keyed permutation of 16-byte
 * values, so distinct ids give distinct, unrelated-looking blocks, and it is
 * reversible without storing anything): 8 bytes of the id, big-endian, then 8
 * bytes that depend on the tenant (an HMAC of its id). Decoding checks those 8
 * bytes, so a forged or altered value (2⁻⁶⁴ chance) and another tenant's id
 * are both refused: an id means something only in the tenant it was shown to.
 *
 * The keys come from one secret by HKDF, so the same secret gives the same ids
 * after a restart and on every instance; another secret gives other ids, and
 * the old ones decode to nothing.
 */
export interface OpaqueIds {
  /** The opaque form (22 base64url characters) of `id`, a positive integer as decimal text, shown to `tenant`. */
  encode(id: string, tenant: string): string;
  /** The integer behind an opaque id shown to `tenant`; null for anything else (another tenant's, forged, altered, malformed). */
  decode(opaque: string, tenant: string): string | null;
}

const BLOCK = 16;
const OPAQUE = /^[A-Za-z0-9_-]{22}$/;
const MAX = (1n << 63n) - 1n;

export function opaqueIds(secret: string, purpose: string): OpaqueIds {
  const derive = (use: string, length: number) => Buffer.from(hkdfSync('sha256', secret, 'gatehouse opaque ids', `${purpose}/${use}`, length));
  const key = derive('aes-128', 16);
  const tagKey = derive('tenant-tag', 32);
  const tags = new Map<string, Buffer>();
  const tagOf = (tenant: string): Buffer => {
    let tag = tags.get(tenant);
    if (!tag) {
      tag = createHmac('sha256', tagKey).update(tenant).digest().subarray(0, BLOCK / 2);
      // Tenants are few and long-lived (the org ids of authenticated requests); the bound is only a backstop.
      if (tags.size >= 10_000) tags.clear();
      tags.set(tenant, tag);
    }
    return tag;
  };
  // ECB without padding turns each 16-byte update into its 16-byte block at once and keeps no state
  // between blocks, so one cipher object each way serves every call (a new one costs tens of µs; a block, a few).
  const encrypt = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const decrypt = createDecipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return {
    encode(id, tenant) {
      const n = BigInt(id);
      if (n <= 0n || n > MAX) throw new RangeError(`not a positive 63-bit id: ${id}`);
      const block = Buffer.alloc(BLOCK);
      block.writeBigUInt64BE(n, 0);
      tagOf(tenant).copy(block, BLOCK / 2);
      return encrypt.update(block).toString('base64url');
    },
    decode(opaque, tenant) {
      if (!OPAQUE.test(opaque)) return null;
      const bytes = Buffer.from(opaque, 'base64url');
      // The last character carries 2 bits past the 16 bytes: one spelling per id.
      if (bytes.length !== BLOCK || bytes.toString('base64url') !== opaque) return null;
      const block = decrypt.update(bytes);
      if (!timingSafeEqual(block.subarray(BLOCK / 2), tagOf(tenant))) return null;
      const n = block.readBigUInt64BE(0);
      return n > 0n && n <= MAX ? n.toString() : null;
    },
  };
}
