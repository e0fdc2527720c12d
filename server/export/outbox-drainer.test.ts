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
