import { quantile } from './review-metrics.ts';

// The service map: nodes and edges aggregated from the spans of one Tempo search. Pure and
// framework-free: the sidecar builds maps with it, the panel draws what it returns. Three ways to
// make edges (docs/service-map.md):
//   serviceGraph   - Tempo's metrics-generator service-graphs semantics: a client (or producer) span
//                    and its server (or consumer) child form one edge between their services;
//   parentChild    - parent → child by any tag (default service.name), a regex filter on values;
//   attributePair  - attribute A → attribute B of the same span (owner → reviewer on reviews).

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal' | 'unspecified';

/** One span of a search result, as the aggregator needs it (see parseSearchSpans). */
export interface MapSpan {
  traceId: string;
  spanId: string;
  /** Undefined for a root span. */
  parentSpanId?: string;
  /** `resource.service.name`. */
  service?: string;
  name?: string;
  kind: SpanKindName;
  error: boolean;
  startMs: number;
  durationMs: number;
  attributes: Record<string, string | number | boolean>;
}

export type Strategy = 'serviceGraph' | 'parentChild' | 'attributePair';

export type NodeKind = 'service' | 'database' | 'user' | 'external' | 'value' | 'tag';

/** Tempo's connection types for serviceGraph edges; `hop` and `pair` for the other strategies. */
export type EdgeType = '' | 'database' | 'messaging_system' | 'virtual_node' | 'hop' | 'pair';

export interface NodeStats {
  /** Requests the node handled (serviceGraph), or spans with the node's value (the others). */
  count: number;
  ratePerSec: number;
  errors: number;
  errorShare: number;
  p50Ms?: number;
  p95Ms?: number;
}

export interface EdgeStats {
  calls: number;
  /** Distinct traces with at least one such call: each trace counts once per edge. */
  traces: number;
  errors: number;
  errorShare: number;
  ratePerSec: number;
  /** Client-side latency (serviceGraph), else the child's or the span's duration. */
  p50Ms?: number;
  p95Ms?: number;
  /** serviceGraph only: the server side's latency, kept apart from the client's. */
  serverP50Ms?: number;
  serverP95Ms?: number;
}

export interface MapNode {
  id: string;
  title: string;
  kind: NodeKind;
  stats: NodeStats;
}

export interface MapEdge {
  id: string;
  source: string;
  target: string;
  type: EdgeType;
  stats: EdgeStats;
}

export interface ServiceMap {
  nodes: MapNode[];
  edges: MapEdge[];
  /** What the map was built from. */
  traces: number;
  spans: number;
  /** Set when the node limit cut the map: how many nodes and edges were left out. */
  truncated?: { nodes: number; edges: number };
}

export interface ServiceGraphOptions {
  strategy: 'serviceGraph';
}

export interface ParentChildOptions {
  strategy: 'parentChild';
  /** `service.name` (the span's resource), `name` (the span name), or a span attribute. */
  tag: string;
  /** Only values matching it are nodes; spans with other values are passed through to their parent. */
  valueFilter?: RegExp;
  /** Adds a node for the tag itself, linked to the values that have no parent value. */
  tagNode?: boolean;
}

export interface AttributePairOptions {
  strategy: 'attributePair';
  from: string;
  to: string;
}

export type MapOptions = (ServiceGraphOptions | ParentChildOptions | AttributePairOptions) & {
  /** The search's time range, for rates. */
  rangeMs: number;
  /** At most this many nodes (the busiest); the rest is counted in `truncated`. */
  nodeLimit?: number;
};

const PEER_ATTRIBUTES = ['peer.service', 'db.name', 'db.system'];

export function buildServiceMap(spans: MapSpan[], options: MapOptions): ServiceMap {
  const unique = dedupe(spans);
  const acc = new Accumulator(options.rangeMs);
  switch (options.strategy) {
    case 'serviceGraph':
      serviceGraph(unique, acc);
      break;
    case 'parentChild':
      parentChild(unique, acc, options);
      break;
    case 'attributePair':
      attributePair(unique, acc, options);
      break;
  }
  const map = acc.finish(options.nodeLimit);
  return { ...map, traces: new Set(unique.map((s) => s.traceId)).size, spans: unique.length };
}

