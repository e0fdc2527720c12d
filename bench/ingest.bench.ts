// npm run bench:ingest — one JSON line: our throughput for parse → open-change state → spans →
// OTLP encoding with the official exporter's serializer (OTLP/HTTP JSON, as
// @opentelemetry/exporter-trace-otlp-http sends it; no network, no database) over a synthetic stream, beside the plain
// JSON.parse of the very same lines measured in the same run. Median of --runs runs. It runs with
// the heap settings the sidecar is run with (package.json "server", docs/configuration.md), so
// peakRssMb is what a running sidecar would use.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { createSpanAdapter } from '../server/export/otlp-spans.ts';
import { demoStreamEvents } from '../server/demo/review-history.ts';
import { parseStreamEventLine } from '../server/gerrit/stream-events.ts';
import { ChangeMapper, type OpenChange } from '../server/mapping/change-mapper.ts';
import type { SpanRecord } from '../server/mapping/span-record.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '3' },
    chunk: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '512' },
  },
});
const totalEvents = Number(values.events);
const runs = Number(values.runs);
const chunkSize = Number(values.chunk);
const batchSpans = Number(values.batch);

interface RunResult {
  oursMs: number;
  encodeMs: number;
  parseMs: number;
  spans: number;
  otlpBytes: number;
  changes: number;
  maxOpen: number;
  rssSamplesMb: number[];
  events: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Writes the synthetic stream to a file once, so the timed runs read lines the way the sidecar
 * gets them (bytes → strings), and the generator's own garbage is not collected in timed sections.
 */
function writeStream(path: string): void {
  const events = demoStreamEvents({
    seed: 7,
    changes: Math.ceil(totalEvents / 8),
    startMs: Date.UTC(2025, 0, 1),
    meanArrivalMs: 5 * 60_000,
    url: 'http://g',
  });
  const fd = openSync(path, 'w');
  let parts: string[] = [];
  for (let i = 0; i < totalEvents; i += 1) {
    const next = events.next();
    if (next.done) {
      throw new Error(`the generator ran out after ${i} events`);
    }
    parts.push(JSON.stringify(next.value));
    if (parts.length === chunkSize) {
      writeSync(fd, parts.join('\n') + '\n');
      parts = [];
    }
  }
  if (parts.length > 0) {
    writeSync(fd, parts.join('\n') + '\n');
  }
  closeSync(fd);
}

/**
 * Yields the stream's lines, chunkSize at a time, each decoded from the file's bytes on its own (a
 * flat string, as JSON.stringify made it, so neither side parses a slice of a larger string).
 */
function* readChunks(path: string): Generator<string[]> {
  const fd = openSync(path, 'r');
  let buf = Buffer.allocUnsafe(1 << 20);
  let filled = 0;
  let lines: string[] = [];
  try {
    for (;;) {
      if (filled === buf.length) {
        buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]); // a line longer than the buffer
      }
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      if (n === 0) {
        break;
      }
      filled += n;
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1 && nl < filled; nl = buf.indexOf(10, start)) {
        lines.push(buf.toString('utf8', start, nl));
        start = nl + 1;
        if (lines.length === chunkSize) {
          yield lines;
          lines = [];
        }
      }
      buf.copy(buf, 0, start, filled);
      filled -= start;
    }
  } finally {
    closeSync(fd);
  }
  if (lines.length > 0) {
    yield lines;
  }
}

