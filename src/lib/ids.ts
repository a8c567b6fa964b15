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

const MAX_COUNTER = 0xfff;

/** 16 fresh random bytes in `scratch`. */
function fillScratch(): void {
  if (poolOffset === POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  POOL.copy(scratch, 0, poolOffset, poolOffset + 16);
  poolOffset += 16;
}

/**
 * A UUID version 7 generator (RFC 9562 §5.7): 48-bit millisecond timestamp,
 * then a 12-bit counter in rand_a, then 62 random bits. Its ids strictly
 * increase in the order it makes them (§6.2 Method 1), so records made in the
 * same millisecond (one request inviting many, a CSV import's bulk rows) list
 * in creation order wherever lists order by id.
 * - Each new millisecond starts the counter at a random value with its top bit
 *   clear (§6.2: at least 2,048 ids before it can overflow).
 * - On overflow, or when the time given is earlier than the last id's (a clock
 *   stepped back, a test's fixed clock), the id keeps the last id's time (plus
 *   1 ms on overflow): §6.2 prefers increasing ids over an exact timestamp.
 */
export function uuidv7Generator(): (now?: number) => string {
  let lastMs = -Infinity;
  let counter = 0;
  return (now = Date.now()) => {
    fillScratch();
    if (now > lastMs) {
      lastMs = now;
      counter = scratch.readUInt16BE(6) & 0x7ff;
    } else if (++counter > MAX_COUNTER) {
      lastMs += 1;
      counter = scratch.readUInt16BE(6) & 0x7ff;
    }
    scratch.writeUIntBE(lastMs, 0, 6);
    scratch.writeUInt16BE(0x7000 | counter, 6);
    scratch[8] = (scratch[8]! & 0x3f) | 0x80;
    const hex = scratch.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}

/**
 * The process's generator: one per process, so every id this process makes is
 * greater than the one before, whichever module asked for it.
 */
export const uuidv7: (now?: number) => string = uuidv7Generator();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
