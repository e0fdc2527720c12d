import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServiceMap, databaseName, type MapEdge, type MapSpan, type ServiceMap } from './service-map.ts';

let next = 0;
const id = () => (next += 1).toString(16).padStart(16, '0');

function span(service: string, kind: MapSpan['kind'], parent?: MapSpan, extra: Partial<MapSpan> = {}): MapSpan {
  return {
    traceId: parent?.traceId ?? 't1',
    spanId: id(),
    parentSpanId: parent?.spanId,
    service,
    kind,
    error: false,
    startMs: 0,
    durationMs: 10,
    attributes: {},
    ...extra,
  };
}

const HOUR = 3_600_000;
const graph = (spans: MapSpan[]): ServiceMap => buildServiceMap(spans, { strategy: 'serviceGraph', rangeMs: HOUR });
const edges = (m: ServiceMap) =>
  m.edges.map((e) => `${e.source} -> ${e.target} [${e.type}] calls=${e.stats.calls} errors=${e.stats.errors}`).sort();
const edge = (m: ServiceMap, source: string, target: string): MapEdge | undefined =>
  m.edges.find((e) => e.source === source && e.target === target);

describe('service map: service graph (Tempo metrics-generator semantics)', () => {
  it('pairs a client span with its server child into one edge, keeping client and server latency apart', () => {
    const root = span('gateway', 'server', undefined, { durationMs: 100 });
    const c = span('gateway', 'client', root, { durationMs: 40 });
    const s = span('users', 'server', c, { durationMs: 30 });
    const m = graph([root, c, s]);
    assert.deepEqual(edges(m), [
      'gateway -> users [] calls=1 errors=0',
      'user -> gateway [virtual_node] calls=1 errors=0',
    ]);
    const e = edge(m, 'gateway', 'users');
    assert.deepEqual([e?.stats.p50Ms, e?.stats.serverP50Ms], [40, 30]);
  });

  it('marks an edge failed when either side has status error', () => {
    const root = span('a', 'server');
    const c1 = span('a', 'client', root, { error: true });
    const s1 = span('b', 'server', c1);
    const c2 = span('a', 'client', root);
    const s2 = span('b', 'server', c2, { error: true });
    const c3 = span('a', 'client', root);
    const s3 = span('b', 'server', c3);
    const e = edge(graph([root, c1, s1, c2, s2, c3, s3]), 'a', 'b');
    assert.deepEqual([e?.stats.calls, e?.stats.errors, e?.stats.errorShare], [3, 2, 2 / 3]);
  });

  it('makes a database edge from a client span with db.system or db.name at once, named by precedence', () => {
    assert.equal(databaseName({ 'db.system': 'postgresql', 'peer.service': 'pg', 'server.address': 'h' }), 'pg');
    assert.equal(databaseName({ 'db.system': 'postgresql', 'server.address': 'db-host' }), 'db-host');
    assert.equal(
      databaseName({ 'db.system': 'redis', 'network.peer.address': '10.0.0.5', 'network.peer.port': 6379 }),
      '10.0.0.5:6379',
    );
    assert.equal(databaseName({ 'db.system': 'redis', 'network.peer.address': '10.0.0.5' }), '10.0.0.5');
    assert.equal(databaseName({ 'db.name': 'accounts' }), 'accounts');
    assert.equal(databaseName({ 'server.address': 'not-a-db' }), undefined);
    const root = span('orders', 'server');
    const db = span('orders', 'client', root, { attributes: { 'db.system': 'postgresql', 'db.name': 'orders' } });
    const m = graph([root, db]);
    assert.equal(edge(m, 'orders', 'orders')?.type, 'database');
    assert.equal(m.nodes.find((n) => n.id === 'orders')?.kind, 'service', 'the service keeps its kind');
  });

  it('gives a root server span a user client, and drops an unpaired server span that has a parent', () => {
    const root = span('gateway', 'server');
    const orphan = span('worker', 'server', undefined, { parentSpanId: 'ffffffffffffffff' });
    assert.deepEqual(edges(graph([root, orphan])), ['user -> gateway [virtual_node] calls=1 errors=0']);
  });

  it('turns an unpaired client span with a peer attribute into an edge to a virtual node, and drops one without', () => {
    const root = span('payments', 'server');
    const out = span('payments', 'client', root, { attributes: { 'peer.service': 'stripe-api' }, error: true });
    const lost = span('payments', 'client', root, { attributes: { 'server.address': 'nowhere' } });
    const m = graph([root, out, lost]);
    assert.deepEqual(edges(m), [
      'payments -> stripe-api [virtual_node] calls=1 errors=1',
      'user -> payments [virtual_node] calls=1 errors=0',
    ]);
    assert.equal(m.nodes.find((n) => n.id === 'stripe-api')?.kind, 'external');
  });

  it('makes producer → consumer a messaging edge', () => {
    const root = span('orders', 'server');
    const p = span('orders', 'producer', root);
    const c = span('shipping', 'consumer', p);
    assert.equal(edge(graph([root, p, c]), 'orders', 'shipping')?.type, 'messaging_system');
  });

  it('counts a span found twice (two searches, two slices) once', () => {
    const root = span('a', 'server');
    assert.equal(edge(graph([root, { ...root }]), 'user', 'a')?.stats.calls, 1);
  });

  it('rates and percentiles: calls per second of the range; p50/p95 over every call, not a mean of means', () => {
    const spans: MapSpan[] = [];
    for (let i = 1; i <= 100; i += 1) {
      spans.push(span('a', 'server', undefined, { traceId: `t${i}`, durationMs: i }));
    }
    const e = edge(graph(spans), 'user', 'a');
    assert.deepEqual(
      [e?.stats.calls, e?.stats.traces, e?.stats.serverP50Ms, e?.stats.serverP95Ms],
      [100, 100, 50.5, 95.05],
    );
    assert.equal(e?.stats.ratePerSec, 100 / 3600);
  });

  it('keeps the busiest nodes within the limit and says what it cut', () => {
    const spans: MapSpan[] = [];
    for (const [service, n] of [
      ['big', 5],
      ['mid', 3],
      ['small', 1],
    ] as const) {
      for (let i = 0; i < n; i += 1) {
        spans.push(span(service, 'server', undefined, { traceId: `${service}${i}` }));
      }
    }
    const m = buildServiceMap(spans, { strategy: 'serviceGraph', rangeMs: HOUR, nodeLimit: 3 });
    assert.deepEqual(
      m.nodes.map((n) => n.id),
      ['user', 'big', 'mid'],
    );
    assert.deepEqual(m.truncated, { nodes: 1, edges: 1 });
  });
});

