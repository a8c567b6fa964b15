import assert from 'node:assert/strict';
import { isUuid, uuidv7 } from '../../src/lib/ids.ts';

describe('uuidv7', () => {
  it('gives RFC 9562 version 7 ids: the millisecond time first, version 7, variant 10', () => {
    const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
    const id = uuidv7(at);
    assert.ok(isUuid(id), id);
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), at);
    assert.equal(id[14], '7');
    assert.match(id[19]!, /[89ab]/);
  });

  it('never repeats, across many refills of its random pool', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7(0));
    assert.equal(new Set(ids).size, ids.length);
    // Same millisecond: only the random bits tell them apart, and they differ beyond the version nibble.
    assert.ok(new Set(ids.map((id) => id.slice(19))).size === ids.length);
  });

  it('sorts by creation time across milliseconds', () => {
    const ids = [3, 1, 2].map((ms) => uuidv7(1_700_000_000_000 + ms));
    assert.deepEqual([...ids].sort(), [ids[1], ids[2], ids[0]]);
  });
});
