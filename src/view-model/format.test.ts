process.env.TZ = 'UTC';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NO_VALUE,
  firstReviewNote,
  firstReviewText,
  formatCount,
  formatEstimate,
  formatDateTime,
  formatDuration,
  formatRounds,
  formatShare,
  mergeOrAgeMs,
  statusLabel,
  waitingText,
} from './format.ts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('formatDuration', () => {
  it('uses at most two units, seconds only below an hour', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(400), '<1s');
    assert.equal(formatDuration(45 * S), '45s');
    assert.equal(formatDuration(12 * M), '12m');
    assert.equal(formatDuration(M + 30 * S), '1m 30s');
    assert.equal(formatDuration(3 * H + 20 * M + 59 * S), '3h 20m');
    assert.equal(formatDuration(5 * H), '5h');
    assert.equal(formatDuration(2 * D + 4 * H + 5 * M), '2d 4h');
    assert.equal(formatDuration(40 * D + 4 * H), '40d');
    assert.equal(formatDuration(-90 * M), '-1h 30m');
  });
  it('shows a dash for no value', () => {
    assert.equal(formatDuration(undefined), NO_VALUE);
    assert.equal(formatDuration(null), NO_VALUE);
    assert.equal(formatDuration(Number.NaN), NO_VALUE);
  });
});

describe('formatShare, formatCount, formatRounds', () => {
  it('formats shares as percentages', () => {
    assert.equal(formatShare(0), '0%');
    assert.equal(formatShare(0.045), '4.5%');
    assert.equal(formatShare(0.1234), '12%');
    assert.equal(formatShare(1), '100%');
    assert.equal(formatShare(undefined), NO_VALUE);
  });
  it('formats counts and rounds', () => {
    assert.equal(formatCount(5000), '5,000');
    assert.equal(formatCount(undefined), NO_VALUE);
    assert.equal(formatRounds(2), '2');
    assert.equal(formatRounds(1.55), '1.6');
    assert.equal(formatRounds(undefined), NO_VALUE);
  });
});

describe('formatDateTime and statusLabel', () => {
  it("formats minutes in the time zone, by default the browser's", () => {
    assert.equal(formatDateTime(Date.UTC(2026, 2, 4, 9, 5, 59)), '2026-03-04 09:05');
    assert.equal(formatDateTime(Date.UTC(2026, 2, 4, 9, 5, 59), 'Asia/Kolkata'), '2026-03-04 14:35');
    assert.equal(formatDateTime(Date.UTC(2026, 2, 4, 2, 5), 'America/New_York'), '2026-03-03 21:05');
    assert.equal(formatDateTime(undefined), NO_VALUE);
  });
  it('names statuses', () => {
    assert.equal(statusLabel('NEW'), 'Open');
    assert.equal(statusLabel('NEW', true), 'WIP');
    assert.equal(statusLabel('MERGED'), 'Merged');
    assert.equal(statusLabel('ABANDONED'), 'Abandoned');
    assert.equal(statusLabel('DELETED'), 'Deleted');
  });
});

describe('mergeOrAgeMs', () => {
  const now = 10 * D;
  it('is the age of an open change', () => {
    assert.deepEqual(mergeOrAgeMs({ status: 'NEW', createdMs: now - 3 * H }, now), { ms: 3 * H, kind: 'age' });
  });
  it('is the time to merge of a merged change, from its close time when the metric is missing', () => {
    assert.deepEqual(mergeOrAgeMs({ status: 'MERGED', createdMs: 0, timeToMergeMs: 5 * H }, now), {
      ms: 5 * H,
      kind: 'merge',
    });
    assert.deepEqual(mergeOrAgeMs({ status: 'MERGED', createdMs: D, closedMs: 2 * D }, now), { ms: D, kind: 'merge' });
  });
  it('is empty for abandoned changes', () => {
    assert.deepEqual(mergeOrAgeMs({ status: 'ABANDONED', createdMs: 0, closedMs: D }, now), {
      ms: undefined,
      kind: 'closed',
    });
  });
});

describe('waitingText, firstReviewText, formatEstimate, firstReviewNote', () => {
  const DAY = 86_400_000;
  it('names whom an open change waits on and for how long', () => {
    const now = 10 * DAY;
    assert.equal(
      waitingText(
        {
          status: 'NEW',
          waitingOn: 'reviewers',
          waitingSinceMs: 7 * DAY,
          waitingOnReviewers: [
            { reviewer: 'bob', sinceMs: 7 * DAY },
            { reviewer: 'carol', sinceMs: 8 * DAY },
          ],
        },
        now,
      ).text,
      'bob, carol · 3d',
    );
    assert.equal(
      waitingText({ status: 'NEW', waitingOn: 'author', waitingSinceMs: now - 2 * 3_600_000 }, now).text,
      'author · 2h',
    );
    assert.equal(waitingText({ status: 'MERGED' }, now).text, '–');
  });

  it('shows a change still waiting for its first review as a lower bound', () => {
    assert.deepEqual(firstReviewText({ status: 'NEW', readyMs: 0 }, 48 * DAY), {
      text: '> 48d',
      waiting: true,
      title: 'No review yet: ready for 48d',
    });
    assert.equal(firstReviewText({ status: 'MERGED', timeToFirstReviewMs: 60_000 }, 0).text, '1m');
    assert.equal(firstReviewText({ status: 'ABANDONED' }, 0).text, '–');
    assert.equal(formatEstimate(undefined, 3 * DAY), '> 3d');
    assert.equal(formatEstimate(DAY, undefined), '1d');
  });

  it('gives the sample size and the unfinished waits', () => {
    assert.equal(
      firstReviewNote({
        n: 120,
        reviewed: 90,
        waiting: 27,
        oldestWaitMs: 48 * DAY,
        closedUnreviewed: 3,
        unknown: 0,
      }),
      'n = 120 · 27 not yet reviewed, oldest 48d · 3 closed unreviewed',
    );
  });
});
