import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SpanName } from '../../src/review-model/span-schema.ts';
import { parseStreamEvent, type ChangeEvent } from '../gerrit/stream-events.ts';
import { ChangeMapper, type OpenChange } from '../mapping/change-mapper.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import { createLogger } from '../observability/logger.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { IngestStore } from '../store/ingest-store.ts';
import { Ingestor } from './ingestor.ts';
import { StorageRetention } from './storage-retention.ts';

// The bounds of the database against the ingestion path itself: a real SQLite file, the real
// mapper and ingestor. What must hold: compaction and dropped state never let an old span out
// again, and a change that grows again (restored) still exports each new span exactly once.

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SERVER_ID = 'gerrit.example.com';
// In the future: a rebuild takes an abandon as final by the wall clock (Ingestor.rebuildChange), and
// these stories decide themselves when theirs become final.
const T = Date.UTC(2100, 0, 8, 9, 0, 0);
const H = 3_600_000;
const DAY = 24 * H;
const acct = (u: string) => ({ name: u.toUpperCase(), email: `${u}@example.com`, username: u });
const changeJson = (number: number, status = 'NEW') => ({
  project: 'core',
  branch: 'main',
  id: `I${number}`,
  number,
  subject: 'Fix it',
  owner: acct('olga'),
  url: `http://g/c/core/+/${number}`,
  createdOn: T / 1000,
  status,
});
const patchSet = { number: 1, revision: 'rev1', createdOn: T / 1000, uploader: acct('olga'), kind: 'REWORK' };

function event(raw: Record<string, unknown>): ChangeEvent {
  const parsed = parseStreamEvent(raw);
  assert.equal(parsed.kind, 'change');
  return (parsed as { event: ChangeEvent }).event;
}

const bobVotes = (number: number, value: number, oldValue: number, atMs: number) =>
  event({
    type: 'comment-added',
    change: changeJson(number),
    patchSet,
    author: acct('bob'),
    approvals: [{ type: 'Code-Review', value: String(value), oldValue: String(oldValue) }],
    comment: `Patch Set 1: Code-Review${value > 0 ? '+' : ''}${value}`,
    eventCreatedOn: atMs / 1000,
  });

/** A change reviewed, abandoned, and (given `restoredAtMs`) restored, voted on again and merged. */
function history(number: number, restoredAtMs?: number): { beforeRestore: ChangeEvent[]; afterRestore: ChangeEvent[] } {
  const at = (ms: number) => ms / 1000;
  const beforeRestore = [
    event({
      type: 'patchset-created',
      change: changeJson(number),
      patchSet,
      uploader: acct('olga'),
      eventCreatedOn: at(T),
    }),
    event({
      type: 'reviewer-added',
      change: changeJson(number),
      patchSet,
      reviewer: acct('bob'),
      adder: acct('olga'),
      eventCreatedOn: at(T + 1000),
    }),
    bobVotes(number, -1, 0, T + H),
    event({
      type: 'change-abandoned',
      change: changeJson(number, 'ABANDONED'),
      patchSet,
      abandoner: acct('olga'),
      reason: 'later',
      eventCreatedOn: at(T + 2 * H),
    }),
  ];
  if (restoredAtMs === undefined) {
    return { beforeRestore, afterRestore: [] };
  }
  const afterRestore = [
    event({
      type: 'change-restored',
      change: changeJson(number),
      patchSet,
      restorer: acct('olga'),
      eventCreatedOn: at(restoredAtMs),
    }),
    bobVotes(number, 2, -1, restoredAtMs + H),
    event({
      type: 'change-merged',
      change: changeJson(number, 'MERGED'),
      patchSet,
      submitter: acct('bob'),
      newRev: 'merged',
      eventCreatedOn: at(restoredAtMs + 2 * H),
    }),
  ];
  return { beforeRestore, afterRestore };
}

const newMapper = () =>
  new ChangeMapper({
    serverId: SERVER_ID,
    botPatterns: [],
    commentMaxChars: 100,
    ciLabel: 'Verified',
    abandonFinalAfterMs: DAY,
  });

/** The span ids of a history mapped from scratch, in one go: what Tempo must end up with, once each. */
function expectedSpanIds(events: ChangeEvent[]): string[] {
  const mapper = newMapper();
  let change: OpenChange | undefined;
  const spans: SpanRecord[] = [];
  for (const e of events) {
    const result = mapper.applyEvent(change, e);
    change = result.change;
    spans.push(...result.spans);
  }
  return spans.map((s) => s.spanId).sort();
}

