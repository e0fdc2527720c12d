import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CODE_REVIEW_QUICK_RANGES,
  isRelative,
  resolveRange,
  resolveTime,
  shiftRange,
  zoomOutRange,
} from './time-range.ts';

const now = Date.UTC(2026, 10, 18, 15, 42, 10, 500); // a Wednesday
const H = 3_600_000;
const D = 24 * H;

describe('resolveTime', () => {
  it('reads epoch milliseconds and dates in the time zone', () => {
    assert.equal(resolveTime('1700000000000', now), 1700000000000);
    assert.equal(resolveTime('2026-01-02T03:04:05Z', now, false, 'utc'), Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(resolveTime('2026-01-02 03:04:05', now, false, 'Asia/Kolkata'), Date.UTC(2026, 0, 1, 21, 34, 5));
    assert.equal(resolveTime('yesterday-ish', now, false, 'utc'), undefined);
  });

  it('adds and subtracts units from now, months and days by the calendar', () => {
    assert.equal(resolveTime('now', now, false, 'utc'), now);
    assert.equal(resolveTime('now-7d', now, false, 'utc'), now - 7 * D);
    assert.equal(resolveTime('now-24h', now, false, 'utc'), now - 24 * H);
    assert.equal(resolveTime('now-90m', now, false, 'utc'), now - 90 * 60_000);
    assert.equal(resolveTime('now+1h', now, false, 'utc'), now + H);
    assert.equal(resolveTime('now-1M', now, false, 'utc'), Date.UTC(2026, 9, 18, 15, 42, 10, 500));
    assert.equal(resolveTime('now-1y', now, false, 'utc'), Date.UTC(2025, 10, 18, 15, 42, 10, 500));
    // Across the end of daylight saving time in New York (1 November), a day is 25 hours.
    assert.equal(resolveTime('now-30d', now, false, 'America/New_York'), now - 30 * D - H);
    assert.equal(resolveTime('now-x', now, false, 'utc'), undefined);
    assert.equal(resolveTime('now-7q', now, false, 'utc'), undefined);
  });

  it('rounds to the start of a unit where the user is, or to its end for the end of a range', () => {
    assert.equal(resolveTime('now/d', now, false, 'utc'), Date.UTC(2026, 10, 18));
    assert.equal(resolveTime('now/d', now, true, 'utc'), Date.UTC(2026, 10, 19) - 1);
    assert.equal(resolveTime('now-1d/d', now, false, 'utc'), Date.UTC(2026, 10, 17));
    assert.equal(resolveTime('now/M', now, false, 'utc'), Date.UTC(2026, 10, 1));
    assert.equal(resolveTime('now/y', now, true, 'utc'), Date.UTC(2027, 0, 1) - 1);
    // Midnight in Kolkata (UTC+5:30) and in New York (UTC-5 in November).
    assert.equal(resolveTime('now/d', now, false, 'Asia/Kolkata'), Date.UTC(2026, 10, 17, 18, 30));
    assert.equal(resolveTime('now/d', now, false, 'America/New_York'), Date.UTC(2026, 10, 18, 5));
  });
});

describe('resolveRange', () => {
  it('resolves both ends and rejects empty ranges', () => {
    assert.deepEqual(resolveRange('now-7d', 'now', now, 'utc'), { from: now - 7 * D, to: now });
    assert.deepEqual(resolveRange('now/d', 'now/d', now, 'Asia/Kolkata'), {
      from: Date.UTC(2026, 10, 17, 18, 30),
      to: Date.UTC(2026, 10, 18, 18, 30) - 1,
    });
    assert.equal(resolveRange('now', 'now-7d', now, 'utc'), undefined);
    assert.equal(resolveRange('bad', 'now', now, 'utc'), undefined);
  });
  it('knows relative expressions', () => {
    assert.equal(isRelative('now-7d'), true);
    assert.equal(isRelative('1700000000000'), false);
  });
});

describe('zoomOutRange', () => {
  it('doubles a past range around its centre', () => {
    assert.deepEqual(zoomOutRange({ from: now - 10 * D, to: now - 8 * D }, now), {
      from: now - 11 * D,
      to: now - 7 * D,
    });
  });
  it('keeps a range that ends now ending now', () => {
    assert.deepEqual(zoomOutRange({ from: now - 7 * D, to: now }, now), { from: now - 14 * D, to: now });
  });
});

describe('shiftRange', () => {
  it('moves half the range back or forth', () => {
    const r = { from: now - 10 * D, to: now - 6 * D };
    assert.deepEqual(shiftRange(r, -1, now), { from: now - 12 * D, to: now - 8 * D });
    assert.deepEqual(shiftRange(r, 1, now), { from: now - 8 * D, to: now - 4 * D });
  });
  it('stops at now when moving forward', () => {
    assert.deepEqual(shiftRange({ from: now - 8 * D, to: now - D }, 1, now), { from: now - 7 * D, to: now });
    assert.deepEqual(shiftRange({ from: now - 7 * D, to: now }, 1, now), { from: now - 7 * D, to: now });
  });
});

describe('CODE_REVIEW_QUICK_RANGES', () => {
  it('all resolve to ranges of at least a day that end by now', () => {
    for (const q of CODE_REVIEW_QUICK_RANGES) {
      const r = resolveRange(q.from, q.to, now, 'utc');
      assert.ok(r, q.display);
      assert.ok(r.to <= now && r.to - r.from >= 15 * H, q.display);
    }
  });
});
