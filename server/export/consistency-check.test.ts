import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { SpanRecord } from '../mapping/span-record.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { TempoQueryError, TempoReader } from '../query/tempo-reader.ts';
import { IngestStore } from '../store/ingest-store.ts';
import {
  ConsistencyCheck,
  compareSpans,
  matchedSpans,
  readBackFailure,
  sample,
  traceIdFilter,
} from './consistency-check.ts';

const T = 'ab'.repeat(16);
const id = (n: number) => n.toString(16).padStart(16, '0');

describe('compareSpans', () => {
  it('finds nothing wrong when Tempo holds exactly the expected ids once', () => {
    const c = compareSpans(T, [id(1), id(2)], { spanIds: [id(2), id(1)], matched: 2, change: '7' });
    assert.deepEqual(
      { ...c },
      {
        traceId: T,
        change: '7',
        expected: 2,
        found: 2,
        missing: [],
        unexpected: [],
        doubled: 0,
        doubledSpanIds: [],
      },
    );
  });

  it('names missing and unexpected ids', () => {
    const c = compareSpans(T, [id(1), id(2), id(3)], { spanIds: [id(1), id(9)], matched: 2, change: undefined });
    assert.deepEqual(c.missing, [id(2), id(3)]);
    assert.deepEqual(c.unexpected, [id(9)]);
    assert.equal(c.found, 1);
    assert.equal(c.doubled, 0);
  });

  it('counts doubled copies from the search when the trace by id merged them', () => {
    const c = compareSpans(T, [id(1), id(2)], { spanIds: [id(1), id(2)], matched: 4, change: undefined });
    assert.equal(c.doubled, 2);
    assert.deepEqual(c.doubledSpanIds, [], 'a search count names no ids');
  });

  it('counts and names doubled copies the trace by id still shows (data in the ingester)', () => {
    const c = compareSpans(T, [id(1), id(2)], { spanIds: [id(1), id(2), id(2)], matched: 3, change: undefined });
    assert.equal(c.doubled, 1);
    assert.deepEqual(c.doubledSpanIds, [id(2)]);
  });

  it('takes a search that lags behind (fewer matches than ids) as no evidence of doubles', () => {
    const c = compareSpans(T, [id(1), id(2)], { spanIds: [id(1), id(2)], matched: 1, change: undefined });
    assert.equal(c.doubled, 0);
    const unsearched = compareSpans(T, [id(1)], { spanIds: [id(1)], matched: undefined, change: undefined });
    assert.equal(unsearched.doubled, 0);
  });

  it('reports everything missing when Tempo has no trace', () => {
    const c = compareSpans(T, [id(1)], { spanIds: [], matched: 0, change: undefined });
    assert.deepEqual(c.missing, [id(1)]);
    assert.equal(c.found, 0);
  });
});

describe('matchedSpans', () => {
  it('sums the span sets of the trace asked for, ignoring other traces', () => {
    const answer = {
      traces: [
        { traceID: T.replace(/^ab/, '00').slice(2), spanSets: [{ matched: 50 }] },
        { traceID: T, spanSet: { matched: 3 }, spanSets: [{ matched: 3 }, { matched: 2 }] },
      ],
    };
    assert.equal(matchedSpans(answer, T), 5);
    assert.equal(matchedSpans({ traces: [{ traceID: T, spanSet: { matched: 4 } }] }, T), 4, 'older answers');
    assert.equal(matchedSpans({}, T), 0);
  });

  it('restores the leading zeros Tempo drops from trace ids', () => {
    const zero = `00${'c'.repeat(30)}`;
    assert.equal(matchedSpans({ traces: [{ traceID: 'c'.repeat(30), spanSets: [{ matched: 2 }] }] }, zero), 2);
  });
});

describe('traceIdFilter', () => {
  it('asks for the id also without its leading zeros, the form Tempo 2.8 compares trace:id with', () => {
    assert.equal(traceIdFilter(T), `{ trace:id = "${T}" }`);
    const zero = `04f4${'1'.repeat(28)}`;
    assert.equal(traceIdFilter(zero), `{ trace:id = "${zero}" || trace:id = "${zero.slice(1)}" }`);
    assert.equal(traceIdFilter('0'.repeat(32)), `{ trace:id = "${'0'.repeat(32)}" || trace:id = "0" }`);
  });
});

describe('sample', () => {
  it('picks n distinct items, or all of fewer', () => {
    const items = ['a', 'b', 'c', 'd'];
    const picked = sample(items, 2, () => 0.99);
    assert.equal(new Set(picked).size, 2);
    assert.deepEqual(sample(items, 10, Math.random).sort(), items);
    assert.deepEqual(sample([], 3, Math.random), []);
  });
});

describe('readBackFailure', () => {
  it('tells an unreachable Tempo from a refused query', () => {
    assert.equal(
      readBackFailure(new TempoQueryError('cannot reach Tempo at x (tempo.queryUrl): refused')),
      'tempo_unreachable',
    );
    assert.equal(readBackFailure(new TempoQueryError('Tempo answered HTTP 400', { badQuery: true })), 'query_refused');
    assert.equal(readBackFailure(new TempoQueryError('Tempo answered HTTP 500 for /api/search')), 'tempo_error');
    assert.equal(readBackFailure(new Error('x')), 'tempo_error');
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ConsistencyCheck', () => {
  it('counts a Tempo it cannot reach, per trace, and neither throws nor counts a check', async () => {
    const store = new IngestStore(':memory:');
    const spans: SpanRecord[] = [1, 2].map((n) => ({
      traceId: n === 1 ? T : 'cd'.repeat(16),
      spanId: id(n),
      name: 'vote',
      startMs: 1,
      endMs: 2,
      status: 'unset',
      attributes: {},
    }));
    store.enqueueSpans(spans, 0);
    store.ackOutbox(store.readOutbox(100, 1e9)?.lastSeq ?? 0);
    store.compactLedger(new Set(), 1000);
    const metrics = new SidecarMetrics({ defaultMetrics: false });
    const reader = new TempoReader(`http://127.0.0.1:${await closedPort()}`, {}, 2000);
    const check = new ConsistencyCheck(store, reader, metrics, pino({ level: 'silent' }), {
      intervalMs: 0,
      sampleTraces: 5,
      minAgeMs: 500,
    });
    assert.deepEqual(await check.run(1000), { checked: [], failed: 0 }, 'nothing compacted 500 ms before');
    const run = await check.run(2000);
    assert.deepEqual(run, { checked: [], failed: 2 });
    const failures = await metrics.verifyFailures.get();
    assert.deepEqual(
      failures.values.map((v) => [v.labels.reason, v.value]),
      [['tempo_unreachable', 2]],
    );
    assert.equal((await metrics.verifyTracesChecked.get()).values[0]?.value ?? 0, 0);
    store.close();
  });
});
