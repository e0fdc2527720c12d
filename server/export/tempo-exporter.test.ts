import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { SpanRecord } from '../mapping/span-record.ts';
import { TempoExporter, type ExportOutcome } from './tempo-exporter.ts';

// The export path through OpenTelemetry's OTLP/HTTP exporter, against a plain HTTP listener that
// records what arrives and answers as told (the Tempo integration tests cover the real Tempo). The
// request is decoded here with JSON.parse and gunzip, not with OpenTelemetry's code.

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
    'x.bigger': 2 ** 40 + 3,
    'x.absent': undefined,
  },
};

const batch = (first: number, size: number): SpanRecord[] =>
  Array.from({ length: size }, (_, i) => ({
    ...record,
    traceId: (first + i).toString(16).padStart(32, '0'),
    spanId: (first + i).toString(16).padStart(16, '0'),
    parentSpanId: undefined,
    attributes: { 'gerrit.comment.text': `batch ${first} span ${i}` },
  }));

interface Received {
  headers: IncomingMessage['headers'];
  body: OtlpJson;
}

interface OtlpJson {
  resourceSpans: Array<{
    resource: { attributes: KeyValue[] };
    scopeSpans: Array<{
      scope: { name: string };
      spans: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        status: { code?: number };
        attributes: KeyValue[];
      }>;
    }>;
  }>;
}

type KeyValue = { key: string; value: Record<string, unknown> };

