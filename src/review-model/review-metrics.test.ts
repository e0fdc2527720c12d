import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeSummary } from './code-review-api.ts';
import { headlineStats, quantile } from './review-metrics.ts';

const change = (over: Partial<ChangeSummary>): ChangeSummary => ({
  number: 1,
  subject: 's',
  project: 'p',
  branch: 'main',
  owner: 'o',
  ownerIsBot: false,
  status: 'NEW',
  wip: false,
  createdMs: 0,
  patchSets: 1,
  rounds: 0,
  reviewers: [],
  traceId: 't',
  source: 'tempo',
  ...over,
});

describe('quantile', () => {
  it('interpolates between ranks', () => {
    assert.equal(quantile([], 0.5), undefined);
    assert.equal(quantile([5], 0.9), 5);
    assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
    assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9.1);
  });
});

describe('headlineStats', () => {
  it('summarises the filtered set', () => {
    const stats = headlineStats([
      change({ status: 'MERGED', timeToFirstReviewMs: 10, timeToMergeMs: 100, rounds: 1 }),
      change({ status: 'MERGED', timeToFirstReviewMs: 30, timeToMergeMs: 300, rounds: 3 }),
      change({ status: 'ABANDONED', timeToFirstReviewMs: 20, rounds: 2 }),
      change({ status: 'NEW' }),
    ]);
    assert.deepEqual(stats, {
      count: 4,
      open: 1,
      merged: 2,
      abandoned: 1,
      timeToFirstReview: { medianMs: 20, p90Ms: 28 },
      timeToMerge: { medianMs: 200, p90Ms: 280 },
      medianRounds: 2,
      abandonedShare: 1 / 3,
    });
  });

  it('leaves figures undefined when nothing qualifies', () => {
    const stats = headlineStats([change({})]);
    assert.equal(stats.timeToMerge.medianMs, undefined);
    assert.equal(stats.abandonedShare, undefined);
    assert.equal(stats.medianRounds, undefined);
  });
});
