import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { SpanRecord } from '../mapping/span-record.ts';
import { encodeSpans, reviewTraceResource, toReadableSpan } from './otlp-encoding.ts';

const record: SpanRecord = {
  traceId: '0123456789abcdef0123456789abcdef',
  spanId: '0123456789abcdef',
  parentSpanId: 'fedcba9876543210',
  name: 'review',
  startMs: 1_700_000_000_123,
  endMs: 1_700_000_060_456,
  status: 'error',
  attributes: { 'gerrit.reviewer': 'alice', 'gerrit.value': -1, 'gerrit.hashtags': ['a', 'b'], 'gerrit.wip': true },
};
const resource = reviewTraceResource({ serviceName: 'gerrit', serverAddress: 'review.example.org' });

describe('OTLP encoding', () => {
  it('keeps ids, parent, times, status, attributes and resource exactly', () => {
    const body = JsonTraceSerializer.serializeRequest([toReadableSpan(record, resource)]);
    const json = JSON.parse(new TextDecoder().decode(body)) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: Record<string, unknown>[] }[];
      }[];
    };
    const span = json.resourceSpans[0].scopeSpans[0].spans[0] as Record<string, unknown> & {
      attributes: { key: string; value: Record<string, unknown> }[];
      status: { code: number };
    };
    assert.equal(span.traceId, record.traceId);
    assert.equal(span.spanId, record.spanId);
    assert.equal(span.parentSpanId, record.parentSpanId);
    assert.equal(span.name, 'review');
    assert.equal(String(span.startTimeUnixNano), '1700000000123000000');
    assert.equal(String(span.endTimeUnixNano), '1700000060456000000');
    assert.equal(span.status.code, 2);
    const attrs = Object.fromEntries(span.attributes.map((a) => [a.key, a.value]));
    assert.deepEqual(attrs['gerrit.reviewer'], { stringValue: 'alice' });
    assert.deepEqual(attrs['gerrit.value'], { intValue: -1 });
    assert.deepEqual(attrs['gerrit.wip'], { boolValue: true });
    const res = Object.fromEntries(json.resourceSpans[0].resource.attributes.map((a) => [a.key, a.value.stringValue]));
    assert.deepEqual(
      [res['service.name'], res['vcs.provider.name'], res['server.address']],
      ['gerrit', 'gerrit', 'review.example.org'],
    );
  });

  it('encodes protobuf with the raw id bytes in it', () => {
    const bytes = Buffer.from(encodeSpans([record], resource));
    assert.ok(bytes.includes(Buffer.from(record.traceId, 'hex')));
    assert.ok(bytes.includes(Buffer.from(record.spanId, 'hex')));
    assert.ok(bytes.includes(Buffer.from('gerrit.reviewer')));
  });
});
