import assert from 'node:assert/strict';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { SpanRecord } from '../mapping/span-record.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { IngestStore } from '../store/ingest-store.ts';
import { OutboxDrainer, type DrainerOptions, type SpansInTempo } from './outbox-drainer.ts';
import { TempoExporter } from './tempo-exporter.ts';

/** A loopback port nothing listens on: connections are refused, as with a stopped Tempo. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Tempo read back while the drainer never sends blindly into it: nothing there. */
const nothingInTempo = () => Promise.resolve(new Set<string>());

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
    const logLines: Record<string, unknown>[] = [];
    const store = new IngestStore(':memory:');
    const { drainer, metrics } = drainerFor(
      store,
      `http://127.0.0.1:${await closedPort()}/v1/traces`,
      nothingInTempo,
      logLines,
      { maxOutboxSpans: 100, warnFillRatio: 0.8 },
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
      logLines.some(
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
          up ? { kind: 'accepted' } : { kind: 'notSent', reason: 'network', detail: 'connect ECONNREFUSED' },
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
      readBackDelayMs: 0,
    };
    const drainer = new OutboxDrainer(
      store,
      exporter,
      nothingInTempo,
      options,
      new SidecarMetrics({ defaultMetrics: false }),
      log,
    );
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

/**
 * An OTLP/HTTP listener standing in for Tempo in these unit tests (the fault suite runs the real
 * Tempo): it stores the span ids of every request it read in full, and answers as told.
 */
async function recordingListener(answer: (n: number, res: ServerResponse) => void) {
  const stored = new Map<string, number>();
  const byTrace = new Map<string, Set<string>>();
  let requests = 0;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as {
        resourceSpans: { scopeSpans: { spans: { traceId: string; spanId: string }[] }[] }[];
      };
      for (const s of body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))) {
        stored.set(s.spanId, (stored.get(s.spanId) ?? 0) + 1);
        byTrace.set(s.traceId, (byTrace.get(s.traceId) ?? new Set()).add(s.spanId));
      }
      answer(requests++, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    stored,
    spansInTempo: (traceId: string) => Promise.resolve(new Set(byTrace.get(traceId) ?? [])),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const spanOf = (trace: number, i: number): SpanRecord => ({
  ...span(trace * 1000 + i),
  traceId: trace.toString(16).padStart(32, '0'),
});

function drainerFor(
  store: IngestStore,
  url: string,
  spansInTempo: SpansInTempo,
  lines: Record<string, unknown>[],
  options: Partial<DrainerOptions> = {},
) {
  const log = pino(
    { level: 'info' },
    new Writable({
      write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), done()),
    }),
  );
  const metrics = new SidecarMetrics({ defaultMetrics: false });
  const exporter = new TempoExporter(
    { endpoint: url, headers: {}, timeoutMs: 3000 },
    { serviceName: 'gerrit', serverAddress: 's' },
  );
  const drainer = new OutboxDrainer(
    store,
    exporter,
    spansInTempo,
    {
      batchSpans: 10,
      batchBytes: 1e6,
      maxOutboxSpans: 1000,
      warnFillRatio: 0.99,
      minBackoffMs: 10,
      maxBackoffMs: 20,
      idleMs: 10,
      readBackDelayMs: 0,
      ...options,
    },
    metrics,
    log,
  );
  return { drainer, metrics, exporter };
}

async function drainUntilEmpty(store: IngestStore, drainer: OutboxDrainer): Promise<number> {
  let rounds = 0;
  while (store.outboxDepth().spans > 0 || store.exportInFlight()) {
    rounds += 1;
    assert.ok(rounds < 50, 'the outbox drains');
    await drainer.drainOnce();
  }
  return rounds;
}

