import assert from 'node:assert/strict';
import { opaqueIds } from '../../src/lib/opaque-ids.ts';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const ORG = '01a22ff7-8779-7b67-ab43-6fd24356c8bd';
const OTHER = '01a22ff7-8779-7b67-ab43-6fd24356c8be';

describe('opaque ids', () => {
  const ids = opaqueIds(SECRET, 'audit-ids/v1');

  it('keeps the ids it has handed out: the same secret, purpose and tenant give these values in every version', () => {
    // Clients store cursors: a change to the derivation or the block layout would void them all.
    assert.equal(ids.encode('1', ORG), 'iqhe7tlw9zPVWpIIK7P2Tw');
    assert.equal(ids.encode('2', ORG), 'rhcrYhjI_48qIfoGrKQ8dQ');
    assert.equal(ids.encode('9223372036854775807', ORG), 'vgHYo3d1WgrEG_mtpDe6Ig');
  });

  it('decodes what it encodes, for the tenant it was shown to', () => {
    for (const id of ['1', '2', '41', '1000000', '9223372036854775807']) {
      const opaque = ids.encode(id, ORG);
      assert.match(opaque, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(ids.decode(opaque, ORG), id);
      assert.equal(opaqueIds(SECRET, 'audit-ids/v1').decode(opaque, ORG), id, 'a new instance with the same secret');
    }
  });

  it("refuses another tenant's id, another secret's or purpose's, and forged, altered or malformed values", () => {
    const opaque = ids.encode('41', ORG);
    assert.equal(ids.decode(opaque, OTHER), null);
    assert.notEqual(ids.encode('41', OTHER), opaque);
    assert.equal(opaqueIds(`${SECRET}!`, 'audit-ids/v1').decode(opaque, ORG), null);
    assert.equal(opaqueIds(SECRET, 'other/v1').decode(opaque, ORG), null);
    for (let i = 0; i < opaque.length; i++) {
      const altered = `${opaque.slice(0, i)}${opaque[i] === 'A' ? 'B' : 'A'}${opaque.slice(i + 1)}`;
      assert.equal(ids.decode(altered, ORG), null, altered);
    }
    for (const bad of ['', '41', 'AAAAAAAAAAAAAAAAAAAAAA', `${opaque}=`, `${opaque}A`, opaque.slice(1), `${opaque.slice(0, 21)}+`, '!'.repeat(22)]) {
      assert.equal(ids.decode(bad, ORG), null, bad);
    }
  });

  it('shows consecutive ids as unrelated values of one length, in no order', () => {
    const shown = Array.from({ length: 200 }, (_, i) => ids.encode(String(1000 + i), ORG));
    assert.equal(new Set(shown).size, 200);
    assert.equal(new Set(shown.map((s) => s.length)).size, 1);
    const sorted = [...shown].sort();
    assert.notDeepEqual(shown, sorted);
    assert.notDeepEqual(shown, [...sorted].reverse());
    // Neighbours share no more leading characters than random strings would (1/64 per character).
    const shared = shown.slice(1).filter((s, i) => s.slice(0, 2) === shown[i]!.slice(0, 2)).length;
    assert.ok(shared <= 3, `${shared} neighbours share a 2-character prefix`);
  });

  it('encodes only positive 63-bit ids', () => {
    for (const bad of ['0', '-1', '9223372036854775808']) assert.throws(() => ids.encode(bad, ORG), RangeError);
  });
});
