import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demoStreamEvents } from '../demo/review-history.ts';
import { parseStreamEvent } from '../gerrit/stream-events.ts';
import { ChangeMapper, type OpenChange } from '../mapping/change-mapper.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import { createSpanEncoder, referenceEncode } from './otlp-encoding.ts';

const resource = { serviceName: 'gerrit', serverAddress: 'review.example.org' };
const record: SpanRecord = {
  traceId: '0123456789abcdef0123456789abcdef',
  spanId: '0123456789abcdef',
  parentSpanId: 'fedcba9876543210',
  name: 'review',
  startMs: 1_700_000_000_123,
  endMs: 1_700_000_060_456,
  status: 'error',
  attributes: {
    'gerrit.reviewer': 'alice',
    'gerrit.value': -1,
    'gerrit.hashtags': ['a', 'b'],
    'gerrit.wip': true,
    'gerrit.comment.text': 'Ünïcødé ✓ '.repeat(20),
    'x.ratio': 0.5,
    'x.big': 2 ** 31 + 5,
    'x.bigger': 2 ** 40 + 3,
    'x.negative': -1,
    'x.negative31': -(2 ** 31),
    'x.negative40': -(2 ** 40 + 3),
    'x.negativeMin': Number.MIN_SAFE_INTEGER,
    'x.edge': 2 ** 31 - 1,
  },
};

function demoSpans(): SpanRecord[] {
  const mapper = new ChangeMapper({
    serverId: 's',
    botPatterns: [/-bot$/],
    commentMaxChars: 1000,
    ciLabel: 'Verified',
  });
  const open = new Map<number, OpenChange>();
  const spans: SpanRecord[] = [];
  for (const raw of demoStreamEvents({
    seed: 3,
    changes: 300,
    startMs: Date.UTC(2026, 0, 1),
    meanArrivalMs: 600_000,
    url: 'http://g',
  })) {
    const r = parseStreamEvent(raw);
    if (r.kind !== 'change') continue;
    const out = mapper.applyEvent(open.get(r.event.change.number), r.event);
    if (out.change) open.set(r.event.change.number, out.change);
    else open.delete(r.event.change.number);
    spans.push(...out.spans);
  }
  return spans;
}

describe('OTLP encoding', () => {
  it('writes the same bytes as OpenTelemetry’s serializer, batch after batch', () => {
    const encode = createSpanEncoder(resource);
    const spans = [record, ...demoSpans()];
    assert.ok(spans.length > 3000);
    for (let i = 0; i < spans.length; i += 400) {
      const batch = spans.slice(i, i + 400);
      assert.ok(Buffer.from(encode(batch)).equals(Buffer.from(referenceEncode(batch, resource))), `batch at ${i}`);
    }
  });

  it('writes the same bytes for spans whose length needs one, two and three varint bytes', () => {
    const encode = createSpanEncoder(resource);
    const tiny: SpanRecord = { ...record, parentSpanId: undefined, name: 'topic', attributes: {} };
    const huge: SpanRecord = { ...record, attributes: { 'gerrit.comment.text': 'ä'.repeat(20_000) } };
    for (const batch of [[tiny], [huge], [tiny, huge, record, tiny], [record]]) {
      const ours = Buffer.from(encode(batch));
      assert.ok(ours.equals(Buffer.from(referenceEncode(batch, resource))), batch.map((s) => s.name).join());
    }
    // The tiny span's message: tag (2 << 3 | 2), a one-byte length, then its trace id field.
    const tinyBytes = Buffer.from(encode([tiny]));
    const at = tinyBytes.indexOf(Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.from(tiny.traceId, 'hex')]));
    assert.equal(tinyBytes[at - 2], 0x12);
    assert.ok(tinyBytes[at - 1] < 0x80, 'the tiny span is under 128 bytes');
  });

  it('puts ids, nanosecond times and UTF-8 text where OTLP expects them', () => {
    const bytes = Buffer.from(createSpanEncoder(resource)([record]));
    assert.ok(bytes.includes(Buffer.from(record.traceId, 'hex')));
    assert.ok(bytes.includes(Buffer.from(record.parentSpanId ?? '', 'hex')));
    // 1_700_000_000_123 ms in ns, little-endian fixed64 after tag (7 << 3 | 1).
    const start = Buffer.alloc(9);
    start[0] = 0x39;
    start.writeBigUInt64LE(1_700_000_000_123_000_000n, 1);
    assert.ok(bytes.includes(start), 'start time in nanoseconds');
    assert.ok(bytes.includes(Buffer.from('Ünïcødé ✓', 'utf8')), 'non-ASCII text as UTF-8');
    assert.ok(bytes.includes(Buffer.from('review.example.org')));
  });
});