describe('OutboxDrainer: exactly once when an answer is lost', () => {
  it('reads the batch back instead of sending it again, and sends only what the listener lacks', async () => {
    // Requests 0 and 2: read in full and stored, then the connection drops instead of the answer.
    const listener = await recordingListener((n, res) => {
      if (n === 0 || n === 2) {
        res.socket?.destroy();
      } else {
        res.end('{}');
      }
    });
    const store = new IngestStore(':memory:');
    const lines: Record<string, unknown>[] = [];
    const { drainer, metrics, exporter } = drainerFor(store, listener.url, listener.spansInTempo, lines);
    try {
      const spans = [1, 2, 3].flatMap((t) => Array.from({ length: 15 }, (_, i) => spanOf(t, i)));
      store.enqueueSpans(spans, 0);
      await drainUntilEmpty(store, drainer);
      assert.deepEqual(
        spans.filter((s) => listener.stored.get(s.spanId) !== 1).map((s) => s.spanId),
        [],
        'every span stored exactly once',
      );
      assert.equal(listener.stored.size, 45);
      const readBack = (await metrics.readBackSpans.get()).values;
      assert.equal(readBack.find((v) => v.labels.found === 'in_tempo')?.value, 20, 'two lost answers of 10 spans');
      assert.equal(
        (await metrics.exportsUnknown.get()).values.reduce((n, v) => n + v.value, 0),
        2,
        'two exports without an answer',
      );
      await new Promise((r) => setImmediate(r));
      assert.equal(lines.filter((l) => String(l.msg).startsWith('Resolved an export without an answer')).length, 2);
    } finally {
      await exporter.shutdown();
      await listener.close();
      store.close();
    }
  });

  it('is healthy again once a batch whose answer was lost is found in Tempo', async () => {
    const listener = await recordingListener((_, res) => res.socket?.destroy());
    const store = new IngestStore(':memory:');
    const lines: Record<string, unknown>[] = [];
    const { drainer, exporter } = drainerFor(store, listener.url, listener.spansInTempo, lines);
    try {
      store.enqueueSpans([spanOf(9, 1), spanOf(9, 2)], 0);
      assert.equal((await drainer.drainOnce()).failed, true, 'the answer was lost');
      assert.equal(drainer.healthy, false);
      await drainUntilEmpty(store, drainer);
      assert.equal(drainer.healthy, true, 'Tempo has the batch: nothing is failing');
      assert.equal(drainer.lastError, undefined);
      await new Promise((r) => setImmediate(r));
      assert.ok(lines.some((l) => String(l.msg).startsWith('Tempo accepts spans again')));
      assert.deepEqual([...listener.stored.values()], [1, 1]);
    } finally {
      await exporter.shutdown();
      await listener.close();
      store.close();
    }
  });

  it('after a stop between send and acknowledgement, the next start asks Tempo before sending', async () => {
    const listener = await recordingListener((_, res) => res.end('{}'));
    const store = new IngestStore(':memory:');
    try {
      const spans = Array.from({ length: 8 }, (_, i) => spanOf(7, i));
      store.enqueueSpans(spans, 0);
      // What a sidecar killed mid-export leaves behind: the mark written before the request, and
      // the listener holding the first five spans of that batch (a request it got in full).
      const batch = store.readOutbox(5, 1e6);
      assert.ok(batch);
      store.markExportInFlight({ lastSeq: batch.lastSeq, spans: 5, sentAtMs: Date.now() - 1000, state: 'sending' });
      const earlier = new TempoExporter(
        { endpoint: listener.url, headers: {}, timeoutMs: 3000 },
        { serviceName: 'gerrit', serverAddress: 's' },
      );
      assert.equal((await earlier.export(batch.spans)).kind, 'accepted');
      await earlier.shutdown();

      const lines: Record<string, unknown>[] = [];
      const { drainer, exporter } = drainerFor(store, listener.url, listener.spansInTempo, lines);
      drainer.start();
      await drainer.stop();
      await drainUntilEmpty(store, drainer);
      await exporter.shutdown();
      await new Promise((r) => setImmediate(r));
      assert.match(String(lines[0]?.msg), /^Recovering from an unclean stop: a batch of 5 spans was being sent/);
      assert.ok(
        lines.some((l) => /^Resolved an export without an answer: Tempo has 5 of its 5 spans/.test(String(l.msg))),
      );
      assert.deepEqual([...listener.stored.values()], Array<number>(8).fill(1), 'each of the 8 spans once');
      assert.equal(store.exportInFlight(), undefined);
    } finally {
      await listener.close();
      store.close();
    }
  });
});
