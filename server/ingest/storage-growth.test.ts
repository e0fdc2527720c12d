import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { demoStreamEvents } from '../demo/review-history.ts';
import { parseStreamEvent, type ChangeEvent } from '../gerrit/stream-events.ts';
import { ChangeMapper } from '../mapping/change-mapper.ts';
import { traceIdFor } from '../mapping/span-ids.ts';
import { createLogger } from '../observability/logger.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { IngestStore } from '../store/ingest-store.ts';
import { Ingestor } from './ingestor.ts';
import { StorageRetention } from './storage-retention.ts';

// The database over a long history: the demo's review history (merges, abandons, changes left
// open) driven through the real mapper, ingestor and store, with the sidecar's sweep every few hours
// of Gerrit time and a Tempo that accepts every batch but refuses one span in a hundred. The rows
// must follow what is open, not what ever was. REVIEWTRACE_STORAGE_GROWTH_CHANGES runs it longer
// (the figures are in docs/architecture.md, "Bounded storage").

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-growth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CHANGES = Number(process.env.REVIEWTRACE_STORAGE_GROWTH_CHANGES ?? 2000);
const SERVER_ID = 'gerrit.growth.invalid';
const H = 3_600_000;
const DAY = 24 * H;
const START_MS = Date.UTC(2020, 0, 1);
/** The sidecar sweeps every minute; every few hours of history here keeps the test short. */
const SWEEP_EVERY_MS = 4 * H;
const DEAD_LETTER_MAX = 20;
const DEMO = { seed: 42, startMs: START_MS, meanArrivalMs: 3 * H, url: 'http://gerrit.growth.invalid' };

describe('storage over a long review history', () => {
  it(`stays proportional to what is open, not to the history (${CHANGES} changes)`, (t) => {
    const path = join(dir, 'growth.db');
    const store = new IngestStore(path);
    const metrics = new SidecarMetrics({ defaultMetrics: false });
    const log = createLogger('silent');
    const mapper = new ChangeMapper({
      serverId: SERVER_ID,
      botPatterns: [/bot/],
      commentMaxChars: 200,
      ciLabel: 'Verified',
      abandonFinalAfterMs: 7 * DAY,
    });
    const ingestor = new Ingestor(store, mapper, metrics, log);
    const retention = new StorageRetention(
      store,
      {
        serverId: SERVER_ID,
        abandonedRetentionMs: 90 * DAY,
        deadLetterMaxSpans: DEAD_LETTER_MAX,
        deadLetterRetentionMs: 30 * DAY,
      },
      metrics,
      log,
    );
    const exportedByTrace = new Map<string, number>();
    let exported = 0;
    let batches = 0;
    let refused = 0;
    let peakLedgerRows = 0;
    /** Tempo: accepts the outbox, but refuses the last span of every tenth batch (the drainer sets it aside). */
    const drain = (nowMs: number) => {
      for (let batch = store.readOutbox(512, 1e12); batch; batch = store.readOutbox(512, 1e12)) {
        for (const span of batch.spans) {
          exported += 1;
          exportedByTrace.set(span.traceId, (exportedByTrace.get(span.traceId) ?? 0) + 1);
        }
        batches += 1;
        if (batches % 10 === 0) {
          store.ackOutbox(batch.lastSeq - 1);
          store.deadLetter(batch.lastSeq, 'HTTP 400: refused', nowMs);
          refused += 1;
        } else {
          store.ackOutbox(batch.lastSeq);
        }
      }
    };
    const sweep = (nowMs: number) => {
      ingestor.finalizeAbandonedChanges(nowMs);
      drain(nowMs);
      peakLedgerRows = Math.max(peakLedgerRows, store.ledgerRows().spanRows);
      retention.sweep(nowMs);
    };

    let events = 0;
    let nextSweepMs = START_MS + SWEEP_EVERY_MS;
    let lastMs = START_MS;
    // The events between two sweeps in one transaction, as the demo loads its history.
    let hour: ReturnType<typeof parseStreamEvent>[] = [];
    const apply = () => {
      store.transaction(() => hour.forEach((parsed) => ingestor.handleParsed(parsed)));
      hour = [];
    };
    for (const raw of demoStreamEvents({ ...DEMO, changes: CHANGES })) {
      const atMs = raw.eventCreatedOn * 1000;
      if (atMs >= nextSweepMs) {
        apply();
        while (atMs >= nextSweepMs) {
          sweep(nextSweepMs);
          nextSweepMs += SWEEP_EVERY_MS;
        }
      }
      hour.push(parseStreamEvent(raw));
      events += 1;
      lastMs = atMs;
    }
    apply();
    sweep(lastMs + SWEEP_EVERY_MS);

    const rows = store.ledgerRows();
    const stillOpen = store.openChangeNumbers().map((n) => traceIdFor(SERVER_ID, n));
    const openSpans = stillOpen.reduce((sum, traceId) => sum + (exportedByTrace.get(traceId) ?? 0), 0);
    const closedTraces = exportedByTrace.size - stillOpen.filter((id) => exportedByTrace.has(id)).length;
    const abandonedKept = store.countAbandonedChanges();
    const figures = {
      changes: CHANGES,
      events,
      historyDays: Math.round((lastMs - START_MS) / DAY),
      spansExported: exported,
      openOrPendingChanges: stillOpen.length,
      ledgerRows: rows.spanRows,
      peakLedgerRows,
      closedTracesRows: rows.closedTraces,
      abandonedStatesKept: abandonedKept,
      deadLetters: store.deadLetterCount(),
      spansRefused: refused,
    };
    t.diagnostic(JSON.stringify(figures));

    assert.equal(rows.spanRows, openSpans, 'per-span rows: exactly the spans of the changes still open');
    assert.equal(rows.closedTraces, closedTraces, 'one row per closed change');
    assert.equal(rows.spanRows + rows.closedTraceSpans, exported, 'the ledger still answers for every span');
    assert.ok(rows.spanRows < exported / 10, 'the per-span rows are a small part of the history');
    assert.ok(store.deadLetterCount() <= DEAD_LETTER_MAX && refused > DEAD_LETTER_MAX, 'dead letters bounded');
    assert.ok(abandonedKept > 0, 'abandons of the last 90 days are kept for a restore');
    assert.equal(store.dropAbandonedChanges(lastMs - 90 * DAY), 0, 'none older than the retention is left');

    // A backfill of the oldest changes, whose traces were compacted long ago: nothing is new.
    const BACKFILLED = Math.min(CHANGES, 300);
    const histories = new Map<number, ChangeEvent[]>();
    for (const raw of demoStreamEvents({ ...DEMO, changes: BACKFILLED })) {
      const parsed = parseStreamEvent(raw);
      if (parsed.kind === 'change') {
        const number = parsed.event.change.number;
        histories.set(number, [...(histories.get(number) ?? []), parsed.event]);
      }
    }
    let again = 0;
    for (const [number, history] of histories) {
      again += ingestor.rebuildChange(number, history).spans;
    }
    assert.equal(histories.size, BACKFILLED);
    assert.equal(again, 0, 'a backfill of old changes exports nothing again');
    store.close(); // checkpoints the write-ahead log into the file
    t.diagnostic(`database file: ${statSync(path).size} bytes`);
  });
});
