import type { TopologyTrace } from '../../server/demo/service-topology.ts';
import { GATEWAY_CLIENT_ATTR, GATEWAY_ROUTE_ATTR } from '../../server/demo/service-topology.ts';

// What the topology generator knows it produced, as edge tables keyed like the service map's edge
// ids' ends (source → target [type]): the ground truth for the service-map tests and benchmark,
// counted from the generator's own records, not from spans through the code under test.

export interface TruthEdge {
  calls: number;
  errors: number;
  traces: number;
}

function add(table: Map<string, TruthEdge & { ids: Set<string> }>, key: string, traceId: string, failed: boolean) {
  let e = table.get(key);
  if (!e) {
    e = { calls: 0, errors: 0, traces: 0, ids: new Set() };
    table.set(key, e);
  }
  e.calls += 1;
  e.errors += failed ? 1 : 0;
  e.ids.add(traceId);
  e.traces = e.ids.size;
}

function plain(table: Map<string, TruthEdge & { ids: Set<string> }>): Map<string, TruthEdge> {
  return new Map([...table].map(([k, { calls, errors, traces }]) => [k, { calls, errors, traces }]));
}

/** serviceGraph: the calls the generator made, by client, server and connection type. */
export function serviceGraphTruth(traces: TopologyTrace[]): Map<string, TruthEdge> {
  const table = new Map<string, TruthEdge & { ids: Set<string> }>();
  for (const t of traces) {
    for (const c of t.calls) {
      add(table, `${c.client} -> ${c.server} [${c.type}]`, t.traceId, c.failed);
    }
  }
  return plain(table);
}

/** parentChild by service.name: every span whose parent belongs to another service. */
export function serviceHopTruth(traces: TopologyTrace[]): Map<string, TruthEdge> {
  const table = new Map<string, TruthEdge & { ids: Set<string> }>();
  for (const t of traces) {
    const errorOf = new Map(t.spans.map((s) => [s.spanId, s.error]));
    const byId = new Map(t.spans.map((s) => [s.spanId, s]));
    for (const s of t.spans) {
      const parent = s.parentSpanId ? byId.get(s.parentSpanId) : undefined;
      if (parent && parent.service !== s.service) {
        add(table, `${parent.service} -> ${s.service} [hop]`, t.traceId, errorOf.get(s.spanId) === true);
      }
    }
  }
  return plain(table);
}

/** attributePair app.client → http.route on the gateway's server spans. */
export function clientRouteTruth(traces: TopologyTrace[]): Map<string, TruthEdge> {
  const table = new Map<string, TruthEdge & { ids: Set<string> }>();
  for (const t of traces) {
    for (const s of t.spans) {
      const from = s.attributes[GATEWAY_CLIENT_ATTR];
      const to = s.attributes[GATEWAY_ROUTE_ATTR];
      if (from !== undefined && to !== undefined) {
        add(table, `${String(from)} -> ${String(to)} [pair]`, t.traceId, s.error);
      }
    }
  }
  return plain(table);
}

/** The map's edges in the same form. */
export function edgeTable(
  edges: { source: string; target: string; type: string; stats: TruthEdge }[],
): Map<string, TruthEdge> {
  return new Map(
    edges.map((e) => [
      `${e.source} -> ${e.target} [${e.type}]`,
      { calls: e.stats.calls, errors: e.stats.errors, traces: e.stats.traces },
    ]),
  );
}

/** Both tables as sorted lines, for an assertion that shows every difference. */
export function lines(table: Map<string, TruthEdge>): string[] {
  return [...table].map(([k, v]) => `${k} calls=${v.calls} errors=${v.errors} traces=${v.traces}`).sort();
}