/** A sidecar's ingestion on a real database, with the outbox read out as Tempo would accept it. */
function setup(name: string, options: { abandonedRetentionMs: number }) {
  const store = new IngestStore(join(dir, name));
  const metrics = new SidecarMetrics({ defaultMetrics: false });
  const log = createLogger('silent');
  const histories = new Map<number, ChangeEvent[]>();
  const rebuilds: number[] = [];
  const mapper = newMapper();
  const ingestor: Ingestor = new Ingestor(store, mapper, metrics, log, {
    // Gerrit's REST API: the change's history up to now, rebuilt at once.
    requestRebuild: (number) => {
      rebuilds.push(number);
      ingestor.rebuildChange(number, histories.get(number) ?? []);
      return true;
    },
  });
  const retention = new StorageRetention(
    store,
    { serverId: SERVER_ID, deadLetterMaxSpans: 100, deadLetterRetentionMs: 30 * DAY, ...options },
    metrics,
    log,
  );
  const exported: string[] = [];
  /** Tempo accepts everything in the outbox. */
  const drain = () => {
    const batch = store.readOutbox(1e6, 1e12);
    if (batch) {
      exported.push(...batch.spans.map((s) => s.spanId));
      store.ackOutbox(batch.lastSeq);
    }
  };
  /** Live events, each also becoming part of the change's REST history. */
  const live = (events: ChangeEvent[]) => {
    for (const e of events) {
      histories.set(e.change.number, [...(histories.get(e.change.number) ?? []), e]);
      ingestor.applyLive(e);
    }
  };
  return { store, metrics, ingestor, retention, exported, drain, live, histories, rebuilds };
}

