import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { Attr } from '../../src/review-model/span-schema.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import { IngestStore } from './ingest-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const traceOf = (n: number) => n.toString(16).padStart(32, '0');

/** A root span as the mapper writes it (more attributes than the index keeps). */
function rootSpan(
  n: number,
  startMs: number,
  endMs: number,
  over: Record<string, SpanRecord['attributes'][string]> = {},
  spanKey = 'change',
): SpanRecord {
  return {
    traceId: traceOf(n),
    spanId: `${spanKey}-${n}`.padStart(16, '0'),
    name: 'change',
    startMs,
    endMs,
    status: 'ok',
    attributes: {
      [Attr.changeNumber]: String(n),
      [Attr.changeStatus]: 'MERGED',
      [Attr.project]: 'core',
      [Attr.owner]: 'alice',
      [Attr.reviewersJson]: '["bob"]',
      [Attr.reviewers]: ['bob'],
      [Attr.topic]: 'not listed',
      [Attr.timeToFirstReviewMs]: 60_000,
      ...over,
    },
  };
}

const submitSpan = (n: number, atMs: number): SpanRecord => ({
  traceId: traceOf(n),
  spanId: `submit-${n}`.padStart(16, '0'),
  name: 'submit',
  startMs: atMs,
  endMs: atMs + 1,
  status: 'unset',
  attributes: {},
});

const numbers = (store: IngestStore, from: number, to: number) =>
  store
    .indexedRoots(from, to)
    .map((r) => Number(r.attributes[Attr.changeNumber]))
    .sort((a, b) => a - b);

