import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamEvent, type ChangeEvent } from '../gerrit/stream-events.ts';
import { createLogger } from '../observability/logger.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { ChangeRebuilds, retryDelayMs, type ChangeRebuildLimits } from './change-rebuilds.ts';

const comment = (change: number, sec: number): ChangeEvent => {
  const r = parseStreamEvent({
    type: 'comment-added',
    change: { number: change, project: 'p', branch: 'main' },
    patchSet: { number: 1 },
    author: { username: 'alice' },
    approvals: [],
    comment: `note ${sec}`,
    eventCreatedOn: sec,
  });
  assert.equal(r.kind, 'change');
  return (r as { event: ChangeEvent }).event;
};

/** A REST read the test ends by hand: resolve(), or fail(err). */
interface Read {
  change: number;
  resolve: () => void;
  fail: (err: Error) => void;
}

class GoneError extends Error {}

function setUp(limits: Partial<ChangeRebuildLimits> = {}, onApply?: (event: ChangeEvent) => void) {
  const reads: Read[] = [];
  const applied: { change: number; sec: number; trigger: boolean }[] = [];
  const persisted: number[][] = [];
  const metrics = new SidecarMetrics({ defaultMetrics: false });
  const rebuilds = new ChangeRebuilds(
    { maxHeldPerChange: 100, maxHeld: 1000, retryInitialMs: 1, retryMaxMs: 4, maxConcurrentReads: 8, ...limits },
    {
      rebuild: (change) =>
        new Promise<void>((resolve, reject) => {
          reads.push({ change, resolve, fail: reject });
        }),
      apply: (event, trigger) => {
        onApply?.(event);
        applied.push({ change: event.change.number, sec: event.timeMs / 1000, trigger });
      },
      retryable: (err) => !(err instanceof GoneError),
      reason: (err) => (err instanceof GoneError ? 'http_4xx' : 'timeout'),
      persist: (numbers) => persisted.push(numbers),
      metrics,
      log: createLogger('silent'),
    },
  );
  return { rebuilds, reads, applied, persisted, metrics };
}

const settle = () => new Promise((r) => setImmediate(r));
const counter = async (c: { get(): Promise<{ values: { value: number; labels: object }[] }> }, labels = {}) =>
  (await c.get()).values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !probe(); i += 1) {
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.ok(probe(), what);
}

