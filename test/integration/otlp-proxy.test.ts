import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { context, trace, type Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { TempoExporter } from '../../server/export/tempo-exporter.ts';
import type { SpanRecord } from '../../server/mapping/span-record.ts';
import { OtlpProxy } from '../support/otlp-proxy.ts';
import { TempoServer } from '../support/tempo.ts';
import { waitFor } from '../support/wait.ts';

// The OTLP counting proxy the fault tests put in front of Tempo, driven by OpenTelemetry's own
// OTLP/HTTP exporter (gzip JSON, as the sidecar sends) into a real Tempo: its counts, and each fault.

const work = mkdtempSync(join(tmpdir(), 'reviewtrace-otlp-proxy-'));
let tempo: TempoServer;
let proxy: OtlpProxy;
const tracer = new TracerProvider().getTracer('otlp-proxy-test');

/** Finished spans with random ids: one trace of `count` spans. */
function finishedSpans(count: number): ReadableSpan[] {
  const root = tracer.startSpan('root');
  const spans: ReadableSpan[] = [];
  const parent = { traceId: root.spanContext().traceId, spanId: root.spanContext().spanId, traceFlags: 1 };
  for (let i = 1; i < count; i += 1) {
    const child = tracer.startSpan(`child-${i}`, { root: false }, contextWith(parent));
    child.end();
    // The SDK's spans are ReadableSpans; its API type (Span) does not say so.
    spans.push(child as unknown as ReadableSpan);
  }
  root.end();
  spans.push(root as unknown as ReadableSpan);
  return spans;
}

function contextWith(parent: { traceId: string; spanId: string; traceFlags: number }): Context {
  return trace.setSpanContext(context.active(), parent);
}

function exporter(timeoutMillis = 10_000): OTLPTraceExporter {
  return new OTLPTraceExporter({ url: proxy.url, timeoutMillis, compression: CompressionAlgorithm.GZIP });
}

function send(target: OTLPTraceExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => target.export(spans, resolve));
}

const idsOf = (spans: ReadableSpan[]) => spans.map((s) => s.spanContext().spanId);

async function tempoSpanIds(traceId: string, expected: number): Promise<string[]> {
  return waitFor(
    `${expected} spans of trace ${traceId} in Tempo`,
    async () => {
      const got = await tempo.trace(traceId).catch(() => []);
      return got.length >= expected ? got.map((s) => s.spanId).sort() : undefined;
    },
    30_000,
    500,
  );
}

