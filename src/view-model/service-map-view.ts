// The service-map panel's logic, framework-free (unit-tested with node --test): panel options to the
// sidecar's query, a map to drawable elements (edge width by traffic, a node's arc by its error
// share, its colour by thresholds), the neighbourhood a click focuses on, and the legend.

import { SERVICE_MAP_DEFAULTS, type ServiceMapQuery } from '../review-model/service-map-api.ts';
import type {
  EdgeStats,
  EdgeType,
  MapEdge,
  MapNode,
  NodeKind,
  NodeStats,
  ServiceMap,
  Strategy,
} from '../review-model/service-map.ts';
import { traceqlString } from '../review-model/traceql-filter.ts';
import { SIDECAR_PROXY } from './api-query.ts';

export type NodeStat = 'ratePerSec' | 'count' | 'errorShare' | 'p50Ms' | 'p95Ms';
export type EdgeStat = 'ratePerSec' | 'calls' | 'traces' | 'errorShare' | 'p50Ms' | 'p95Ms';
export type LayoutName = 'layered' | 'force';

export interface ServiceMapPanelOptions {
  strategy: Strategy;
  /** TraceQL span-set filter; empty: the strategy's default. Dashboard variables are replaced. */
  filter: string;
  tag: string;
  valueRegex: string;
  tagNode: boolean;
  fromAttribute: string;
  toAttribute: string;
  nodeLimit: number;
  layout: LayoutName;
  nodeStat: NodeStat;
  edgeStat: EdgeStat;
  /** Error shares (0..1) from which a node is drawn as a warning, and as failing. */
  errorWarn: number;
  errorBad: number;
  /** The Tempo data source Explore links open; empty: the first Tempo data source. */
  datasourceUid: string;
}

export const DEFAULT_PANEL_OPTIONS: ServiceMapPanelOptions = {
  strategy: SERVICE_MAP_DEFAULTS.strategy,
  filter: '',
  tag: SERVICE_MAP_DEFAULTS.tag,
  valueRegex: '',
  tagNode: false,
  fromAttribute: SERVICE_MAP_DEFAULTS.fromAttribute,
  toAttribute: SERVICE_MAP_DEFAULTS.toAttribute,
  nodeLimit: SERVICE_MAP_DEFAULTS.nodeLimit,
  layout: 'layered',
  nodeStat: 'ratePerSec',
  edgeStat: 'ratePerSec',
  errorWarn: 0.01,
  errorBad: 0.05,
  datasourceUid: '',
};

/** The query of the panel's options over a time range (`replace`: the dashboard's variables). */
export function panelQuery(
  options: ServiceMapPanelOptions,
  range: { from: number; to: number },
  replace: (text: string) => string = (t) => t,
): ServiceMapQuery {
  const q: ServiceMapQuery = { from: Math.floor(range.from), to: Math.ceil(range.to), strategy: options.strategy };
  const filter = replace(options.filter).trim();
  if (filter) {
    q.filter = filter;
  }
  if (options.strategy === 'parentChild') {
    q.tag = replace(options.tag).trim() || SERVICE_MAP_DEFAULTS.tag;
    const regex = replace(options.valueRegex).trim();
    if (regex) {
      q.valueRegex = regex;
    }
    if (options.tagNode) {
      q.tagNode = true;
    }
  }
  if (options.strategy === 'attributePair') {
    q.fromAttribute = replace(options.fromAttribute).trim() || SERVICE_MAP_DEFAULTS.fromAttribute;
    q.toAttribute = replace(options.toAttribute).trim() || SERVICE_MAP_DEFAULTS.toAttribute;
  }
  q.nodeLimit = options.nodeLimit;
  return q;
}

/** GET /api/servicemap through the app's proxy route. */
export function serviceMapUrl(q: ServiceMapQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(q)) {
    if (value !== undefined) {
      params.set(key, String(value));
    }
  }
  return `${SIDECAR_PROXY}/api/servicemap?${params.toString()}`;
}

export type Health = 'ok' | 'warn' | 'bad';

export function health(errorShare: number, options: Pick<ServiceMapPanelOptions, 'errorWarn' | 'errorBad'>): Health {
  return errorShare >= options.errorBad ? 'bad' : errorShare >= options.errorWarn ? 'warn' : 'ok';
}

export interface DrawNode {
  id: string;
  label: string;
  kind: NodeKind;
  /** 0..1 */
  errorShare: number;
  health: Health;
  /** The chosen stat's value, for the node's second line. */
  stat?: number;
  /** 0..1: the node's traffic against the busiest node, for its size. */
  weight: number;
  stats: NodeStats;
}

export interface DrawEdge {
  id: string;
  source: string;
  target: string;
  type: EdgeType;
  stat?: number;
  /** Line width in px, by calls on a log scale against the busiest edge. */
  width: number;
  health: Health;
  stats: EdgeStats;
}

export const EDGE_WIDTH = { min: 1, max: 8 } as const;

