import assert from 'node:assert/strict';
import { isUuid, uuidv7, uuidv7Generator } from '../../src/lib/ids.ts';

const bytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
const millisOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

function assertVersion7(id: string): void {
  assert.ok(isUuid(id), id);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'lower-case hex digits in 8-4-4-4-12');
  assert.equal(id[14], '7', `version of ${id}`);
  assert.match(id[19]!, /[89ab]/, `variant of ${id}`);
}

function assertStrictlyIncreasing(ids: string[]): void {
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i - 1]! < ids[i]!, `as strings: ${ids[i - 1]} then ${ids[i]} (#${i})`);
    assert.equal(Buffer.compare(bytes(ids[i - 1]!), bytes(ids[i]!)), -1, `as bytes: ${ids[i - 1]} then ${ids[i]} (#${i})`);
  }
}

describe('uuidv7', () => {
  it('gives RFC 9562 version 7 ids: the millisecond time first, version 7, variant 10', () => {
    const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
    const id = uuidv7Generator()(at);
    assertVersion7(id);
    assert.equal(millisOf(id), at);
  });

  it('gives 10,000 ids made in a tight loop in strictly increasing order, as strings and as bytes', () => {
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    ids.forEach(assertVersion7);
    assertStrictlyIncreasing(ids);
  });

  it('keeps ids of one millisecond increasing past the 12-bit counter, moving the time on by 1 ms at a time (RFC 9562 §6.2)', () => {
    const at = Date.UTC(2026, 11, 1, 9, 0, 0, 0);
    const ids = Array.from({ length: 10_000 }, uuidv7Generator().bind(null, at));
    ids.forEach(assertVersion7);
    assertStrictlyIncreasing(ids);
    assert.equal(millisOf(ids[0]!), at);
    // At most 4,096 ids per millisecond, at least 2,048 (the counter starts with its top bit clear).
    const last = millisOf(ids.at(-1)!);
    assert.ok(last > at + 1 && last <= at + 4, `last id's time ${last - at} ms after the first`);
  });

  it('stays increasing when the clock steps back, reusing the last id time (RFC 9562 §6.2)', () => {
    const next = uuidv7Generator();
    const at = Date.UTC(2026, 11, 1, 9, 0, 0, 0);
    const ids = [at + 5, at + 1, at + 5, at + 3, at + 6].map((ms) => next(ms));
    assertStrictlyIncreasing(ids);
    assert.deepEqual(ids.map(millisOf), [at + 5, at + 5, at + 5, at + 5, at + 6]);
  });

  it('sorts by creation time across milliseconds', () => {
    const next = uuidv7Generator();
    const ids = [1, 2, 3].map((ms) => next(1_700_000_000_000 + ms));
    assert.deepEqual(ids.map(millisOf), [1, 2, 3].map((ms) => 1_700_000_000_000 + ms));
    assertStrictlyIncreasing(ids);
  });

  it('never repeats, across many refills of its random pool, and keeps most bits random', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7(0));
    assert.equal(new Set(ids).size, ids.length);
    // Beyond the counter: the 62 random bits after the variant differ between ids of one millisecond.
    assert.ok(new Set(ids.map((id) => id.slice(19))).size === ids.length);
  });

  it('starts each millisecond at an unpredictable counter', () => {
    const next = uuidv7Generator();
    const counters = new Set(Array.from({ length: 50 }, (_, ms) => next(1_700_000_000_000 + ms).slice(15, 18)));
    assert.ok(counters.size > 1, 'the counter is seeded at random each millisecond');
  });
});