/** A listener answering each request with `answer(n)` (n from 0), recording what it got. */
async function listener(answer: (n: number, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      received.push({ headers: req.headers, body: JSON.parse(text) as OtlpJson });
      answer(received.length - 1, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    received,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const exporterFor = (url: string, timeoutMs = 5000) =>
  new TempoExporter({ endpoint: url, headers: { 'X-Scope-OrgID': 'team-a' }, timeoutMs }, resource);

describe('TempoExporter', () => {
  it('sends the spans as OTLP/HTTP JSON, gzipped, with the tenant header, ids, times and attributes', async () => {
    const sink = await listener((_, res) => res.end('{}'));
    try {
      const exporter = exporterFor(sink.url);
      assert.deepEqual(await exporter.export([record]), { kind: 'accepted' });
      await exporter.shutdown();
      const [{ headers, body }] = sink.received;
      assert.equal(headers['content-type'], 'application/json');
      assert.equal(headers['content-encoding'], 'gzip');
      assert.equal(headers['x-scope-orgid'], 'team-a');
      const [rs] = body.resourceSpans;
      assert.deepEqual(Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue])), {
        'service.name': 'gerrit',
        'vcs.provider.name': 'gerrit',
        'server.address': 'review.example.org',
      });
      const [span] = rs.scopeSpans[0].spans;
      assert.equal(rs.scopeSpans[0].scope.name, 'reviewtrace-server');
      assert.deepEqual(
        [span.traceId, span.spanId, span.parentSpanId, span.name],
        [record.traceId, record.spanId, record.parentSpanId, 'review'],
      );
      assert.equal(span.startTimeUnixNano, '1700000000123000000');
      assert.equal(span.endTimeUnixNano, '1700000060456000000');
      assert.equal(span.status.code, 2, 'error');
      const attrs = Object.fromEntries(span.attributes.map((a) => [a.key, a.value]));
      assert.deepEqual(attrs['gerrit.reviewer'], { stringValue: 'alice' });
      assert.deepEqual(attrs['gerrit.value'], { intValue: -1 });
      assert.deepEqual(attrs['gerrit.wip'], { boolValue: true });
      assert.deepEqual(attrs['x.ratio'], { doubleValue: 0.5 });
      assert.deepEqual(attrs['x.bigger'], { intValue: 2 ** 40 + 3 });
      assert.deepEqual(attrs['gerrit.hashtags'], {
        arrayValue: { values: [{ stringValue: 'a' }, { stringValue: 'b' }] },
      });
      assert.equal(attrs['gerrit.comment.text'].stringValue, record.attributes['gerrit.comment.text']);
      assert.equal('x.absent' in attrs, false, 'an undefined attribute is left out');
    } finally {
      await sink.close();
    }
  });

  it('sends each batch’s own spans when exports run together', async () => {
    const sink = await listener((_, res) => setTimeout(() => res.end('{}'), 30));
    try {
      const exporter = exporterFor(sink.url);
      const batches = [batch(0x100, 300), batch(0x900, 5), batch(0x2000, 120)];
      const outcomes = await Promise.all(batches.map((b) => exporter.export(b)));
      assert.deepEqual(outcomes, [{ kind: 'accepted' }, { kind: 'accepted' }, { kind: 'accepted' }]);
      const sent = sink.received
        .map((r) => r.body.resourceSpans[0].scopeSpans[0].spans.map((s) => s.spanId))
        .sort((a, b) => a.length - b.length);
      assert.deepEqual(
        sent,
        [batches[1], batches[2], batches[0]].map((b) => b.map((s) => s.spanId)),
      );
    } finally {
      await sink.close();
    }
  });

  it('tells a batch that never reached Tempo from one whose fate is unknown', async () => {
    const statuses = [400, 413, 408, 500, 502, 503, 429];
    const cases: Array<[number, ExportOutcome['kind'], string]> = [];
    for (const status of statuses) {
      const sink = await listener((_, res) => {
        res.statusCode = status;
        res.end(`refused with ${status}`);
      });
      try {
        const outcome = await exporterFor(sink.url, 1500).export([record]);
        cases.push([status, outcome.kind, outcome.kind === 'accepted' ? '' : outcome.reason]);
        if (status === 503 || status === 429) {
          // Tempo said it did not take the batch: the exporter's own retries are safe and let through.
          assert.ok(sink.received.length >= 2, `the exporter retried ${status} itself`);
        } else {
          // A 502 may come from a proxy after Tempo stored the batch: not sent again blindly.
          assert.equal(sink.received.length, 1, `HTTP ${status} was sent once`);
        }
        if (status === 400 && outcome.kind !== 'accepted') {
          assert.match(outcome.detail, /refused with 400/);
        }
      } finally {
        await sink.close();
      }
    }
    assert.deepEqual(cases, [
      [400, 'rejected', 'http_400'],
      [413, 'rejected', 'http_413'],
      [408, 'unknown', 'http_408'],
      [500, 'unknown', 'http_500'],
      [502, 'unknown', 'http_502'],
      [503, 'notSent', 'http_503'],
      [429, 'notSent', 'http_429'],
    ]);

    // Nobody listening: the request never left.
    const gone = await listener(() => undefined);
    const url = gone.url;
    await gone.close();
    const refused = await exporterFor(url, 800).export([record]);
    assert.equal(refused.kind, 'notSent');
    assert.match(refused.kind === 'notSent' ? refused.detail : '', /ECONNREFUSED/);

    // A listener that never answers: the deadline passes with the batch possibly stored.
    const silent = await listener(() => undefined);
    try {
      assert.deepEqual(await exporterFor(silent.url, 300).export([record]), {
        kind: 'unknown',
        reason: 'timeout',
        detail: 'Request timed out',
      });
      assert.equal(silent.received.length, 1);
    } finally {
      await silent.close();
    }
  });

  it('does not send a batch again when the answer was lost (the exporter would retry a reset connection)', async () => {
    // The listener reads the whole request, as Tempo would store it, then drops the connection.
    const lossy = await listener((_, res) => res.socket?.destroy());
    try {
      const outcome = await exporterFor(lossy.url, 5000).export([record]);
      assert.equal(outcome.kind, 'unknown');
      assert.equal(outcome.kind === 'unknown' && outcome.reason, 'no_answer');
      assert.match(outcome.kind === 'unknown' ? outcome.detail : '', /socket hang up|ECONNRESET/);
      assert.equal(lossy.received.length, 1, 'one request, no blind retry');
    } finally {
      await lossy.close();
    }
  });
});