describe('StorageRetention (real SQLite, real mapper and ingestor)', () => {
  it('a backfill of an old, compacted change exports nothing again', () => {
    const s = setup('backfill.db', { abandonedRetentionMs: 90 * DAY });
    const { beforeRestore, afterRestore } = history(1, T + 3 * DAY);
    const events = [...beforeRestore, ...afterRestore];
    s.ingestor.rebuildChange(1, events);
    s.drain();
    const sweep = s.retention.sweep(T + 4 * DAY);
    assert.equal(sweep.ledger.traces, 1);
    assert.deepEqual(s.store.ledgerRows(), { spanRows: 0, closedTraces: 1, closedTraceSpans: s.exported.length });

    assert.deepEqual(s.ingestor.rebuildChange(1, events), { spans: 0, open: false }, 'a later backfill');
    assert.equal(s.store.outboxDepth().spans, 0);
    assert.deepEqual([...s.exported].sort(), expectedSpanIds(events), 'every span once');
  });

  it('a change restored after its compacted final abandon exports exactly its new spans, once', () => {
    const s = setup('restore-kept.db', { abandonedRetentionMs: 90 * DAY });
    const { beforeRestore, afterRestore } = history(2, T + 3 * DAY);
    s.live(beforeRestore);
    assert.equal(s.ingestor.finalizeAbandonedChanges(T + 2 * DAY), 1, 'the abandon became final: root written');
    s.drain();
    const exportedAtAbandon = s.exported.length;
    assert.equal(s.retention.sweep(T + 2 * DAY).ledger.traces, 1, 'abandoned for good and exported: compacted');
    assert.equal(s.store.ledgerRows().spanRows, 0);
    assert.ok(s.store.getChange(2), 'the state stays within the retention, so the restore continues it');

    const rebuildsBefore = s.rebuilds.length;
    s.live(afterRestore.slice(0, 1));
    assert.equal(s.rebuilds.length, rebuildsBefore, 'the restore continued the kept state, without REST');
    s.live(afterRestore.slice(1));
    s.drain();
    const all = [...beforeRestore, ...afterRestore];
    assert.deepEqual([...s.exported].sort(), expectedSpanIds(all), 'each span once: old ones not again, new ones all');
    const newSpans = s.exported.slice(exportedAtAbandon);
    assert.ok(newSpans.length >= 4, 'restore, vote, patch set of generation 2, submit, root change/2');
    s.retention.sweep(T + 6 * DAY);
    assert.deepEqual(s.store.ledgerRows(), { spanRows: 0, closedTraces: 1, closedTraceSpans: s.exported.length });
    assert.deepEqual(s.ingestor.rebuildChange(2, all).spans, 0, 'and a backfill afterwards adds nothing');
  });

  it('a very late restore, after the abandoned state was dropped, is rebuilt from REST and exports exactly its new spans', () => {
    const s = setup('restore-late.db', { abandonedRetentionMs: 90 * DAY });
    const restoredAtMs = T + 400 * DAY;
    const { beforeRestore, afterRestore } = history(3, restoredAtMs);
    s.live(beforeRestore);
    s.ingestor.finalizeAbandonedChanges(T + 2 * DAY);
    s.drain();
    const sweep = s.retention.sweep(T + 100 * DAY);
    assert.equal(sweep.abandonedDropped, 1);
    assert.equal(s.store.getChange(3), undefined, 'dropped 90 days after its last event');
    assert.equal(s.store.ledgerRows().spanRows, 0);
    const rebuildsBefore = s.rebuilds.length;

    s.live(afterRestore);
    s.drain();
    assert.equal(s.rebuilds[rebuildsBefore], 3, 'the restore of an unknown change went to REST');
    assert.deepEqual(
      [...s.exported].sort(),
      expectedSpanIds([...beforeRestore, ...afterRestore]),
      'nothing old again, every new span once',
    );
    const roots = s.exported.filter((id) => id === expectedRootIds(3)[0] || id === expectedRootIds(3)[1]);
    assert.equal(roots.length, 2, 'the root of the abandon and the root of the merge (generation 2)');
  });

  it('keeps the state of abandoned changes forever with a retention of 0', () => {
    const s = setup('restore-forever.db', { abandonedRetentionMs: 0 });
    s.live(history(4).beforeRestore);
    s.ingestor.finalizeAbandonedChanges(T + 2 * DAY);
    assert.equal(s.retention.sweep(T + 10_000 * DAY).abandonedDropped, 0);
    assert.ok(s.store.getChange(4));
  });

  it('leaves open and pending-abandon changes uncompacted, and counts what it drops', async () => {
    const s = setup('metrics.db', { abandonedRetentionMs: 90 * DAY });
    s.live(history(5).beforeRestore.slice(0, 3)); // open
    s.live(history(6).beforeRestore); // abandoned, not final yet
    s.drain();
    assert.equal(s.retention.sweep(T + 3 * H).ledger.traces, 0, 'both traces can still grow by their own course');
    s.store.enqueueSpans(
      Array.from({ length: 3 }, (_, i) => ({ ...deadSpan, spanId: `00000000000000f${i}` })),
      T,
    );
    for (let i = 0; i < 3; i += 1) {
      s.store.deadLetter(s.store.readOutbox(1, 1e9)?.lastSeq ?? 0, 'HTTP 400', T + i * DAY);
    }
    const sweep = s.retention.sweep(T + 30 * DAY + DAY / 2);
    assert.deepEqual(sweep.deadLettersDropped, { age: 1, count: 0 });
    const dropped = await s.metrics.deadLetterDropped.get();
    assert.deepEqual(
      dropped.values.map((v) => [v.labels.reason, v.value]),
      [['age', 1]],
    );
    assert.equal((await s.metrics.deadLetterSpans.get()).values[0]?.value, 2);
    const rows = await s.metrics.ledgerRows.get();
    assert.deepEqual(Object.fromEntries(rows.values.map((v) => [v.labels.table, v.value])), {
      ledger: s.store.ledgerRows().spanRows,
      closed_traces: 1,
    });
    assert.equal(s.store.ledgerRows().closedTraces, 1, 'the dead letters trace: out of the outbox, closed');
  });
});

const deadSpan: SpanRecord = {
  traceId: 'd'.repeat(32),
  spanId: '',
  name: SpanName.vote,
  startMs: T,
  endMs: T + 1,
  status: 'unset',
  attributes: {},
};

function expectedRootIds(number: number): string[] {
  const mapper = newMapper();
  const { beforeRestore, afterRestore } = history(number, T + 400 * DAY);
  let change: OpenChange | undefined;
  const roots: string[] = [];
  for (const e of [...beforeRestore, ...afterRestore]) {
    const result = mapper.applyEvent(change, e);
    change = result.change;
    roots.push(...result.spans.filter((sp) => sp.name === SpanName.change).map((sp) => sp.spanId));
  }
  return roots;
}
