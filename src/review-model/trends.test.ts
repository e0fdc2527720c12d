import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeSummary } from './code-review-api.ts';
import { changeSummary } from './change-summary-for-tests.ts';
import { bucketStart, reviewTrends } from './trends.ts';

const DAY = 86_400_000;
const MONDAY = Date.UTC(2026, 10, 2); // 2026-11-02 was a Monday

const change = (over: Partial<ChangeSummary>): ChangeSummary => changeSummary({ status: 'MERGED', rounds: 1, ...over });

describe('reviewTrends', () => {
  it('starts weeks on Monday, 00:00 UTC', () => {
    assert.equal(bucketStart(MONDAY + 6 * DAY + 1, 'week'), MONDAY);
    assert.equal(bucketStart(MONDAY - 1, 'week'), MONDAY - 7 * DAY);
    assert.equal(bucketStart(MONDAY + 36 * 3_600_000, 'day'), MONDAY + DAY);
  });

  it('buckets by week for long ranges: first review by creation (waits counted), merge and rounds by merge', () => {
    const t = reviewTrends(
      [
        change({
          number: 1,
          createdMs: MONDAY + DAY,
          closedMs: MONDAY + 8 * DAY,
          timeToFirstReviewMs: 60_000,
          timeToMergeMs: 7 * DAY,
          rounds: 2,
        }),
        change({ number: 2, status: 'NEW', createdMs: MONDAY + 2 * DAY, readyMs: MONDAY + 2 * DAY }),
        change({
          number: 3,
          createdMs: MONDAY + 9 * DAY,
          closedMs: MONDAY + 10 * DAY,
          timeToFirstReviewMs: 120_000,
          timeToMergeMs: DAY,
          rounds: 1,
        }),
      ],
      { from: MONDAY, to: MONDAY + 20 * DAY },
      MONDAY + 21 * DAY,
    );
    assert.equal(t.bucket, 'week');
    assert.deepEqual(
      t.buckets.map((b) => [b.startMs, b.created, b.merged]),
      [
        [MONDAY, 2, 0],
        [MONDAY + 7 * DAY, 1, 2],
        [MONDAY + 14 * DAY, 0, 0],
      ],
    );
    // Week 1: a wait that ended at 1 min and one still going for 19 days: the median is 1 min (S = 1/2).
    assert.deepEqual(t.buckets[0].timeToFirstReview, {
      medianMs: 60_000,
      medianAtLeastMs: undefined,
      n: 2,
      waiting: 1,
    });
    assert.deepEqual(t.buckets[1].timeToMerge, { medianMs: 4 * DAY, n: 2 });
    assert.deepEqual(t.buckets[1].rounds, { median: 1.5, n: 2 });
    assert.deepEqual(t.buckets[2].timeToFirstReview, {
      medianMs: undefined,
      medianAtLeastMs: undefined,
      n: 0,
      waiting: 0,
    });
  });

  it('buckets by day for ranges up to two weeks', () => {
    assert.equal(reviewTrends([], { from: MONDAY, to: MONDAY + 3 * DAY }, MONDAY).buckets.length, 4);
  });
});