describe('change index (real SQLite file)', () => {
  it('needs a rebuild in a new database until one is recorded, across reopenings', () => {
    const path = join(dir, 'state.db');
    let store = new IngestStore(path);
    assert.equal(store.changeIndexState().state, 'rebuilding');
    store.setChangeIndexState({ state: 'ready', builtAtMs: 5 });
    store.close();
    store = new IngestStore(path);
    assert.deepEqual(store.changeIndexState(), { state: 'ready', builtAtMs: 5 });
    store.close();
  });

  it('indexes a root when it is queued for export, cut to what a Tempo search returns; a span id already exported changes nothing', () => {
    const store = new IngestStore(join(dir, 'enqueue.db'));
    store.enqueueSpans([rootSpan(7, 1000, 9000), submitSpan(7, 9000)], 0);
    const [row] = store.indexedRoots(0, 10_000);
    assert.deepEqual(row, {
      traceId: traceOf(7),
      startMs: 1000,
      endMs: 9000,
      attributes: {
        [Attr.changeNumber]: '7',
        [Attr.changeStatus]: 'MERGED',
        [Attr.project]: 'core',
        [Attr.owner]: 'alice',
        [Attr.reviewersJson]: '["bob"]',
        [Attr.timeToFirstReviewMs]: 60_000,
      },
      submittedMs: 9000,
    });
    // Tempo keeps the first copy of a span id; a replay with other values is not exported, nor indexed.
    store.enqueueSpans([rootSpan(7, 1000, 9500, { [Attr.changeStatus]: 'ABANDONED' })], 0);
    assert.equal(store.indexedRoots(0, 10_000)[0].attributes[Attr.changeStatus], 'MERGED');
    assert.equal(store.indexedChangeCount(), 1);
    store.close();
  });

  it('keeps the latest root of a change: a later generation, else the one that ends later', () => {
    const store = new IngestStore(join(dir, 'generations.db'));
    assert.equal(store.hasLaterGenerationRoots(), false);
    store.indexSpan(rootSpan(3, 1000, 5000, { [Attr.changeStatus]: 'ABANDONED' }));
    store.indexSpan(rootSpan(3, 1000, 20_000, { [Attr.rootGeneration]: 2 }, 'change/2'));
    assert.equal(store.hasLaterGenerationRoots(), true, 'the Tempo path then searches for later roots too');
    // A rebuild's search may hand back the first root (without its generation) after the second.
    store.indexSpan(rootSpan(3, 1000, 30_000, { [Attr.changeStatus]: 'ABANDONED' }));
    assert.equal(store.indexedRoots(0, 1e9)[0].endMs, 20_000);
    store.indexSpan(rootSpan(4, 1000, 5000));
    store.indexSpan(rootSpan(4, 1000, 4000, { [Attr.changeStatus]: 'ABANDONED' }));
    store.indexSpan(rootSpan(4, 1000, 6000, { [Attr.changeStatus]: 'ABANDONED' }));
    const four = store.indexedRoots(0, 1e9).find((r) => r.attributes[Attr.changeNumber] === '4');
    assert.deepEqual([four?.endMs, four?.attributes[Attr.changeStatus]], [6000, 'ABANDONED']);
    store.indexSpan(rootSpan(Number.NaN, 0, 1));
    assert.equal(store.indexedChangeCount(), 2, 'a root without a change number is not indexed');
    store.close();
  });

  it('answers the closed changes whose life overlaps the range, and prunes the ones closed before the retention', () => {
    const store = new IngestStore(join(dir, 'range.db'));
    store.transaction(() => {
      store.indexSpan(rootSpan(1, 100, 199)); // closed before the range
      store.indexSpan(rootSpan(2, 100, 200)); // closed at its start
      store.indexSpan(rootSpan(3, 250, 260)); // inside
      store.indexSpan(rootSpan(4, 100, 900)); // across it
      store.indexSpan(rootSpan(5, 300, 400)); // created at its end
      store.indexSpan(rootSpan(6, 301, 400)); // created after it
      store.indexSpan(submitSpan(2, 150));
    });
    assert.deepEqual(numbers(store, 200, 300), [2, 3, 4, 5]);
    assert.equal(store.pruneIndex(260), 2, 'changes 1 and 2 closed before 260');
    assert.deepEqual(numbers(store, 0, 1000), [3, 4, 5, 6]);
    store.indexSpan(rootSpan(2, 100, 270));
    assert.equal(store.indexedRoots(0, 1000).find((r) => r.traceId === traceOf(2))?.submittedMs, undefined);
    store.close();
  });

  it('indexes the roots still in the outbox of a database from before the index', () => {
    const path = join(dir, 'upgrade.db');
    // The tables of the version before the index, with one root and one vote waiting for Tempo.
    const old = new DatabaseSync(path);
    old.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE ledger (span_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, span TEXT NOT NULL, bytes INTEGER NOT NULL);
    `);
    const insert = old.prepare('INSERT INTO outbox (span, bytes) VALUES (?, 1)');
    insert.run(JSON.stringify(rootSpan(11, 1000, 2000)));
    insert.run(JSON.stringify({ ...submitSpan(11, 2000), name: 'vote' }));
    old.prepare("INSERT INTO meta (key, value) VALUES ('watermark_ms', '2000')").run();
    old.close();
    const store = new IngestStore(path);
    assert.equal(store.changeIndexState().state, 'rebuilding');
    assert.equal(store.indexedChangeCount(), 0);
    assert.equal(store.indexOutbox(), 1);
    assert.deepEqual(numbers(store, 0, 5000), [11]);
    assert.equal(store.outboxDepth().spans, 2, 'the outbox itself is left as it was');
    store.close();
  });

  it('answers from memory after the first read: with its own writes, those of another process, not those rolled back', () => {
    const path = join(dir, 'cache.db');
    const sidecar = new IngestStore(path);
    const backfill = new IngestStore(path);
    sidecar.indexSpan(rootSpan(1, 100, 200, { [Attr.changeStatus]: 'ABANDONED' }));
    assert.deepEqual(numbers(sidecar, 0, 1000), [1]);
    sidecar.indexSpan(rootSpan(2, 100, 200));
    sidecar.indexSpan(submitSpan(1, 300));
    assert.deepEqual(numbers(sidecar, 0, 1000), [1, 2]);
    assert.equal(sidecar.indexedRoots(0, 1000).find((r) => r.traceId === traceOf(1))?.submittedMs, 300);
    backfill.indexSpan(rootSpan(3, 100, 200));
    assert.deepEqual(numbers(sidecar, 0, 1000), [1, 2, 3], 'a write of another connection is read');
    assert.throws(() =>
      sidecar.transaction(() => {
        sidecar.indexSpan(rootSpan(4, 100, 200));
        throw new Error('boom');
      }),
    );
    assert.deepEqual(numbers(sidecar, 0, 1000), [1, 2, 3], 'a rolled-back root is not served');
    backfill.close();
    sidecar.close();
  });
});
