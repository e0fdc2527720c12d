import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_URL_STATE,
  clearFilters,
  hasFilters,
  nextSort,
  parseUrlState,
  serializeUrlState,
  type CodeReviewUrlState,
} from './url-state.ts';

describe('parseUrlState', () => {
  it('gives the defaults for an empty query', () => {
    assert.deepEqual(parseUrlState(''), { ...DEFAULT_URL_STATE });
  });

  it('reads repeated parameters, flags, sort and the open change', () => {
    const s = parseUrlState(
      '?from=now-30d&to=now&project=a&project=b&project=a&branch=main&owner=alice&reviewer=bob&reviewer=carol' +
        '&status=merged&includeBots=true&sort=timeToFirstReview&dir=asc&change=1234&orgId=1',
    );
    assert.deepEqual(s, {
      from: 'now-30d',
      to: 'now',
      project: ['a', 'b'],
      branch: ['main'],
      owner: ['alice'],
      reviewer: ['bob', 'carol'],
      status: 'merged',
      includeBots: true,
      sort: 'timeToFirstReview',
      dir: 'asc',
      change: 1234,
    });
  });

  it('falls back to the default for invalid values', () => {
    const s = parseUrlState('status=stuck&sort=drop table&dir=up&change=-3&includeBots=maybe&project=&from=');
    assert.equal(s.status, 'all');
    assert.equal(s.sort, 'created');
    assert.equal(s.dir, 'desc');
    assert.equal(s.change, undefined);
    assert.equal(s.includeBots, false);
    assert.deepEqual(s.project, []);
    assert.equal(s.from, 'now-7d');
    assert.equal(parseUrlState('change=12abc').change, undefined);
    // Refreshing every second would hammer Tempo: only the picker's intervals are read.
    assert.equal(parseUrlState('refresh=1s').refresh, undefined);
    assert.equal(parseUrlState('timezone=').timezone, undefined);
  });
});

describe('serializeUrlState', () => {
  it('round-trips', () => {
    const state: CodeReviewUrlState = {
      from: '1700000000000',
      to: '1700600000000',
      project: ['platform/core', 'a&b'],
      branch: [],
      owner: ['alice@example.com'],
      reviewer: [],
      status: 'open',
      includeBots: true,
      sort: 'number',
      dir: 'asc',
      change: 42,
      timezone: 'Asia/Kolkata',
      refresh: '5m',
    };
    const qs = serializeUrlState(state);
    assert.deepEqual(parseUrlState(qs), state);
    assert.match(qs, /project=platform%2Fcore&project=a%26b/);
  });

  it('leaves out defaults but always names the range', () => {
    assert.equal(serializeUrlState({ ...DEFAULT_URL_STATE }), 'from=now-7d&to=now');
  });

  it('keeps parameters it does not own and drops its stale ones', () => {
    const qs = serializeUrlState({ ...DEFAULT_URL_STATE, project: ['x'] }, '?orgId=1&project=old&change=5&kiosk');
    const params = new URLSearchParams(qs);
    assert.equal(params.get('orgId'), '1');
    assert.equal(params.has('kiosk'), true);
    assert.deepEqual(params.getAll('project'), ['x']);
    assert.equal(params.has('change'), false);
  });
});

describe('filters and sorting', () => {
  it('knows whether filters are set and clears them', () => {
    const s = { ...DEFAULT_URL_STATE, owner: ['a'], status: 'open' as const, change: 3 };
    assert.equal(hasFilters({ ...DEFAULT_URL_STATE }), false);
    assert.equal(hasFilters(s), true);
    const cleared = clearFilters(s);
    assert.equal(hasFilters(cleared), false);
    assert.equal(cleared.change, 3);
  });

  it('flips the direction on the same column and starts text columns ascending', () => {
    assert.deepEqual(nextSort({ sort: 'created', dir: 'desc' }, 'created'), { sort: 'created', dir: 'asc' });
    assert.deepEqual(nextSort({ sort: 'created', dir: 'desc' }, 'subject'), { sort: 'subject', dir: 'asc' });
    assert.deepEqual(nextSort({ sort: 'subject', dir: 'asc' }, 'timeToMergeOrAge'), {
      sort: 'timeToMergeOrAge',
      dir: 'desc',
    });
  });
});
