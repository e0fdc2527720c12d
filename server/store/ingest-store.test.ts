import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import type { OpenChange } from '../mapping/change-mapper.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import { IngestStore } from './ingest-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const span = (id: string, traceId = 'a'.repeat(32)): SpanRecord => ({
  traceId,
  spanId: id.padStart(16, '0'),
  name: 'vote',
  startMs: 1,
  endMs: 2,
  status: 'unset',
  attributes: { k: id },
});

/** A stored change's state: the given fields over an empty change. */
const changeState = (
  fields: Pick<OpenChange, 'number' | 'status' | 'lastEventMs'> & Partial<OpenChange>,
): OpenChange => ({
  project: 'p',
  branch: 'b',
  createdMs: 1,
  hashtags: [],
  wip: false,
  isPrivate: false,
  patchSetCount: 1,
  reviewers: {},
  pendingReviews: {},
  reviewedCurrent: [],
  ciStart: {},
  reviewedPatchSets: [],
  commentCount: 0,
  ordinals: {},
  ...fields,
});

describe('IngestStore (real SQLite file)', () => {
  it('keeps its directory and files owner-only', () => {
    const path = join(dir, 'private', 'nested', 'owner.db');
    const store = new IngestStore(path);
    store.enqueueSpans([span('1')], 0);
    const mode = (p: string) => statSync(p).mode & 0o777;
    assert.equal(mode(join(dir, 'private', 'nested')), 0o700);
    assert.equal(mode(path), 0o600);
    assert.equal(mode(`${path}-wal`), 0o600, 'the write-ahead log too');
    store.close();
  });

  it('enqueues each span id once, ever, across reopenings', () => {
    const path = join(dir, 'ledger.db');
    let store = new IngestStore(path);
    assert.equal(store.enqueueSpans([span('1'), span('2'), span('1')], 0).length, 2);
    store.close();
    store = new IngestStore(path);
    assert.deepEqual(
      store.enqueueSpans([span('2'), span('3')], 0).map((s) => s.spanId),
      [span('3').spanId],
    );
    assert.equal(store.outboxDepth().spans, 3);
    assert.equal(store.ledgerSize(), 3);
    store.close();
  });

  it('reads the outbox in order, in batches, and removes only acknowledged spans', () => {
    const store = new IngestStore(join(dir, 'outbox.db'));
    store.enqueueSpans(
      ['1', '2', '3', '4', '5'].map((id) => span(id)),
      0,
    );
    const first = store.readOutbox(2, 1e9);
    assert.deepEqual(
      first?.spans.map((s) => s.attributes.k),
      ['1', '2'],
    );
    const again = store.readOutbox(2, 1e9);
    assert.deepEqual(
      again?.spans.map((s) => s.attributes.k),
      ['1', '2'],
      'unacknowledged spans stay',
    );
    store.ackOutbox(first?.lastSeq ?? 0);
    assert.deepEqual(
      store.readOutbox(10, 1e9)?.spans.map((s) => s.attributes.k),
      ['3', '4', '5'],
    );
    const bytesOfOne = store.readOutbox(1, 1e9)?.bytes ?? 0;
    assert.equal(store.readOutbox(10, bytesOfOne * 2)?.spans.length, 2, 'byte bound respected');
    assert.deepEqual(store.outboxDepth().spans, 3);
    store.deadLetter(store.readOutbox(1, 1e9)?.lastSeq ?? 0, 'HTTP 400', 0);
    assert.equal(store.deadLetterCount(), 1);
    assert.deepEqual(
      store.readOutbox(10, 1e9)?.spans.map((s) => s.attributes.k),
      ['4', '5'],
    );
    store.close();
  });

  it('rolls back everything of a failed transaction', () => {
    const store = new IngestStore(join(dir, 'tx.db'));
    assert.throws(() =>
      store.transaction(() => {
        store.enqueueSpans([span('9')], 0);
        store.advanceWatermark(5000);
        throw new Error('boom');
      }),
    );
    assert.equal(store.outboxDepth().spans, 0);
    assert.equal(store.ledgerSize(), 0);
    assert.equal(store.getWatermark(), undefined);
    store.close();
  });

  it('only moves the watermark forward and keeps open changes', () => {
    const store = new IngestStore(join(dir, 'meta.db'));
    store.advanceWatermark(2000);
    store.advanceWatermark(1000);
    assert.equal(store.getWatermark(), 2000);
    const change = changeState({ number: 5, status: 'NEW', lastEventMs: 1 });
    store.saveChange(5, change);
    const stored = store.getChange(5);
    // The same data; its keyed records come back without a prototype (reviveOpenChange).
    assert.deepEqual(structuredClone(stored), change);
    assert.equal(Object.getPrototypeOf(stored?.reviewers), null);
    assert.equal(store.listOpenChanges().length, 1);
    assert.equal(store.countOpenChanges(), 1);
    store.saveChange(6, { ...change, number: 6, status: 'ABANDONED' });
    assert.equal(store.countOpenChanges(), 1, 'abandoned changes are kept but not open');
    store.saveChange(6, undefined);
    store.saveChange(5, undefined);
    assert.equal(store.getChange(5), undefined);
    store.close();
  });

  it('grants the drain lease to one owner at a time until it expires or is released', () => {
    const path = join(dir, 'lease.db');
    const a = new IngestStore(path);
    const b = new IngestStore(path);
    assert.equal(a.claimDrainLease('a', 1000, 500), true);
    assert.equal(b.claimDrainLease('b', 1200, 500), false);
    assert.equal(a.claimDrainLease('a', 1400, 500), true, 'renewal');
    assert.equal(b.claimDrainLease('b', 2000, 500), true, 'expired');
    b.releaseDrainLease('b');
    assert.equal(a.claimDrainLease('a', 2001, 500), true, 'released');
    a.close();
    b.close();
  });

  const traceA = 'a'.repeat(32);
  const traceB = 'b'.repeat(32);
  const traceC = 'c'.repeat(32);
  const idsOf = (spans: SpanRecord[]) => spans.map((s) => s.spanId);
  const drain = (store: IngestStore) => store.ackOutbox(store.readOutbox(1e6, 1e12)?.lastSeq ?? 0);

  it('compacts a closed, exported trace to one row that still refuses every span of it, and only those', () => {
    const store = new IngestStore(join(dir, 'compact.db'));
    const closed = ['11', '12', '13'].map((id) => span(id, traceA));
    const open = ['21', '22'].map((id) => span(id, traceB));
    store.enqueueSpans([...closed, ...open], 1000);
    drain(store);
    const waiting = ['31', '32'].map((id) => span(id, traceC));
    store.enqueueSpans(waiting, 2000);

    const result = store.compactLedger(new Set([traceB]), 5000);
    assert.deepEqual(result, { traces: 1, spanRows: 3, postponed: false }, 'only A: B is open, C still in the outbox');
    assert.deepEqual(store.ledgerRows(), { spanRows: 4, closedTraces: 1, closedTraceSpans: 3 });
    assert.equal(store.ledgerSize(), 7, 'the ledger answers for as many spans as before');
    assert.deepEqual(store.exportedSpanIds(traceA), idsOf(closed));
    assert.ok(closed.every((s) => store.hasExported(traceA, s.spanId)));
    assert.equal(store.hasExported(traceA, span('14').spanId), false, 'a span the trace never had');

    assert.deepEqual(store.enqueueSpans([...closed, ...open, ...waiting], 6000), [], 'a replay adds nothing');
    const grown = span('14', traceA);
    assert.deepEqual(idsOf(store.enqueueSpans([...closed, grown], 7000)), [grown.spanId], 'a new span of it, once');
    assert.deepEqual(store.enqueueSpans([grown], 7000), []);
    drain(store);
    assert.deepEqual(store.compactLedger(new Set([traceB]), 8000), { traces: 2, spanRows: 3, postponed: false });
    assert.deepEqual(store.ledgerRows(), { spanRows: 2, closedTraces: 2, closedTraceSpans: 6 });
    assert.deepEqual(store.exportedSpanIds(traceA), idsOf([...closed, grown]));
    assert.deepEqual(store.enqueueSpans([...closed, grown, ...waiting], 9000), []);
    store.close();
  });

  it('lists closed traces for the consistency check: compacted long enough ago, newest first, not grown since', () => {
    const store = new IngestStore(join(dir, 'closed-before.db'));
    store.enqueueSpans([span('11', traceA)], 1000);
    drain(store);
    store.compactLedger(new Set(), 5000);
    store.enqueueSpans([span('21', traceB)], 6000);
    drain(store);
    store.compactLedger(new Set(), 7000);
    assert.deepEqual(store.closedTracesBefore(6000, 10), [traceA], 'B was compacted after the cut-off');
    assert.deepEqual(store.closedTracesBefore(9000, 10), [traceB, traceA], 'newest first');
    assert.deepEqual(store.closedTracesBefore(9000, 1), [traceB]);
    store.enqueueSpans([span('12', traceA)], 8000);
    assert.deepEqual(store.closedTracesBefore(9000, 10), [traceB], 'A grew again: its new span may not be in Tempo');
    store.close();
  });

  it('leaves a trace with an id it could not pack as rows, still refused', () => {
    const store = new IngestStore(join(dir, 'compact-odd.db'));
    const odd = { ...span('1', traceA), spanId: 'not a span id' };
    store.enqueueSpans([odd], 0);
    drain(store);
    assert.deepEqual(store.compactLedger(new Set(), 0), { traces: 0, spanRows: 0, postponed: false });
    assert.deepEqual(store.ledgerRows(), { spanRows: 1, closedTraces: 0, closedTraceSpans: 0 });
    assert.deepEqual(store.enqueueSpans([odd], 0), []);
    store.close();
  });

  it('compacts nothing while the outbox is too deep to tell which traces it holds', () => {
    const store = new IngestStore(join(dir, 'compact-deep.db'));
    store.enqueueSpans([span('1', traceA)], 0);
    drain(store);
    const backlog = Array.from({ length: 50_001 }, (_, i) => span((i + 100).toString(16), traceB));
    store.transaction(() => store.enqueueSpans(backlog, 0));
    assert.deepEqual(store.compactLedger(new Set(), 0), { traces: 0, spanRows: 0, postponed: true });
    assert.equal(store.ledgerRows().closedTraces, 0);
    store.close();
  });

  it('upgrades a database of the version before compaction in place and compacts its ledger', () => {
    const path = join(dir, 'upgrade-compaction.db');
    // The schema of the version before compaction, as it created it, with history in it: a closed
    // change all exported, an open one, and a closed one whose last span waits in the outbox.
    const old = new DatabaseSync(path);
    old.exec(`
      PRAGMA journal_mode = WAL;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ledger (span_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, span TEXT NOT NULL, bytes INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letter (seq INTEGER PRIMARY KEY, span TEXT NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS open_changes (number INTEGER PRIMARY KEY, status TEXT NOT NULL, state TEXT NOT NULL, last_event_ms INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS open_changes_status ON open_changes (status);
      CREATE TABLE IF NOT EXISTS change_summary (number INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, generation INTEGER NOT NULL, attributes TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS change_summary_end ON change_summary (end_ms);
      CREATE TABLE IF NOT EXISTS change_submit (trace_id TEXT PRIMARY KEY, submitted_ms INTEGER NOT NULL) WITHOUT ROWID;
    `);
    const ledger = old.prepare('INSERT INTO ledger (span_id, trace_id, at_ms) VALUES (?, ?, ?)');
    const history = [
      ...['11', '12', '13'].map((id) => span(id, traceA)),
      ...['21', '22'].map((id) => span(id, traceB)),
      ...['31', '32'].map((id) => span(id, traceC)),
    ];
    history.forEach((s, i) => ledger.run(s.spanId, s.traceId, 100 + i));
    const queued = JSON.stringify(span('32', traceC));
    old.prepare('INSERT INTO outbox (span, bytes) VALUES (?, ?)').run(queued, queued.length);
    old.close();

    const store = new IngestStore(path);
    assert.equal(store.ledgerSize(), 7);
    assert.deepEqual(store.compactLedger(new Set([traceB]), 1000, 0), { traces: 0, spanRows: 0, postponed: false });
    assert.deepEqual(store.compactLedger(new Set([traceB]), 1000, 1), { traces: 1, spanRows: 3, postponed: false });
    assert.deepEqual(store.enqueueSpans(history, 2000), [], 'nothing of the old history is exported again');
    drain(store);
    assert.deepEqual(store.compactLedger(new Set([traceB]), 3000), { traces: 1, spanRows: 2, postponed: false });
    assert.deepEqual(store.ledgerRows(), { spanRows: 2, closedTraces: 2, closedTraceSpans: 5 });
    assert.deepEqual(store.enqueueSpans(history, 4000), []);
    assert.equal(store.ledgerSize(), 7);
    store.close();
  });

  it('drops the state of changes abandoned for good before the retention, nothing else', () => {
    const store = new IngestStore(join(dir, 'abandoned.db'));
    const abandoned = { status: 'ABANDONED', abandonedMs: 100 } as const;
    store.saveChange(1, changeState({ ...abandoned, number: 1, rootWritten: true, lastEventMs: 100 }));
    store.saveChange(2, changeState({ ...abandoned, number: 2, rootWritten: true, lastEventMs: 900 }));
    store.saveChange(3, changeState({ ...abandoned, number: 3, lastEventMs: 100 }));
    store.saveChange(4, changeState({ number: 4, status: 'NEW', lastEventMs: 100 }));
    assert.deepEqual(store.openChangeNumbers(), [3, 4], 'open or waiting for a final abandon: their traces may grow');
    assert.equal(store.dropAbandonedChanges(500), 1);
    assert.equal(store.getChange(1), undefined, 'abandoned for good, last event before the retention');
    assert.ok(store.getChange(2), 'a later event (a comment) keeps it');
    assert.ok(store.getChange(3), 'not final yet: its root is still to be written');
    assert.ok(store.getChange(4));
    store.close();
  });

  it('bounds the dead-letter table by age, then by count, oldest first', () => {
    const store = new IngestStore(join(dir, 'dead-letter.db'));
    store.enqueueSpans(
      ['1', '2', '3', '4', '5'].map((id) => span(id)),
      0,
    );
    for (const atMs of [100, 200, 300, 400, 500]) {
      store.deadLetter(store.readOutbox(1, 1e9)?.lastSeq ?? 0, `HTTP 400 at ${atMs}`, atMs);
    }
    assert.deepEqual(store.pruneDeadLetters(10, 150), { age: 1, count: 0 });
    assert.deepEqual(store.pruneDeadLetters(2, 150), { age: 0, count: 2 });
    const db = new DatabaseSync(join(dir, 'dead-letter.db'));
    const left = db.prepare('SELECT reason FROM dead_letter ORDER BY seq').all() as { reason: string }[];
    db.close();
    assert.deepEqual(
      left.map((r) => r.reason),
      ['HTTP 400 at 400', 'HTTP 400 at 500'],
    );
    assert.deepEqual(store.pruneDeadLetters(2, 150), { age: 0, count: 0 });
    store.close();
  });
});
