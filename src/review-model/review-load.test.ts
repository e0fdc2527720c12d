import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeSummary } from './code-review-api.ts';
import { changeSummary } from './change-summary-for-tests.ts';
import { reviewLoad, type ReviewDone } from './review-load.ts';

const change = (number: number, over: Partial<ChangeSummary> = {}): ChangeSummary =>
  changeSummary({ number, traceId: `t${number}`, status: 'MERGED', ...over });
const review = (traceNumber: number, who: string, atMs: number): ReviewDone => ({
  traceId: `t${traceNumber}`,
  who,
  atMs,
});

describe('reviewLoad', () => {
  it('counts reviews in the range on the selected changes, and pending reviews of open ones', () => {
    const changes = [
      change(1),
      change(2),
      change(3, {
        status: 'NEW',
        waitingOn: 'reviewers',
        waitingOnReviewers: [
          { reviewer: 'bob', sinceMs: 500 },
          { reviewer: 'carol', sinceMs: 300 },
        ],
      }),
      change(4, { status: 'NEW', waitingOn: 'reviewers', waitingOnReviewers: [{ reviewer: 'bob', sinceMs: 200 }] }),
      // Waiting on its author: nobody's review is pending.
      change(5, { status: 'NEW', waitingOn: 'author', waitingSinceMs: 100 }),
    ];
    const answer = reviewLoad(
      [
        review(1, 'alice', 100),
        review(1, 'alice', 150),
        review(2, 'alice', 160),
        review(2, 'bob', 170),
        review(1, 'carol', 50), // before the range
        review(1, 'carol', 1001), // after it
        review(9, 'dave', 120), // on a change the filters did not select
      ],
      changes,
      { from: 100, to: 1000 },
      2000,
    );
    assert.deepEqual(
      answer.people.map((p) => [p.who, p.reviewsDone, p.changesReviewed, p.pending, p.oldestPendingSinceMs]),
      [
        ['alice', 3, 2, 0, undefined],
        ['bob', 1, 1, 2, 200],
        ['carol', 0, 0, 1, 300],
      ],
    );
    assert.equal(answer.reviews, 4);
    assert.equal(answer.pending, 3);
    assert.equal(answer.asOfMs, 2000);
  });

  it('answers an empty load for no changes', () => {
    assert.deepEqual(reviewLoad([review(1, 'a', 1)], [], { from: 0, to: 10 }, 5), {
      people: [],
      reviews: 0,
      pending: 0,
      asOfMs: 5,
    });
  });
});
