import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exploreTraceUrl } from './explore-url.ts';

function panesOf(url: string) {
  const u = new URL(url, 'http://grafana.invalid');
  return { path: u.pathname, params: u.searchParams, panes: JSON.parse(u.searchParams.get('panes') ?? '{}') };
}

describe('exploreTraceUrl', () => {
  it('opens one Tempo pane with a TraceQL trace-id query over the change span', () => {
    const url = exploreTraceUrl({
      datasourceUid: 'tempo-uid',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      startMs: 1_700_000_000_000,
      endMs: 1_700_100_000_000,
      orgId: 1,
    });
    const { path, params, panes } = panesOf(url);
    assert.equal(path, '/explore');
    assert.equal(params.get('schemaVersion'), '1');
    assert.equal(params.get('orgId'), '1');
    const pane = Object.values(panes)[0] as {
      datasource: string;
      queries: Array<{ refId: string; datasource: { type: string; uid: string }; queryType: string; query: string }>;
      range: { from: string; to: string };
    };
    assert.equal(pane.datasource, 'tempo-uid');
    assert.deepEqual(pane.queries, [
      {
        refId: 'A',
        datasource: { type: 'tempo', uid: 'tempo-uid' },
        queryType: 'traceql',
        query: '0af7651916cd43dd8448eb211c80319c',
      },
    ]);
    assert.deepEqual(pane.range, {
      from: String(1_700_000_000_000 - 3_600_000),
      to: String(1_700_100_000_000 + 3_600_000),
    });
  });

  it('honours Grafana sub-paths and falls back to a relative range', () => {
    const url = exploreTraceUrl({ appSubUrl: '/grafana/', datasourceUid: 'u', traceId: 'abc' });
    const { path, params, panes } = panesOf(url);
    assert.equal(path, '/grafana/explore');
    assert.equal(params.has('orgId'), false);
    const pane = Object.values(panes)[0] as { range: { from: string; to: string } };
    assert.deepEqual(pane.range, { from: 'now-30d', to: 'now' });
  });

  it('encodes the panes JSON so it survives as one query parameter', () => {
    const url = exploreTraceUrl({ datasourceUid: 'a&b=c', traceId: 'abc' });
    assert.ok(!url.includes('"'));
    const { panes } = panesOf(url);
    assert.equal((Object.values(panes)[0] as { datasource: string }).datasource, 'a&b=c');
  });
});
