process.env.TZ = 'UTC';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRelative, resolveRange, resolveTime } from './time-range.ts';

const now = Date.UTC(2026, 10, 18, 15, 42, 10, 500); // a Wednesday
const H = 3_600_000;
const D = 24 * H;

describe('resolveTime', () => {
  it('reads epoch milliseconds and ISO dates', () => {
    assert.equal(resolveTime('1700000000000', now), 1700000000000);
    assert.equal(resolveTime('2026-01-02T03:04:05Z', now), Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(resolveTime('yesterday-ish', now), undefined);
  });

  it('adds and subtracts units from now', () => {
    assert.equal(resolveTime('now', now), now);
    assert.equal(resolveTime('now-7d', now), now - 7 * D);
    assert.equal(resolveTime('now-24h', now), now - 24 * H);
    assert.equal(resolveTime('now-90m', now), now - 90 * 60_000);
    assert.equal(resolveTime('now+1h', now), now + H);
    assert.equal(resolveTime('now-1M', now), Date.UTC(2026, 9, 18, 15, 42, 10, 500));
    assert.equal(resolveTime('now-1y', now), Date.UTC(2025, 10, 18, 15, 42, 10, 500));
    assert.equal(resolveTime('now-x', now), undefined);
    assert.equal(resolveTime('now-7q', now), undefined);
  });

  it('rounds to the start of a unit, or to its end for the end of a range', () => {
    assert.equal(resolveTime('now/d', now), Date.UTC(2026, 10, 18));
    assert.equal(resolveTime('now/d', now, true), Date.UTC(2026, 10, 19) - 1);
    assert.equal(resolveTime('now-1d/d', now), Date.UTC(2026, 10, 17));
    assert.equal(resolveTime('now/w', now), Date.UTC(2026, 10, 16)); // Monday
    assert.equal(resolveTime('now/M', now), Date.UTC(2026, 10, 1));
    assert.equal(resolveTime('now/y', now, true), Date.UTC(2027, 0, 1) - 1);
  });
});

describe('resolveRange', () => {
  it('resolves both ends and rejects empty ranges', () => {
    assert.deepEqual(resolveRange('now-7d', 'now', now), { from: now - 7 * D, to: now });
    assert.equal(resolveRange('now', 'now-7d', now), undefined);
    assert.equal(resolveRange('bad', 'now', now), undefined);
  });
  it('knows relative expressions', () => {
    assert.equal(isRelative('now-7d'), true);
    assert.equal(isRelative('1700000000000'), false);
  });
});
