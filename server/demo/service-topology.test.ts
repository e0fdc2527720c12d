import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildServiceMap, type MapSpan } from '../../src/review-model/service-map.ts';
import {
  clientRouteTruth,
  edgeTable,
  lines,
  serviceGraphTruth,
  serviceHopTruth,
} from '../../test/support/topology-truth.ts';
import { GATEWAY_CLIENT_ATTR, GATEWAY_ROUTE_ATTR, topologyTraces } from './service-topology.ts';

const traces = [...topologyTraces({ seed: 3, traces: 400, startMs: 0, endMs: 3_600_000 })];
const spans: MapSpan[] = traces.flatMap((t) =>
  t.spans.map((s) => ({
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    service: s.service,
    name: s.name,
    kind: s.kind,
    error: s.error,
    startMs: s.startMs,
    durationMs: s.endMs - s.startMs,
    attributes: s.attributes,
  })),
);

describe('demo topology', () => {
  it('has what a service map must show: 13 services, databases, a queue, an external peer, errors, a lost call', () => {
    const services = new Set(traces.flatMap((t) => t.spans.map((s) => s.service)));
    assert.ok(services.size >= 12, `${services.size} services`);
    const types = new Set(traces.flatMap((t) => t.calls.map((c) => c.type)));
    assert.deepEqual([...types].sort(), ['', 'database', 'messaging_system', 'virtual_node']);
    assert.ok(traces.some((t) => t.calls.some((c) => c.server === 'stripe-api')));
    assert.ok(traces.some((t) => t.calls.some((c) => c.failed)));
    assert.ok(
      traces.some((t) => t.spans.some((s) => s.kind === 'client' && s.name === 'GET /related' && s.error)),
      'a client span whose server side never arrives',
    );
    const ids = (seed: number) =>
      [...topologyTraces({ seed, traces: 5, startMs: 0, endMs: 1000 })].map((t) => t.traceId);
    assert.deepEqual(ids(3), ids(3), 'the same seed, the same traces');
    assert.notDeepEqual(ids(3), ids(4));
  });

  it('gives, through the aggregator, exactly the edges the generator knows it made (all three strategies)', () => {
    const rangeMs = 3_600_000;
    assert.deepEqual(
      lines(edgeTable(buildServiceMap(spans, { strategy: 'serviceGraph', rangeMs }).edges)),
      lines(serviceGraphTruth(traces)),
    );
    assert.deepEqual(
      lines(edgeTable(buildServiceMap(spans, { strategy: 'parentChild', tag: 'service.name', rangeMs }).edges)),
      lines(serviceHopTruth(traces)),
    );
    assert.deepEqual(
      lines(
        edgeTable(
          buildServiceMap(spans, {
            strategy: 'attributePair',
            from: GATEWAY_CLIENT_ATTR,
            to: GATEWAY_ROUTE_ATTR,
            rangeMs,
          }).edges,
        ),
      ),
      lines(clientRouteTruth(traces)),
    );
  });
});
