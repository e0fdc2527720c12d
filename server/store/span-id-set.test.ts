import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { packedHas, packedSpanIdCount, packSpanIds, unpackSpanIds } from './span-id-set.ts';

const ids = ['ffffffffffffffff', '0000000000000000', '00000000000000ff', '8000000000000000', 'a1b2c3d4e5f60718'];

describe('packed span id sets', () => {
  it('holds each id once, sorted, in 8 bytes', () => {
    const packed = packSpanIds([...ids, ids[2], ids[0]]);
    assert.equal(packed.length, ids.length * 8);
    assert.equal(packedSpanIdCount(packed), ids.length);
    assert.deepEqual(unpackSpanIds(packed), [...ids].sort());
  });

  it('answers membership exactly, at both ends and in between', () => {
    const packed = packSpanIds(ids);
    for (const id of ids) {
      assert.equal(packedHas(packed, id), true, id);
    }
    for (const absent of ['0000000000000001', '7fffffffffffffff', 'fffffffffffffffe', 'a1b2c3d4e5f60719']) {
      assert.equal(packedHas(packed, absent), false, absent);
    }
    assert.equal(packedHas(packSpanIds([]), ids[0]), false, 'the empty set');
    assert.equal(packedHas(packed, 'not hex at all!!'), false);
  });

  it('finds every id of a large set and none of its neighbours', () => {
    const many = Array.from({ length: 1000 }, (_, i) => (i * 7919 * 2).toString(16).padStart(16, '0'));
    const packed = packSpanIds(many);
    assert.ok(many.every((id) => packedHas(packed, id)));
    assert.ok(many.every((id) => !packedHas(packed, (parseInt(id, 16) + 1).toString(16).padStart(16, '0'))));
  });

  it('reads a set SQLite hands back as a Uint8Array view', () => {
    const packed = packSpanIds(ids);
    const inLargerBuffer = new Uint8Array(packed.length + 16);
    inLargerBuffer.set(packed, 8);
    const view = inLargerBuffer.subarray(8, 8 + packed.length);
    assert.deepEqual(unpackSpanIds(view), [...ids].sort());
    assert.equal(packedHas(view, ids[4]), true);
  });

  it('refuses what is not a span id rather than storing a wrong one', () => {
    assert.throws(() => packSpanIds(['abc']), /not a span id/);
    assert.throws(() => packSpanIds(['ABCDEF0123456789']), /not a span id/);
  });
});
