import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SpanRecord } from '../mapping/span-record.ts';
import { IngestStore } from './ingest-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const span = (id: string): SpanRecord => ({
  traceId: 'a'.repeat(32),
  spanId: id.padStart(16, '0'),
  name: 'vote',
  startMs: 1,
  endMs: 2,
  status: 'unset',
  attributes: { k: id },
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
    store.enqueueSpans(['1', '2', '3', '4', '5'].map(span), 0);
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
    const change = {
      number: 5,
      project: 'p',
      branch: 'b',
      createdMs: 1,
      status: 'NEW' as const,
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
      lastEventMs: 1,
    };
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
});
