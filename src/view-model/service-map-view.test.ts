import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MapEdge, MapNode } from '../review-model/service-map.ts';
import {
  DEFAULT_PANEL_OPTIONS,
  EDGE_WIDTH,
  drawable,
  health,
  legendEntries,
  neighbourhood,
  panelQuery,
  reviewGraphQuery,
  serviceMapUrl,
} from './service-map-view.ts';
import { spanSetFilterProblem } from '../review-model/traceql-filter.ts';

const node = (id: string, count: number, errors = 0): MapNode => ({
  id,
  title: id,
  kind: 'service',
  stats: { count, ratePerSec: count / 60, errors, errorShare: count ? errors / count : 0 },
});
const edge = (source: string, target: string, calls: number, errors = 0): MapEdge => ({
  id: `${source}>${target}`,
  source,
  target,
  type: '',
  stats: { calls, traces: calls, errors, errorShare: errors / calls, ratePerSec: calls / 60 },
});

describe('service-map panel view', () => {
  it('turns options into the query: variables replaced, each strategy its own parameters', () => {
    const q = panelQuery(
      {
        ...DEFAULT_PANEL_OPTIONS,
        strategy: 'parentChild',
        filter: '{ resource.service.namespace = "$ns" }',
        valueRegex: '^$svc',
      },
      { from: 1000.4, to: 2000.6 },
      (t) => t.replace('$ns', 'shop').replace('$svc', 'api'),
    );
    assert.deepEqual(q, {
      from: 1000,
      to: 2001,
      strategy: 'parentChild',
      filter: '{ resource.service.namespace = "shop" }',
      tag: 'service.name',
      valueRegex: '^api',
      nodeLimit: 200,
    });
    const pair = panelQuery({ ...DEFAULT_PANEL_OPTIONS, strategy: 'attributePair' }, { from: 0, to: 1 });
    assert.deepEqual(
      [pair.fromAttribute, pair.toAttribute, pair.filter],
      ['gerrit.owner', 'gerrit.reviewer', undefined],
    );
    assert.equal(
      serviceMapUrl(pair),
      '/api/plugin-proxy/reviewtrace-codereview-app/sidecar/api/servicemap?from=0&to=1&strategy=attributePair&fromAttribute=gerrit.owner&toAttribute=gerrit.reviewer&nodeLimit=200',
    );
  });

  it('draws edges wider with traffic (log scale) and colours by error thresholds', () => {
    const { nodes, edges } = drawable(
      { nodes: [node('a', 100), node('b', 10, 1), node('c', 1)], edges: [edge('a', 'b', 1000), edge('a', 'c', 1, 1)] },
      DEFAULT_PANEL_OPTIONS,
    );
    assert.deepEqual(
      edges.map((e) => e.width),
      [EDGE_WIDTH.max, EDGE_WIDTH.min + ((EDGE_WIDTH.max - EDGE_WIDTH.min) * Math.log1p(1)) / Math.log1p(1000)],
    );
    assert.deepEqual(
      nodes.map((n) => [n.id, n.health, n.weight]),
      [
        ['a', 'ok', 1],
        ['b', 'bad', 0.1],
        ['c', 'ok', 0.01],
      ],
    );
    assert.equal(health(0.02, DEFAULT_PANEL_OPTIONS), 'warn');
    assert.deepEqual(
      legendEntries(nodes, DEFAULT_PANEL_OPTIONS).health.map((h) => h.label),
      ['errors < 1 %', 'errors ≥ 1 %', 'errors ≥ 5 %'],
    );
  });

  it('focuses a node with everything up- and downstream of it, not its siblings', () => {
    const edges = [
      edge('user', 'gw', 1),
      edge('gw', 'a', 1),
      edge('a', 'db', 1),
      edge('gw', 'b', 1),
      edge('x', 'y', 1),
    ];
    assert.deepEqual([...neighbourhood(edges, 'a')].sort(), ['a', 'db', 'gw', 'user']);
    assert.deepEqual([...neighbourhood(edges, 'x')].sort(), ['x', 'y']);
  });

  it("turns the Code Review page's filters into a filter on review spans", () => {
    const q = reviewGraphQuery(
      { project: ['a', 'b"c'], branch: [], owner: ['olga'], reviewer: [] },
      { from: 1, to: 2 },
    );
    assert.equal(
      q.filter,
      '{ name = "review" && (span.gerrit.project = "a" || span.gerrit.project = "b\\"c") && (span.gerrit.owner = "olga") }',
    );
    assert.equal(spanSetFilterProblem(q.filter ?? ''), undefined);
    assert.deepEqual(
      [q.strategy, q.fromAttribute, q.toAttribute],
      ['attributePair', 'gerrit.owner', 'gerrit.reviewer'],
    );
  });
});