/** One copy of each (trace id, span id): a trace found by two searches or slices counts once. */
function dedupe(spans: MapSpan[]): MapSpan[] {
  const seen = new Set<string>();
  const out: MapSpan[] = [];
  for (const s of spans) {
    const key = `${s.traceId}:${s.spanId}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(s);
    }
  }
  return out;
}

const isClientSide = (s: MapSpan) => s.kind === 'client' || s.kind === 'producer';
const isServerSide = (s: MapSpan) => s.kind === 'server' || s.kind === 'consumer';

/** Tempo's database node name: peer.service, server.address, network.peer.address[:port], db.name. */
export function databaseName(a: MapSpan['attributes']): string | undefined {
  if (a['db.name'] === undefined && a['db.system'] === undefined) {
    return undefined;
  }
  const text = (key: string) => (a[key] === undefined ? undefined : String(a[key]));
  const address = text('network.peer.address');
  return (
    text('peer.service') ??
    text('server.address') ??
    (address !== undefined
      ? a['network.peer.port'] !== undefined
        ? `${address}:${text('network.peer.port')}`
        : address
      : undefined) ??
    text('db.name') ??
    // db.system alone: Tempo would name the node '' (no edge); the system is the better name.
    text('db.system')
  );
}

function serviceGraph(spans: MapSpan[], acc: Accumulator): void {
  const children = new Map<string, MapSpan[]>();
  for (const s of spans) {
    if (s.parentSpanId !== undefined && isServerSide(s)) {
      const key = `${s.traceId}:${s.parentSpanId}`;
      const list = children.get(key);
      if (list) {
        list.push(s);
      } else {
        children.set(key, [s]);
      }
    }
  }
  const paired = new Set<MapSpan>();
  for (const c of spans) {
    if (!isClientSide(c)) {
      continue;
    }
    const client = c.service ?? 'unknown';
    const db = databaseName(c.attributes);
    if (db !== undefined) {
      // A database call is an edge at once; its server side is the client span itself.
      acc.node(client, 'service');
      acc.node(db, 'database');
      acc.edge(client, db, 'database', c.traceId, c.error, c.durationMs, c.durationMs);
      acc.request(db, c.error, c.durationMs);
      for (const s of children.get(`${c.traceId}:${c.spanId}`) ?? []) {
        paired.add(s); // Tempo completes the database edge first; a server child then pairs with nothing
      }
      continue;
    }
    const server = children.get(`${c.traceId}:${c.spanId}`)?.[0];
    if (server) {
      paired.add(server);
      const name = server.service ?? 'unknown';
      const messaging = c.kind === 'producer' || server.kind === 'consumer';
      acc.node(client, 'service');
      acc.node(name, 'service');
      acc.edge(
        client,
        name,
        messaging ? 'messaging_system' : '',
        c.traceId,
        c.error || server.error,
        c.durationMs,
        server.durationMs,
      );
      acc.request(name, server.error || c.error, server.durationMs);
      continue;
    }
    const peer = PEER_ATTRIBUTES.map((k) => c.attributes[k]).find((v) => v !== undefined);
    if (peer !== undefined) {
      // A call out of Tempo's sight (an external service): a virtual node named by the peer.
      acc.node(client, 'service');
      acc.node(String(peer), 'external');
      acc.edge(client, String(peer), 'virtual_node', c.traceId, c.error, c.durationMs, undefined);
      acc.request(String(peer), c.error, c.durationMs);
    }
  }
  for (const s of spans) {
    if (!isServerSide(s) || paired.has(s) || s.parentSpanId !== undefined) {
      continue;
    }
    // A root server span: the request came from outside, from a user.
    const name = s.service ?? 'unknown';
    acc.node('user', 'user');
    acc.node(name, 'service');
    acc.edge('user', name, 'virtual_node', s.traceId, s.error, undefined, s.durationMs);
    acc.request(name, s.error, s.durationMs);
  }
}

function tagValue(s: MapSpan, tag: string): string | undefined {
  if (tag === 'service.name') {
    return s.service;
  }
  if (tag === 'name') {
    return s.name;
  }
  const v = s.attributes[tag];
  return v === undefined ? undefined : String(v);
}

function parentChild(spans: MapSpan[], acc: Accumulator, options: ParentChildOptions): void {
  const byId = new Map(spans.map((s) => [`${s.traceId}:${s.spanId}`, s]));
  const value = (s: MapSpan): string | undefined => {
    const v = tagValue(s, options.tag);
    return v !== undefined && (!options.valueFilter || options.valueFilter.test(v)) ? v : undefined;
  };
  const tagNodeId = `${options.tag} (tag)`;
  for (const s of spans) {
    const v = value(s);
    if (v === undefined) {
      continue;
    }
    acc.node(v, 'value');
    acc.request(v, s.error, s.durationMs);
    // The nearest ancestor in the result with a value: spans without one are passed through.
    let parent = s.parentSpanId === undefined ? undefined : byId.get(`${s.traceId}:${s.parentSpanId}`);
    let pv: string | undefined;
    for (let hops = 0; parent && hops < 10_000; hops += 1) {
      pv = value(parent);
      if (pv !== undefined) {
        break;
      }
      parent = parent.parentSpanId === undefined ? undefined : byId.get(`${parent.traceId}:${parent.parentSpanId}`);
    }
    if (pv !== undefined && pv !== v) {
      acc.edge(pv, v, 'hop', s.traceId, s.error, s.durationMs, undefined);
    } else if (pv === undefined && options.tagNode) {
      acc.node(tagNodeId, 'tag');
      acc.edge(tagNodeId, v, 'hop', s.traceId, s.error, s.durationMs, undefined);
    }
  }
}

function attributePair(spans: MapSpan[], acc: Accumulator, options: AttributePairOptions): void {
  for (const s of spans) {
    const a = tagValue(s, options.from);
    const b = tagValue(s, options.to);
    if (a === undefined || b === undefined || a === b) {
      continue;
    }
    acc.node(a, 'value');
    acc.node(b, 'value');
    acc.edge(a, b, 'pair', s.traceId, s.error, s.durationMs, undefined);
    acc.request(b, s.error, s.durationMs);
  }
}

interface EdgeAcc {
  source: string;
  target: string;
  type: EdgeType;
  calls: number;
  errors: number;
  traces: Set<string>;
  latencies: number[];
  serverLatencies: number[];
}

interface NodeAcc {
  kind: NodeKind;
  count: number;
  errors: number;
  latencies: number[];
}

class Accumulator {
  private readonly rangeSec: number;
  private readonly nodes = new Map<string, NodeAcc>();
  private readonly edges = new Map<string, EdgeAcc>();

  constructor(rangeMs: number) {
    this.rangeSec = Math.max(1, rangeMs / 1000);
  }

  node(id: string, kind: NodeKind): void {
    if (!this.nodes.has(id)) {
      this.nodes.set(id, { kind, count: 0, errors: 0, latencies: [] });
    }
  }

  request(id: string, error: boolean, latencyMs: number): void {
    const n = this.nodes.get(id);
    if (n) {
      n.count += 1;
      n.errors += error ? 1 : 0;
      n.latencies.push(latencyMs);
    }
  }

  edge(
    source: string,
    target: string,
    type: EdgeType,
    traceId: string,
    failed: boolean,
    latencyMs: number | undefined,
    serverLatencyMs: number | undefined,
  ): void {
    const id = edgeId(source, target, type);
    let e = this.edges.get(id);
    if (!e) {
      e = { source, target, type, calls: 0, errors: 0, traces: new Set(), latencies: [], serverLatencies: [] };
      this.edges.set(id, e);
    }
    e.calls += 1;
    e.errors += failed ? 1 : 0;
    e.traces.add(traceId);
    if (latencyMs !== undefined) {
      e.latencies.push(latencyMs);
    }
    if (serverLatencyMs !== undefined) {
      e.serverLatencies.push(serverLatencyMs);
    }
  }

  finish(nodeLimit: number | undefined): Omit<ServiceMap, 'traces' | 'spans'> {
    // A node's weight: its own count and the calls of its edges, so a pure caller (user) ranks too.
    const weight = new Map<string, number>();
    for (const [id, n] of this.nodes) {
      weight.set(id, n.count);
    }
    for (const e of this.edges.values()) {
      weight.set(e.source, (weight.get(e.source) ?? 0) + e.calls);
    }
    const ranked = [...this.nodes.keys()].sort(
      (a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0) || a.localeCompare(b),
    );
    const kept = new Set(nodeLimit !== undefined ? ranked.slice(0, nodeLimit) : ranked);
    const nodes: MapNode[] = ranked
      .filter((id) => kept.has(id))
      .map((id) => {
        const n = this.nodes.get(id) as NodeAcc;
        return {
          id,
          title: id,
          kind: n.kind,
          stats: {
            count: n.count,
            ratePerSec: n.count / this.rangeSec,
            errors: n.errors,
            errorShare: n.count > 0 ? n.errors / n.count : 0,
            p50Ms: quantile(n.latencies, 0.5),
            p95Ms: quantile(n.latencies, 0.95),
          },
        };
      });
    const all = [...this.edges.entries()];
    const edges: MapEdge[] = all
      .filter(([, e]) => kept.has(e.source) && kept.has(e.target))
      .map(([id, e]) => ({
        id,
        source: e.source,
        target: e.target,
        type: e.type,
        stats: {
          calls: e.calls,
          traces: e.traces.size,
          errors: e.errors,
          errorShare: e.calls > 0 ? e.errors / e.calls : 0,
          ratePerSec: e.calls / this.rangeSec,
          p50Ms: quantile(e.latencies, 0.5),
          p95Ms: quantile(e.latencies, 0.95),
          serverP50Ms: quantile(e.serverLatencies, 0.5),
          serverP95Ms: quantile(e.serverLatencies, 0.95),
        },
      }))
      .sort((a, b) => b.stats.calls - a.stats.calls || a.id.localeCompare(b.id));
    const cut = this.nodes.size - nodes.length;
    return {
      nodes,
      edges,
      ...(cut > 0 ? { truncated: { nodes: cut, edges: all.length - edges.length } } : {}),
    };
  }
}

/** An edge's id: its ends and type (Tempo keys service-graph edges by client, server, connection type). */
export function edgeId(source: string, target: string, type: EdgeType): string {
  return JSON.stringify([source, target, type]);
}
