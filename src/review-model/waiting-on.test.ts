import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeSummary } from './code-review-api.ts';
import { changeSummary } from './change-summary-for-tests.ts';
import { waitingQueues } from './waiting-on.ts';

const change = (over: Partial<ChangeSummary>): ChangeSummary =>
  changeSummary({ owner: 'olivia', source: 'overlay', ...over });

describe('waitingQueues', () => {
  it('puts each pending review in its reviewer’s queue and each author wait in the owner’s', () => {
    const answer = waitingQueues(
      [
        change({
          number: 1,
          waitingOn: 'reviewers',
          waitingSinceMs: 100,
          waitingOnReviewers: [
            { reviewer: 'bob', sinceMs: 100 },
            { reviewer: 'carol', sinceMs: 300 },
          ],
        }),
        change({ number: 2, waitingOn: 'reviewers', waitingOnReviewers: [{ reviewer: 'carol', sinceMs: 200 }] }),
        change({ number: 3, owner: 'dave', ownerName: 'Dave D', waitingOn: 'author', waitingSinceMs: 50 }),
        change({ number: 4, waitingOn: 'ci', waitingSinceMs: 10 }),
        change({ number: 5, status: 'MERGED' }),
      ],
      1000,
    );
    assert.equal(answer.openChanges, 4);
    assert.equal(answer.onCi, 1);
    assert.deepEqual(
      answer.people.map((p) => [p.who, p.asReviewer, p.asAuthor, p.oldestSinceMs, p.changes.map((c) => c.number)]),
      [
        ['dave', 0, 1, 50, [3]],
        ['bob', 1, 0, 100, [1]],
        ['carol', 2, 0, 200, [2, 1]],
      ],
    );
    assert.equal(answer.people[0].name, 'Dave D');
    assert.equal(answer.people[2].changes[1].role, 'reviewer');
  });

  it('answers an empty queue list when nothing is open', () => {
    assert.deepEqual(waitingQueues([change({ status: 'ABANDONED' })], 5), {
      people: [],
      openChanges: 0,
      onCi: 0,
      asOfMs: 5,
    });
  });
});
