import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LineSplitter } from './line-splitter.ts';

function collect(maxLineBytes: number) {
  const lines: string[] = [];
  const overlong: number[] = [];
  const splitter = new LineSplitter(maxLineBytes, {
    onLine: (line) => lines.push(line),
    onOverlong: (bytes) => overlong.push(bytes),
  });
  return { splitter, lines, overlong };
}

/** Cuts `bytes` at the given offsets (in any order, duplicates allowed). */
function chunked(bytes: Buffer, cuts: number[]): Buffer[] {
  const offsets = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...offsets, bytes.length]) {
    if (at > from) {
      chunks.push(bytes.subarray(from, at));
      from = at;
    }
  }
  return chunks;
}

describe('LineSplitter', () => {
  it('joins a line split across chunks, also inside a multi-byte character', () => {
    const { splitter, lines } = collect(1024);
    const bytes = Buffer.from('{"a":"é😀"}\n{"b":2}\n', 'utf8');
    for (const chunk of chunked(bytes, [1, 7, 8, 9, 13, 14])) {
      splitter.push(chunk);
    }
    assert.deepEqual(lines, ['{"a":"é😀"}', '{"b":2}']);
    assert.equal(splitter.heldBytes, 0);
  });

  it('keeps a line of exactly the bound and drops one byte more, up to its newline', () => {
    const { splitter, lines, overlong } = collect(4);
    splitter.push(Buffer.from('abcd\nabcde\nok\n'));
    assert.deepEqual(lines, ['abcd', 'ok']);
    assert.deepEqual(overlong, [5]);
  });

  it('reports a line without a newline once, as soon as it passes the bound, and holds nothing of it', () => {
    const { splitter, lines, overlong } = collect(10);
    splitter.push(Buffer.from('0123456'));
    assert.equal(splitter.heldBytes, 7);
    splitter.push(Buffer.from('789x'));
    assert.deepEqual(overlong, [11]);
    for (let i = 0; i < 100; i++) {
      splitter.push(Buffer.alloc(1000, 0x61));
    }
    assert.deepEqual(overlong, [11], 'the same line is reported once');
    assert.equal(splitter.heldBytes, 0);
    splitter.push(Buffer.from('tail of the long line\nnext\n'));
    assert.deepEqual(lines, ['next']);
  });

  it('holds copies, not the chunk a held tail came from', () => {
    const { splitter, lines } = collect(100);
    const chunk = Buffer.from('first\nsecond');
    splitter.push(chunk);
    chunk.fill(0x78); // the transport may reuse its buffer
    splitter.push(Buffer.from(' half\n'));
    assert.deepEqual(lines, ['first', 'second half']);
  });

  it('property: any lines in any chunking come out whole and in order, over-long ones counted, memory bounded', () => {
    const lineArb = fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 20, maxLength: 80 }) },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(
          lineArb.map((s) => s.replaceAll('\n', ' ')),
          { maxLength: 30 },
        ),
        fc.array(fc.nat(), { maxLength: 40 }),
        (maxLineBytes, input, cuts) => {
          const { splitter, lines, overlong } = collect(maxLineBytes);
          const bytes = Buffer.from(input.map((l) => `${l}\n`).join(''), 'utf8');
          for (const chunk of chunked(bytes, cuts)) {
            splitter.push(chunk);
            assert.ok(splitter.heldBytes <= maxLineBytes, `held ${splitter.heldBytes} > ${maxLineBytes}`);
          }
          const fits = (l: string) => Buffer.byteLength(l, 'utf8') <= maxLineBytes;
          // Decoding a whole line gives what encoding it started from (lone surrogates aside,
          // which UTF-8 cannot carry: compare with their encoded-and-decoded form).
          const roundTrip = (l: string) => Buffer.from(l, 'utf8').toString('utf8');
          assert.deepEqual(lines, input.filter(fits).map(roundTrip));
          assert.equal(overlong.length, input.filter((l) => !fits(l)).length);
          assert.ok(overlong.every((seen) => seen > maxLineBytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a 10 MB line without a newline, pushed as the SSH channel delivers it, never holds more than the bound', () => {
    const maxLineBytes = 1024 * 1024;
    const { splitter, lines, overlong } = collect(maxLineBytes);
    const piece = Buffer.alloc(32 * 1024, 0x7b);
    let maxHeld = 0;
    for (let sent = 0; sent < 10 * 1024 * 1024; sent += piece.length) {
      splitter.push(piece);
      maxHeld = Math.max(maxHeld, splitter.heldBytes);
    }
    splitter.push(Buffer.from('\n{"type":"ref-updated"}\n'));
    assert.ok(maxHeld <= maxLineBytes);
    assert.equal(overlong.length, 1);
    assert.deepEqual(lines, ['{"type":"ref-updated"}']);
  });
});
