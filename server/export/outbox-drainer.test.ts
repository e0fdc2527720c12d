import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { SpanRecord } from '../mapping/span-record.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { IngestStore } from '../store/ingest-store.ts';
import { OutboxDrainer } from './outbox-drainer.ts';
import { TempoExporter } from './tempo-exporter.ts';

/** A loopback port nothing listens on: connections are refused, as with a stopped Tempo. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const span = (i: number): SpanRecord => ({
  traceId: 'a'.repeat(32),
  spanId: i.toString(16).padStart(16, '0'),
  name: 'vote',
  startMs: 1,
  endMs: 2,
  status: 'unset',
  attributes: {},
});

describe('OutboxDrainer with Tempo unreachable', () => {
  it('keeps every span, counts the failure, and warns loudly near the bound', async () => {
    const warnings: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'warn' },
      new Writable({
        write: (c: Buffer, _e, done) => (warnings.push(JSON.parse(c.toString()) as Record<string, unknown>), done()),
      }),
    );
    const store = new IngestStore(':memory:');
    const metrics = new SidecarMetrics({ defaultMetrics: false });
    const exporter = new TempoExporter(
      { endpoint: `http://127.0.0.1:${await closedPort()}/v1/traces`, headers: {}, timeoutMs: 2000 },
      { serviceName: 'gerrit', serverAddress: 's' },
    );
    const drainer = new OutboxDrainer(
      store,
      exporter,
      {
        batchSpans: 10,
        batchBytes: 1e6,
        maxOutboxSpans: 100,
        warnFillRatio: 0.8,
        minBackoffMs: 10,
        maxBackoffMs: 20,
        idleMs: 10,
      },
      metrics,
      log,
    );
    store.enqueueSpans(
      Array.from({ length: 90 }, (_, i) => span(i)),
      0,
    );
    const result = await drainer.drainOnce();
    assert.deepEqual(result, { accepted: 0, failed: true });
    assert.equal(store.outboxDepth().spans, 90, 'nothing left the outbox');
    assert.equal(drainer.healthy, false);
    assert.match(drainer.lastError ?? '', /ECONNREFUSED|fetch failed|connect/i);
    assert.equal((await metrics.exportFailures.get()).values.find((v) => v.labels.reason === 'network')?.value, 1);
    assert.equal((await metrics.outboxFull.get()).values[0].value, 0.9);
    assert.equal(drainer.isFull(), false);
    await new Promise((r) => setImmediate(r));
    assert.ok(
      warnings.some(
        (w) => w.msg === 'Outbox is filling up: Tempo is not keeping up or is unreachable' && w.outboxSpans === 90,
      ),
    );
    store.enqueueSpans(
      Array.from({ length: 10 }, (_, i) => span(1000 + i)),
      0,
    );
    assert.equal(drainer.isFull(), true, 'at the bound: the sidecar pauses reading the stream');
    store.close();
  });
});

describe('OutboxDrainer outage logs', () => {
  it('logs when an outage starts, a throttled progress line while it lasts, and when it ends', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), done()),
      }),
    );
    const store = new IngestStore(':memory:');
    let up = false;
    const exporter = {
      export: () =>
        Promise.resolve(
          up ? { kind: 'accepted' } : { kind: 'retryable', reason: 'network', detail: 'connect ECONNREFUSED' },
        ),
    } as unknown as TempoExporter;
    const options = {
      batchSpans: 10,
      batchBytes: 1e6,
      maxOutboxSpans: 1000,
      warnFillRatio: 0.99,
      minBackoffMs: 10,
      maxBackoffMs: 20,
      idleMs: 10,
      outageLogMs: 60_000,
    };
    const drainer = new OutboxDrainer(store, exporter, options, new SidecarMetrics({ defaultMetrics: false }), log);
    store.enqueueSpans(
      Array.from({ length: 25 }, (_, i) => span(i)),
      0,
    );
    for (let i = 0; i < 4; i += 1) {
      assert.equal((await drainer.drainOnce()).failed, true);
    }
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      lines.map((l) => l.msg),
      ['Tempo does not accept spans: keeping them in the outbox and retrying'],
      'one line at the start, progress throttled',
    );
    assert.equal(lines[0].reason, 'network');
    assert.equal(lines[0].outboxSpans, 25);
    // A progress line once outageLogMs has passed.
    (options as { outageLogMs: number }).outageLogMs = 0;
    await drainer.drainOnce();
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 2);
    assert.match(
      String(lines[1].msg),
      /^Tempo still does not accept spans after .* \(4 retries, next in .*\); 25 spans wait/,
    );
    assert.equal(lines[1].retries, 4);
    up = true;
    assert.deepEqual(await drainer.drainOnce(), { accepted: 25, failed: false });
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 3);
    assert.match(
      String(lines[2].msg),
      /^Tempo accepts spans again after .* \(4 retries\); exporting the 25 spans that waited/,
    );
    assert.equal(lines[2].waitingSpans, 25);
    assert.equal(typeof lines[2].downForMs, 'number');
    store.close();
  });
});