function runOnce(streamPath: string): RunResult {
  const mapper = new ChangeMapper({
    serverId: 'bench',
    botPatterns: [/-bot$/i],
    commentMaxChars: 1000,
    ciLabel: 'Verified',
  });
  const encode = spanEncoder();
  const open = new Map<number, OpenChange>();
  const pending: SpanRecord[] = [];
  const r: RunResult = {
    oursMs: 0,
    encodeMs: 0,
    parseMs: 0,
    spans: 0,
    otlpBytes: 0,
    changes: 0,
    maxOpen: 0,
    rssSamplesMb: [],
    events: 0,
  };
  let sink = 0;
  for (const lines of readChunks(streamPath)) {
    r.events += lines.length;
    // Reference: JSON.parse of the same lines.
    let t0 = performance.now();
    for (const line of lines) {
      sink += (JSON.parse(line) as { eventCreatedOn: number }).eventCreatedOn & 1;
    }
    r.parseMs += performance.now() - t0;
    // Ours.
    t0 = performance.now();
    for (const line of lines) {
      const parsed = parseStreamEventLine(line);
      if (parsed.kind !== 'change') {
        continue;
      }
      const n = parsed.event.change.number;
      const before = open.get(n);
      const out = mapper.applyEvent(before, parsed.event);
      if (!before) {
        r.changes += 1;
      }
      // The sidecar keeps change state in SQLite, not in memory; here only open changes are held.
      if (out.change?.status === 'NEW') {
        open.set(n, out.change);
      } else {
        open.delete(n);
      }
      for (const s of out.spans) {
        pending.push(s);
      }
      if (pending.length >= batchSpans) {
        const e0 = performance.now();
        r.otlpBytes += encode(pending).length;
        r.encodeMs += performance.now() - e0;
        r.spans += pending.length;
        pending.length = 0;
      }
    }
    r.oursMs += performance.now() - t0;
    r.maxOpen = Math.max(r.maxOpen, open.size);
    r.rssSamplesMb.push(process.memoryUsage().rss / 1048576);
  }
  if (pending.length > 0) {
    r.otlpBytes += encode(pending).length;
    r.spans += pending.length;
  }
  if (sink < 0) {
    console.log(sink);
  }
  return r;
}

const resource = { serviceName: 'gerrit', serverAddress: 'bench' };

/** What the exporter does with a batch: our records as ReadableSpans, then its JSON serializer. */
function spanEncoder(): (spans: SpanRecord[]) => Uint8Array {
  const adapt = createSpanAdapter(resource);
  return (spans) => {
    const body = JsonTraceSerializer.serializeRequest(adapt(spans));
    if (!body) {
      throw new Error('the OTLP serializer returned no body');
    }
    return body;
  };
}

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-bench-'));
const streamPath = join(dir, 'stream-events.jsonl');
const results: RunResult[] = [];
try {
  writeStream(streamPath);
  for (let i = 0; i < runs; i += 1) {
    results.push(runOnce(streamPath));
    if (results[i].events !== totalEvents) {
      throw new Error(`run ${i + 1} read ${results[i].events} of ${totalEvents} events`);
    }
    (globalThis as { gc?: () => void }).gc?.();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const eventsPerSec = median(results.map((r) => totalEvents / (r.oursMs / 1000)));
const jsonParseEventsPerSec = median(results.map((r) => totalEvents / (r.parseMs / 1000)));
const ratio = median(results.map((r) => r.oursMs / r.parseMs));
const samples = results[0].rssSamplesMb;
const quarter = (q: number) => Math.round(samples[Math.min(samples.length - 1, Math.floor((samples.length - 1) * q))]);
console.log(
  JSON.stringify({
    bench: 'ingest',
    events: totalEvents,
    runs,
    eventsPerSec: Math.round(eventsPerSec),
    jsonParseEventsPerSec: Math.round(jsonParseEventsPerSec),
    ratio: Number(ratio.toFixed(2)),
    otlpEncodeShare: Number(median(results.map((r) => r.encodeMs / r.oursMs)).toFixed(2)),
    peakRssMb: Math.round(Math.max(...results.flatMap((r) => r.rssSamplesMb))),
    rssMbAt25_50_100: [quarter(0.25), quarter(0.5), quarter(1)],
    spans: results[0].spans,
    otlpBytes: results[0].otlpBytes,
    changes: results[0].changes,
    maxOpenChanges: results[0].maxOpen,
    node: process.version,
    cpu: cpus()[0]?.model,
  }),
);