describe('OTLP counting proxy in front of a real Tempo', { timeout: 300_000 }, () => {
  before(async () => {
    tempo = await TempoServer.start(join(work, 'tempo'));
  });

  after(async () => {
    await proxy?.close();
    await tempo?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('counts each span id forwarded and acknowledged once, with its trace id, and Tempo has them', async () => {
    proxy = await OtlpProxy.start(tempo.otlpEndpoint);
    const spans = finishedSpans(25);
    const traceId = spans[0].spanContext().traceId;
    const out = exporter();
    assert.equal((await send(out, spans.slice(0, 10))).code, ExportResultCode.SUCCESS);
    assert.equal((await send(out, spans.slice(10))).code, ExportResultCode.SUCCESS);
    await out.shutdown();

    assert.deepEqual(proxy.errors, []);
    assert.equal(proxy.requests, 2);
    assert.deepEqual([...proxy.forwarded.keys()].sort(), idsOf(spans).sort());
    assert.ok([...proxy.forwarded.values()].every((n) => n === 1));
    assert.ok([...proxy.acknowledged.values()].every((n) => n === 1));
    assert.equal(proxy.acknowledged.size, 25);
    assert.ok(idsOf(spans).every((id) => proxy.traceIds.get(id) === traceId));
    assert.equal(proxy.firstAcknowledgedAt.size, 25);
    assert.deepEqual(proxy.duplicatedAcknowledged(), []);
    assert.deepEqual(await tempoSpanIds(traceId, 25), idsOf(spans).sort());
    await proxy.close();
  });

  it('records a request it cannot decode as an error (and still forwards it)', async () => {
    proxy = await OtlpProxy.start(tempo.otlpEndpoint);
    const post = (body: Buffer, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(proxy.url, { method: 'POST', headers }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    await post(gzipSync('{"resourceSpans": [ truncated'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    await post(Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    await post(Buffer.from([0x0a, 0x00]), { 'content-type': 'application/x-protobuf' });
    await post(
      Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"AAECAwQFBgc=","traceId":"x"}]}]}]}'),
      {
        'content-type': 'application/json',
      },
    );
    assert.equal(proxy.errors.length, 4, proxy.errors.join('\n'));
    assert.match(proxy.errors[2], /only OTLP\/HTTP JSON/);
    assert.match(proxy.errors[3], /span id "AAECAwQFBgc=" is not 16 lowercase hex digits/);
    assert.equal(proxy.forwarded.size, 0);
    await proxy.close();
  });

  it('refuse(): the exporter gets connection refused; accept(): the same port works again', async () => {
    proxy = await OtlpProxy.start(tempo.otlpEndpoint);
    await proxy.refuse();
    // A short timeout: the exporter retries ECONNREFUSED within it.
    const refused = await send(exporter(1_500), finishedSpans(3));
    assert.equal(refused.code, ExportResultCode.FAILED);
    assert.match(String(refused.error?.message), /ECONNREFUSED/);
    assert.equal(proxy.requests, 0);

    await proxy.accept();
    const spans = finishedSpans(3);
    assert.equal((await send(exporter(), spans)).code, ExportResultCode.SUCCESS);
    assert.equal(proxy.acknowledged.size, 3);
    await proxy.close();
  });

  it('setDelay(ms): each request is held that long before Tempo sees it', async () => {
    proxy = await OtlpProxy.start(tempo.otlpEndpoint);
    proxy.setDelay(1_200);
    const started = performance.now();
    assert.equal((await send(exporter(), finishedSpans(2))).code, ExportResultCode.SUCCESS);
    assert.ok(performance.now() - started >= 1_200);

    // Slower than the exporter's deadline: it gives up; the proxy still forwards it afterwards.
    const spans = finishedSpans(2);
    const late = await send(exporter(500), spans);
    assert.equal(late.code, ExportResultCode.FAILED);
    await waitFor('the late request forwarded', () => (proxy.acknowledged.size === 4 ? true : undefined), 5_000, 100);
    assert.deepEqual(proxy.duplicatedAcknowledged(), []);
    await proxy.close();
  });

  it('dropAnswers(1): Tempo accepts, the answer is lost, the exporter re-sends: duplicates show', async () => {
    proxy = await OtlpProxy.start(tempo.otlpEndpoint);
    proxy.dropAnswers(1);
    const spans = finishedSpans(4);
    // The exporter retries ECONNRESET with 1-5 s back-off within its timeout: 4 s allows one or two retries.
    const result = await send(exporter(4_000), spans);
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.ok(proxy.requests >= 2, `requests ${proxy.requests}`);
    assert.equal(proxy.answersWithheld, proxy.requests);
    for (const id of idsOf(spans)) {
      assert.equal(proxy.forwarded.get(id), proxy.requests);
      assert.equal(proxy.acknowledged.get(id), proxy.requests);
    }
    assert.deepEqual(proxy.duplicatedAcknowledged().sort(), idsOf(spans).sort());
    // Tempo did accept them.
    assert.deepEqual(await tempoSpanIds(spans[0].spanContext().traceId, 4), idsOf(spans).sort());
    await proxy.close();
  });

  it("dropAnswers(1) with the sidecar's exporter: sent once, its outcome unknown, nothing duplicated", async () => {
    proxy = await OtlpProxy.start(tempo.otlpEndpoint);
    proxy.dropAnswers(1);
    const traceId = randomBytes(16).toString('hex');
    const records = Array.from({ length: 4 }, (): SpanRecord => ({
      traceId,
      spanId: randomBytes(8).toString('hex'),
      name: 'vote',
      startMs: Date.now() - 1000,
      endMs: Date.now(),
      status: 'unset',
      attributes: {},
    }));
    const sidecarExporter = new TempoExporter(
      { endpoint: proxy.url, headers: {}, timeoutMs: 4_000 },
      { serviceName: 'gerrit', serverAddress: 'proxy-test' },
    );
    const outcome = await sidecarExporter.export(records);
    await sidecarExporter.shutdown();
    assert.equal(outcome.kind, 'unknown', 'the drainer will read the spans back instead of re-sending');
    assert.equal(proxy.requests, 1, 'no blind retry');
    assert.deepEqual(proxy.duplicatedAcknowledged(), []);
    assert.deepEqual(await tempoSpanIds(traceId, 4), records.map((r) => r.spanId).sort());
    await proxy.close();
  });

  it('dropAnswers(p, rng): drops about that share of answers, chosen by the given generator', async () => {
    proxy = await OtlpProxy.start(tempo.otlpEndpoint);
    let draws = 0;
    proxy.dropAnswers(0.5, () => (draws++ % 2 === 0 ? 0.9 : 0.1)); // keep, drop, keep, drop, ...
    const out = exporter(500); // no time for a retry
    const results: ExportResult[] = [];
    for (let i = 0; i < 4; i += 1) {
      results.push(await send(out, finishedSpans(2)));
    }
    assert.deepEqual(
      results.map((r) => r.code),
      [ExportResultCode.SUCCESS, ExportResultCode.FAILED, ExportResultCode.SUCCESS, ExportResultCode.FAILED],
    );
    assert.equal(proxy.answersWithheld, 2);
    assert.equal(proxy.acknowledged.size, 8);
    assert.deepEqual(proxy.duplicatedAcknowledged(), []);
    await proxy.close();
  });

  it('hangAnswers(true): Tempo accepts, the client waits until its timeout; off again answers', async () => {
    proxy = await OtlpProxy.start(tempo.otlpEndpoint);
    proxy.hangAnswers(true);
    const spans = finishedSpans(3);
    const started = performance.now();
    const result = await send(exporter(1_000), spans);
    assert.equal(result.code, ExportResultCode.FAILED);
    assert.match(String(result.error?.message), /timed out/i);
    assert.ok(performance.now() - started >= 1_000);
    assert.equal(proxy.answersWithheld, 1);
    assert.ok(idsOf(spans).every((id) => proxy.acknowledged.get(id) === 1));

    proxy.hangAnswers(false);
    assert.equal((await send(exporter(), finishedSpans(2))).code, ExportResultCode.SUCCESS);
    await proxy.close();
  });
});