describe('service map: parent → child by tag', () => {
  it('links each value to the nearest ancestor value, counting calls and traces apart', () => {
    const t1root = span('gw', 'server', undefined, { traceId: 'x' });
    const t1internal = span('gw', 'internal', t1root);
    const t1child = span('db-proxy', 'client', t1internal);
    const t1child2 = span('db-proxy', 'client', t1internal);
    const m = buildServiceMap([t1root, t1internal, t1child, t1child2], {
      strategy: 'parentChild',
      tag: 'service.name',
      rangeMs: HOUR,
    });
    const e = edge(m, 'gw', 'db-proxy');
    assert.deepEqual([e?.stats.calls, e?.stats.traces], [2, 1], 'two calls in one trace: the trace counts once');
    assert.equal(m.edges.length, 1, 'no self edge gw → gw');
  });

  it('passes values the regex filters out through to their parent, and can add a node for the tag', () => {
    const root = span('gw', 'server');
    const hidden = span('sidecar-proxy', 'client', root);
    const leaf = span('users', 'server', hidden);
    const m = buildServiceMap([root, hidden, leaf], {
      strategy: 'parentChild',
      tag: 'service.name',
      valueFilter: /^(gw|users)$/,
      tagNode: true,
      rangeMs: HOUR,
    });
    assert.deepEqual(edges(m), [
      'gw -> users [hop] calls=1 errors=0',
      'service.name (tag) -> gw [hop] calls=1 errors=0',
    ]);
  });

  it('groups by a span attribute too', () => {
    const root = span('gw', 'server', undefined, { attributes: { team: 'edge' } });
    const child = span('users', 'server', root, { attributes: { team: 'identity' } });
    const m = buildServiceMap([root, child], { strategy: 'parentChild', tag: 'team', rangeMs: HOUR });
    assert.deepEqual(edges(m), ['edge -> identity [hop] calls=1 errors=0']);
  });
});

describe('service map: attribute pair', () => {
  it('links attribute A to attribute B of the same span; the latency is the span duration', () => {
    const review = (owner: string, reviewer: string, durationMs: number, traceId: string) =>
      span('gerrit', 'internal', undefined, {
        traceId,
        name: 'review',
        durationMs,
        attributes: { 'gerrit.owner': owner, 'gerrit.reviewer': reviewer },
      });
    const m = buildServiceMap(
      [
        review('olga', 'alice', 10, 'a'),
        review('olga', 'alice', 30, 'b'),
        review('alice', 'olga', 5, 'c'),
        review('bob', 'bob', 1, 'd'),
      ],
      { strategy: 'attributePair', from: 'gerrit.owner', to: 'gerrit.reviewer', rangeMs: HOUR },
    );
    assert.deepEqual(edges(m), ['alice -> olga [pair] calls=1 errors=0', 'olga -> alice [pair] calls=2 errors=0']);
    assert.equal(edge(m, 'olga', 'alice')?.stats.p50Ms, 20);
    assert.equal(m.nodes.length, 2, 'one node per person, whatever the side; no self edge');
  });
});
