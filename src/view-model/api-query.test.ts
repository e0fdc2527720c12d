import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  pageRange,
  pageTimeZone,
  PAGE_SIZE,
  changeDetailUrl,
  changeListPageUrl,
  changeListQuery,
  changeListSearch,
  changeListUrl,
  configPagePath,
  pagesToLoad,
  sidecarStatusUrl,
} from './api-query.ts';
import { DEFAULT_URL_STATE } from './url-state.ts';

describe('changeListQuery and changeListSearch', () => {
  it('sends only the range and sort for the default state', () => {
    const q = changeListQuery({ ...DEFAULT_URL_STATE }, { from: 1000, to: 2000 });
    assert.deepEqual(q, { from: 1000, to: 2000, sort: 'created', dir: 'desc' });
    assert.equal(changeListSearch(q), 'from=1000&to=2000&sort=created&dir=desc');
  });

  it('repeats list parameters and adds filters and paging', () => {
    const q = changeListQuery(
      {
        ...DEFAULT_URL_STATE,
        project: ['a', 'b/c'],
        reviewer: ['r1'],
        status: 'open',
        includeBots: true,
        sort: 'number',
        dir: 'asc',
      },
      { from: 1000.7, to: 2000.2 },
    );
    const search = changeListSearch({ ...q, offset: 500, limit: PAGE_SIZE });
    assert.equal(
      search,
      'from=1000&to=2001&project=a&project=b%2Fc&reviewer=r1&status=open&includeBots=true&sort=number&dir=asc&offset=500&limit=500',
    );
    const params = new URLSearchParams(search);
    assert.deepEqual(params.getAll('project'), ['a', 'b/c']);
  });

  it('builds proxy URLs', () => {
    assert.equal(
      changeListUrl({ from: 1, to: 2 }),
      '/api/plugin-proxy/reviewtrace-codereview-app/sidecar/api/changes?from=1&to=2',
    );
    assert.equal(
      changeListPageUrl('from=1&to=2&project=a&project=b', 2),
      '/api/plugin-proxy/reviewtrace-codereview-app/sidecar/api/changes?from=1&to=2&project=a&project=b&offset=1000&limit=500',
    );
    assert.equal(changeDetailUrl(1234), '/api/plugin-proxy/reviewtrace-codereview-app/sidecar/api/changes/1234');
    assert.equal(sidecarStatusUrl(), '/api/plugin-proxy/reviewtrace-codereview-app/sidecar/api/status');
    assert.equal(configPagePath('/grafana'), '/grafana/plugins/reviewtrace-codereview-app');
  });
});

describe('pageRange', () => {
  const now = Date.UTC(2026, 10, 21, 12, 0, 0);
  it('resolves the URL range against the given time', () => {
    assert.deepEqual(pageRange({ ...DEFAULT_URL_STATE, from: 'now-2d', to: 'now' }, now, 'utc'), {
      from: now - 2 * 86_400_000,
      to: now,
      readable: true,
    });
  });
  it('stands in the default range for one it cannot read, and says so', () => {
    const fallback = pageRange({ ...DEFAULT_URL_STATE, from: 'yesterday-ish', to: 'now' }, now, 'utc');
    const expected = pageRange(DEFAULT_URL_STATE, now, 'utc');
    assert.deepEqual(fallback, { ...expected, readable: false });
    assert.ok(expected.readable && expected.to === now && expected.from < now);
  });
  it("resolves in the page's time zone: the one chosen, else the user's", () => {
    const today = { ...DEFAULT_URL_STATE, from: 'now/d', to: 'now' };
    assert.equal(pageTimeZone(today, 'Asia/Kolkata'), 'Asia/Kolkata');
    assert.equal(pageTimeZone({ ...today, timezone: 'utc' }, 'Asia/Kolkata'), 'utc');
    assert.equal(pageTimeZone(today, ''), 'browser');
    assert.equal(pageRange(today, now, 'Asia/Kolkata').from, Date.UTC(2026, 10, 20, 18, 30));
  });
});

describe('pagesToLoad', () => {
  it('returns the pages covering a row range that are not loaded yet', () => {
    assert.deepEqual(pagesToLoad(0, 40, 5000, new Set()), [0]);
    assert.deepEqual(pagesToLoad(480, 520, 5000, new Set([0])), [1]);
    assert.deepEqual(pagesToLoad(480, 1020, 5000, new Set()), [0, 1, 2]);
    assert.deepEqual(pagesToLoad(4990, 5100, 5000, new Set()), [9]);
  });
  it('returns nothing for empty lists or loaded pages', () => {
    assert.deepEqual(pagesToLoad(0, 10, 0, new Set()), []);
    assert.deepEqual(pagesToLoad(10, 5, 100, new Set()), []);
    assert.deepEqual(pagesToLoad(0, 10, 100, new Set([0])), []);
  });
});
