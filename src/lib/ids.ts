import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for ids come from a pool refilled 256 ids at a time: one
 * randomBytes(16) call per id cost more than everything else an id needs (a
 * 100,000-row CSV import allocates 200,000 of them). Node's randomUUID pools
 * its entropy the same way.
 */
const POOL = Buffer.alloc(16 * 256);
let poolOffset = POOL.length;
const scratch = Buffer.alloc(16);

/**
 * UUID version 7 (RFC 9562 §5.7): 48-bit millisecond timestamp, then randomness.
 * Time-ordered ids keep B-tree inserts local and give list endpoints a stable,
 * creation-ordered sort key for free.
 */
export function uuidv7(now: number = Date.now()): string {
  if (poolOffset === POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  POOL.copy(scratch, 0, poolOffset, poolOffset + 16);
  poolOffset += 16;
  scratch.writeUIntBE(now, 0, 6);
  scratch[6] = (scratch[6]! & 0x0f) | 0x70;
  scratch[8] = (scratch[8]! & 0x3f) | 0x80;
  const hex = scratch.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