/** What the panel draws of a map: one entry per node and edge, with the options applied. */
export function drawable(
  map: Pick<ServiceMap, 'nodes' | 'edges'>,
  options: Pick<ServiceMapPanelOptions, 'nodeStat' | 'edgeStat' | 'errorWarn' | 'errorBad'>,
): { nodes: DrawNode[]; edges: DrawEdge[] } {
  const maxNode = Math.max(1, ...map.nodes.map((n) => n.stats.count));
  const maxCalls = Math.max(1, ...map.edges.map((e) => e.stats.calls));
  const nodes = map.nodes.map((n: MapNode): DrawNode => ({
    id: n.id,
    label: n.title,
    kind: n.kind,
    errorShare: n.stats.errorShare,
    health: health(n.stats.errorShare, options),
    stat: n.stats[options.nodeStat],
    weight: n.stats.count / maxNode,
    stats: n.stats,
  }));
  const edges = map.edges.map((e: MapEdge): DrawEdge => ({
    id: e.id,
    source: e.source,
    target: e.target,
    type: e.type,
    stat: e.stats[options.edgeStat],
    width: EDGE_WIDTH.min + ((EDGE_WIDTH.max - EDGE_WIDTH.min) * Math.log1p(e.stats.calls)) / Math.log1p(maxCalls),
    health: health(e.stats.errorShare, options),
    stats: e.stats,
  }));
  return { nodes, edges };
}

/** A node and everything upstream (callers, transitively) and downstream (callees) of it. */
export function neighbourhood(edges: Array<Pick<MapEdge, 'source' | 'target'>>, nodeId: string): Set<string> {
  const out = new Set<string>([nodeId]);
  const walk = (from: string, next: (e: Pick<MapEdge, 'source' | 'target'>) => [string, string]) => {
    const queue = [from];
    while (queue.length > 0) {
      const current = queue.pop() as string;
      for (const e of edges) {
        const [here, there] = next(e);
        if (here === current && !out.has(there)) {
          out.add(there);
          queue.push(there);
        }
      }
    }
  };
  walk(nodeId, (e) => [e.source, e.target]);
  walk(nodeId, (e) => [e.target, e.source]);
  return out;
}

/** The legend's entries: node kinds present, and the health colours with their thresholds. */
export function legendEntries(
  nodes: Array<Pick<DrawNode, 'kind'>>,
  options: Pick<ServiceMapPanelOptions, 'errorWarn' | 'errorBad'>,
): { kinds: NodeKind[]; health: Array<{ health: Health; label: string }> } {
  const order: NodeKind[] = ['user', 'service', 'database', 'external', 'value', 'tag'];
  const present = new Set(nodes.map((n) => n.kind));
  const pct = (v: number) => `${Math.round(v * 1000) / 10} %`;
  return {
    kinds: order.filter((k) => present.has(k)),
    health: [
      { health: 'ok', label: `errors < ${pct(options.errorWarn)}` },
      { health: 'warn', label: `errors ≥ ${pct(options.errorWarn)}` },
      { health: 'bad', label: `errors ≥ ${pct(options.errorBad)}` },
    ],
  };
}

export const STAT_UNIT: Record<NodeStat | EdgeStat, 'reqps' | 'short' | 'percentunit' | 'ms'> = {
  ratePerSec: 'reqps',
  count: 'short',
  calls: 'short',
  traces: 'short',
  errorShare: 'percentunit',
  p50Ms: 'ms',
  p95Ms: 'ms',
};

/** The page's filters as a span-set filter on review spans (owner → reviewer: who reviews whom). */
export function reviewGraphQuery(
  filters: { project: string[]; branch: string[]; owner: string[]; reviewer: string[] },
  range: { from: number; to: number },
): ServiceMapQuery {
  const anyOf = (attr: string, values: string[]) =>
    values.length === 0 ? [] : [`(${values.map((v) => `span.${attr} = ${traceqlString(v)}`).join(' || ')})`];
  const conditions = [
    'name = "review"',
    ...anyOf('gerrit.project', filters.project),
    ...anyOf('gerrit.branch', filters.branch),
    ...anyOf('gerrit.owner', filters.owner),
    ...anyOf('gerrit.reviewer', filters.reviewer),
  ];
  return {
    from: Math.floor(range.from),
    to: Math.ceil(range.to),
    strategy: 'attributePair',
    filter: `{ ${conditions.join(' && ')} }`,
    fromAttribute: SERVICE_MAP_DEFAULTS.fromAttribute,
    toAttribute: SERVICE_MAP_DEFAULTS.toAttribute,
    nodeLimit: SERVICE_MAP_DEFAULTS.nodeLimit,
  };
}

/** How the page's "Who reviews whom" draws: people by reviews received, edges by the median wait. */
export const REVIEW_GRAPH_OPTIONS: ServiceMapPanelOptions = {
  ...DEFAULT_PANEL_OPTIONS,
  strategy: 'attributePair',
  layout: 'force',
  nodeStat: 'count',
  edgeStat: 'p50Ms',
};