describe('ChangeRebuilds', () => {
  it('holds only the events of the change being read, and applies them in order after the read', async () => {
    const { rebuilds, reads, applied, persisted, metrics } = setUp();
    rebuilds.request(1, comment(1, 10));
    rebuilds.hold(comment(1, 11));
    rebuilds.hold(comment(2, 12)); // not waiting: nothing to hold
    assert.deepEqual([rebuilds.has(1), rebuilds.has(2)], [true, false]);
    assert.deepEqual(
      reads.map((r) => r.change),
      [1],
    );
    assert.equal(rebuilds.status().heldEvents, 2);
    assert.equal((await metrics.heldEvents.get()).values[0].value, 2);
    assert.equal((await metrics.changesAwaitingRebuild.get()).values[0].value, 1);
    assert.deepEqual(persisted.at(-1), [1]);
    assert.equal(applied.length, 0);
    reads[0].resolve();
    await settle();
    assert.deepEqual(applied, [
      { change: 1, sec: 10, trigger: true },
      { change: 1, sec: 11, trigger: false },
    ]);
    assert.deepEqual([rebuilds.has(1), rebuilds.status().heldEvents], [false, 0]);
    assert.deepEqual(persisted.at(-1), []);
  });

  it('drops beyond a bound with a counted reason, and reads the change once more after the running read', async () => {
    const { rebuilds, reads, applied, metrics } = setUp({ maxHeldPerChange: 2, maxHeld: 3 });
    rebuilds.request(1, comment(1, 10));
    rebuilds.hold(comment(1, 11));
    rebuilds.hold(comment(1, 12)); // third for change 1
    rebuilds.request(2, comment(2, 13));
    rebuilds.request(3, comment(3, 14)); // fourth overall
    assert.equal(await counter(metrics.heldEventsDropped, { reason: 'change_limit' }), 1);
    assert.equal(await counter(metrics.heldEventsDropped, { reason: 'total_limit' }), 1);
    assert.ok(rebuilds.has(3), 'the change whose event was dropped is still rebuilt');
    reads[0].resolve();
    await settle();
    assert.deepEqual(
      reads.map((r) => r.change),
      [1, 2, 3, 1],
      'change 1 is read again: its dropped event may be newer than the first read',
    );
    assert.equal(applied.length, 0, 'its events still wait for that second read');
    reads[3].resolve();
    await settle();
    assert.deepEqual(
      applied.map((a) => a.sec),
      [10, 11],
    );
  });

  it('retries a failed read with backoff while the events wait, and says so in its status and metrics', async () => {
    // A backoff long enough that the status below is read before the retry starts.
    const { rebuilds, reads, applied, metrics } = setUp({ retryInitialMs: 200, retryMaxMs: 200 });
    rebuilds.request(1, comment(1, 10));
    reads[0].fail(new Error('no answer within 30000 ms'));
    await settle();
    assert.deepEqual(
      { ...rebuilds.status(), failingSinceMs: typeof rebuilds.status().failingSinceMs },
      {
        changes: 1,
        reading: 0,
        failing: 1,
        heldEvents: 1,
        lastError: 'no answer within 30000 ms',
        failingSinceMs: 'number',
      },
    );
    assert.equal(await counter(metrics.reconcileFailures, { kind: 'change', reason: 'timeout' }), 1);
    rebuilds.hold(comment(1, 11));
    await until('a retry', () => reads.length === 2);
    reads[1].resolve();
    await settle();
    assert.deepEqual(
      applied.map((a) => a.sec),
      [10, 11],
    );
    assert.deepEqual([rebuilds.status().changes, rebuilds.status().failing], [0, 0]);
  });

  it('applies the events as they came when the change is gone, and stops retrying after stop()', async () => {
    const gone = setUp();
    gone.rebuilds.request(1, comment(1, 10));
    gone.reads[0].fail(new GoneError('HTTP 404'));
    await settle();
    assert.deepEqual(gone.applied, [{ change: 1, sec: 10, trigger: true }]);
    assert.equal(await counter(gone.metrics.reconcileFailures, { kind: 'change', reason: 'http_4xx' }), 1);

    const stopped = setUp({ retryInitialMs: 20, retryMaxMs: 20 });
    stopped.rebuilds.request(1, comment(1, 10));
    stopped.reads[0].fail(new Error('down'));
    await settle();
    stopped.rebuilds.stop();
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(stopped.reads.length, 1, 'no retry after stop');
  });

  it('hands later events to a rebuild that an applied event started, in order', async () => {
    // As the sidecar does: applying an event may ask for another rebuild of its change.
    const { rebuilds, reads, applied } = setUp({}, (event) => {
      if (event.timeMs === 11_000) {
        rebuilds.request(event.change.number);
      }
    });
    rebuilds.request(1, comment(1, 10));
    rebuilds.hold(comment(1, 11));
    rebuilds.hold(comment(1, 12));
    reads[0].resolve();
    await settle();
    assert.deepEqual(
      applied.map((a) => a.sec),
      [10, 11],
    );
    assert.equal(rebuilds.status().heldEvents, 1, 'event 12 waits for the second read');
    reads[1].resolve();
    await settle();
    assert.deepEqual(
      applied.map((a) => a.sec),
      [10, 11, 12],
    );
  });

  it('reads at most maxConcurrentReads histories at once; the others wait their turn with their events held', async () => {
    const { rebuilds, reads, applied } = setUp({ maxConcurrentReads: 2 });
    for (const change of [1, 2, 3, 4, 5]) {
      rebuilds.request(change, comment(change, change * 10));
    }
    rebuilds.hold(comment(5, 51));
    assert.deepEqual(
      reads.map((r) => r.change),
      [1, 2],
    );
    assert.deepEqual([rebuilds.status().changes, rebuilds.status().reading, rebuilds.status().heldEvents], [5, 2, 6]);
    assert.ok(
      [3, 4, 5].every((n) => rebuilds.has(n)),
      'a change waiting for a read holds its events',
    );
    reads[1].resolve();
    await until('change 3 is read once change 2 is done', () => reads.length === 3);
    assert.equal(reads[2].change, 3);
    reads[0].fail(new Error('timeout'));
    await until('change 4 takes the slot of the failed read', () => reads.length === 4);
    assert.equal(reads[3].change, 4);
    // Change 1 retries after its backoff, behind change 5 (requested before the retry was due).
    reads[2].resolve();
    reads[3].resolve();
    await until('change 5 and the retry of change 1 are read', () => reads.length === 6);
    assert.deepEqual(
      reads.slice(4).map((r) => r.change),
      [5, 1],
    );
    assert.ok(rebuilds.status().reading <= 2);
    reads[4].resolve();
    reads[5].resolve();
    await until('every change is released', () => rebuilds.status().changes === 0);
    assert.deepEqual(
      applied.map((a) => a.sec),
      [20, 30, 40, 50, 51, 10],
    );
  });

  it('doubles the retry delay up to its maximum', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 60].map((n) => retryDelayMs(n, 5_000, 30_000)),
      [5_000, 10_000, 20_000, 30_000, 30_000, 30_000],
    );
  });
});
