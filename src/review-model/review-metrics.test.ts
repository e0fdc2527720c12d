import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { changeSummary as change } from './change-summary-for-tests.ts';
import { firstReviewDistribution, headlineStats, kaplanMeierQuantile, quantile } from './review-metrics.ts';

describe('quantile', () => {
  it('interpolates between ranks', () => {
    assert.equal(quantile([], 0.5), undefined);
    assert.equal(quantile([5], 0.9), 5);
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9.1);
  });
});

describe('kaplanMeierQuantile', () => {
  const ended = (ms: number) => ({ ms, ended: true });
  const censored = (ms: number) => ({ ms, ended: false });

  it('is the empirical step quantile when every wait ended', () => {
    const waits = [40, 10, 30, 20].map(ended);
    assert.equal(kaplanMeierQuantile(waits, 0.5), 20);
    assert.equal(kaplanMeierQuantile(waits, 0.9), 40);
    assert.equal(kaplanMeierQuantile([], 0.5), undefined);
  });

  it('keeps censored waits at risk up to their time', () => {
    // S(1) = 4/5; S(3) = 4/5 · 2/3 = 0.533; S(5) = 0: the median is 5, not the 3 of the ended waits alone.
    const waits = [ended(1), censored(2), ended(3), censored(4), ended(5)];
    assert.equal(kaplanMeierQuantile(waits, 0.5), 5);
    assert.equal(
      kaplanMeierQuantile(
        waits.filter((w) => w.ended),
        0.5,
      ),
      3,
    );
  });

  it('counts a censored wait tied with an ended one as at risk at that time', () => {
    // At 10: 4 at risk, 2 end: S = 0.5.
    assert.equal(kaplanMeierQuantile([ended(10), ended(10), censored(10), censored(20)], 0.5), 10);
  });

  it('equals the step quantile of the sorted waits when none is censored, and never falls with more censoring', () => {
    const waitsArb = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(waitsArb, fc.constantFrom(0.5, 0.9), (times, q) => {
        const sorted = [...times].sort((a, b) => a - b);
        assert.equal(kaplanMeierQuantile(times.map(ended), q), sorted[Math.ceil(q * sorted.length - 1e-9) - 1]);
      }),
    );
    fc.assert(
      fc.property(waitsArb, waitsArb, (times, stillWaiting) => {
        // Censored waits at least as long as every ended one can only hold the estimate up.
        const longest = Math.max(...times);
        const withCensored = [...times.map(ended), ...stillWaiting.map((t) => censored(longest + t))];
        const a = kaplanMeierQuantile(times.map(ended), 0.5) ?? Infinity;
        const b = kaplanMeierQuantile(withCensored, 0.5) ?? Infinity;
        assert.ok(b >= a, `${b} ≥ ${a}`);
      }),
    );
  });

  it('is unknown when too many waits are unfinished', () => {
    assert.equal(kaplanMeierQuantile([ended(1), censored(5), censored(6)], 0.5), undefined);
  });
});

describe('firstReviewDistribution', () => {
  it('counts open unreviewed changes as waits so far, and closed unreviewed ones up to their close', () => {
    const d = firstReviewDistribution(
      [
        change({ status: 'MERGED', timeToFirstReviewMs: 10 }),
        change({ status: 'MERGED', timeToFirstReviewMs: 30 }),
        change({ status: 'NEW', readyMs: 900 }), // waiting 100 so far
        change({ status: 'NEW', readyMs: 980 }), // waiting 20 so far
        change({ status: 'ABANDONED', unreviewedWaitMs: 5 }),
        change({ status: 'NEW' }), // never ready (work in progress): not waiting
        change({ status: 'NEW', firstSeenMs: 500 }), // history unknown
      ],
      1000,
    );
    // Sorted: 5c, 10e, 20c, 30e, 100c. S(10) = 3/4; S(30) = 3/4 · 1/2 = 0.375.
    assert.deepEqual(d, {
      medianMs: 30,
      p90Ms: undefined,
      n: 5,
      reviewed: 2,
      waiting: 2,
      oldestWaitMs: 100,
      closedUnreviewed: 1,
      unknown: 1,
      medianAtLeastMs: undefined,
      p90AtLeastMs: 100,
    });
  });
});

describe('headlineStats', () => {
  it('summarises the filtered set, with sample sizes', () => {
    const stats = headlineStats(
      [
        change({ status: 'MERGED', timeToFirstReviewMs: 10, timeToMergeMs: 100, rounds: 1 }),
        change({ status: 'MERGED', timeToFirstReviewMs: 30, timeToMergeMs: 300, rounds: 3 }),
        change({ status: 'ABANDONED', timeToFirstReviewMs: 20, rounds: 2 }),
        change({ status: 'NEW' }),
      ],
      1000,
    );
    assert.deepEqual(stats, {
      count: 4,
      open: 1,
      merged: 2,
      abandoned: 1,
      timeToFirstReview: {
        medianMs: 20,
        p90Ms: 30,
        n: 3,
        reviewed: 3,
        waiting: 0,
        oldestWaitMs: undefined,
        closedUnreviewed: 0,
        unknown: 0,
        medianAtLeastMs: undefined,
        p90AtLeastMs: undefined,
      },
      timeToMerge: { medianMs: 200, p90Ms: 280, n: 2 },
      medianRounds: 2,
      roundsN: 3,
      abandonedShare: 1 / 3,
    });
  });

  it('leaves figures undefined when nothing qualifies', () => {
    const stats = headlineStats([change({})], 0);
    assert.equal(stats.timeToMerge.medianMs, undefined);
    assert.equal(stats.abandonedShare, undefined);
    assert.equal(stats.medianRounds, undefined);
  });
});
