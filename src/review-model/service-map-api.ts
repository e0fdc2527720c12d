import type { EdgeType, ServiceMap, Strategy } from './service-map.ts';
import { traceqlString as quote } from './traceql-filter.ts';

// GET /api/servicemap: the sidecar's service map for a time range and a TraceQL filter, built from
// one Tempo search (plus whole reads of the traces the search cut short). The contract between the
// sidecar and the panel, and the TraceQL both send to Tempo (the search, and Explore links).

export interface ServiceMapQuery {
  from: number;
  to: number;
  strategy: Strategy;
  /** A TraceQL span-set filter; each strategy has a default. */
  filter?: string;
  /** parentChild: the tag spans are grouped by (`service.name`, `name`, or a span attribute). */
  tag?: string;
  /** parentChild: only values matching it become nodes. */
  valueRegex?: string;
  /** parentChild: add a node for the tag itself. */
  tagNode?: boolean;
  /** attributePair: the edge goes from this attribute's value… */
  fromAttribute?: string;
  /** …to this one's, on the same span. */
  toAttribute?: string;
  nodeLimit?: number;
  /** How many traces the search may return. */
  traceLimit?: number;
}

export interface ServiceMapResponse extends ServiceMap {
  /** The TraceQL the sidecar sent to Tempo. */
  query: string;
  /** Traces the search cut short (span-set limit) and the sidecar read whole. */
  wholeTraces: number;
  /** Traces cut short that were not read whole (over the per-request bound): their spans are partial. */
  partialTraces: number;
  /** The search returned `traceLimit` traces: there may be more in the range. */
  traceLimitReached: boolean;
  asOfMs: number;
}

export const SERVICE_MAP_DEFAULTS = {
  strategy: 'serviceGraph' as Strategy,
  tag: 'service.name',
  fromAttribute: 'gerrit.owner',
  toAttribute: 'gerrit.reviewer',
  nodeLimit: 200,
  traceLimit: 2000,
} as const;

export const SERVICE_MAP_LIMITS = {
  nodeLimit: 1000,
  traceLimit: 10_000,
  /** The longest range one map may cover. */
  rangeMs: 31 * 86_400_000,
} as const;

/** A TraceQL attribute reference: the resource's service.name, the span name, or any attribute (either scope). */
export function attributeRef(name: string): string {
  if (name === 'service.name') {
    return 'resource.service.name';
  }
  if (name === 'name') {
    return 'span:name';
  }
  return `.${name}`;
}

/** The filter a strategy uses when the user gives none. */
export function defaultFilter(q: Pick<ServiceMapQuery, 'strategy' | 'fromAttribute' | 'toAttribute'>): string {
  switch (q.strategy) {
    case 'serviceGraph':
      return '{ span:kind = client || span:kind = server || span:kind = producer || span:kind = consumer }';
    case 'parentChild':
      return '{ }';
    case 'attributePair': {
      const from = attributeRef(q.fromAttribute ?? SERVICE_MAP_DEFAULTS.fromAttribute);
      const to = attributeRef(q.toAttribute ?? SERVICE_MAP_DEFAULTS.toAttribute);
      return `{ ${from} != nil && ${to} != nil }`;
    }
  }
}

/** What a strategy needs of every span, beyond its id, start and duration. */
export function selectedAttributes(q: ServiceMapQuery): string[] {
  switch (q.strategy) {
    case 'serviceGraph':
      return [
        'span:parentID',
        'span:kind',
        'span:status',
        'resource.service.name',
        '.db.system',
        '.db.name',
        '.peer.service',
        '.server.address',
        '.network.peer.address',
        '.network.peer.port',
      ];
    case 'parentChild': {
      const tag = q.tag ?? SERVICE_MAP_DEFAULTS.tag;
      const base = ['span:parentID', 'span:status', 'resource.service.name'];
      return tag === 'service.name' ? base : [...base, attributeRef(tag)];
    }
    case 'attributePair':
      return [
        'span:status',
        'resource.service.name',
        attributeRef(q.fromAttribute ?? SERVICE_MAP_DEFAULTS.fromAttribute),
        attributeRef(q.toAttribute ?? SERVICE_MAP_DEFAULTS.toAttribute),
      ];
  }
}

/** The whole TraceQL query of a map: the (checked) filter and the select() the strategy needs. */
export function serviceMapTraceQL(q: ServiceMapQuery): string {
  const filter = q.filter?.trim() || defaultFilter(q);
  return `${filter} | select(${selectedAttributes(q).join(', ')})`;
}

/**
 * The filter narrowed by one more condition: inside its braces when it is one span set (so the
 * answer is the spans that match both), else as a second span set that must be in the same trace.
 */
export function narrowFilter(filter: string, condition: string): string {
  const inner = singleSpanSet(filter);
  if (inner === undefined) {
    return `${filter} && { ${condition} }`;
  }
  return inner === '' ? `{ ${condition} }` : `{ (${inner}) && ${condition} }`;
}

/** The inside of a filter that is one `{ … }` span set, else undefined. */
function singleSpanSet(filter: string): string | undefined {
  const text = filter.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) {
    return undefined;
  }
  let depth = 0;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === '"') {
      for (i += 1; i < text.length && text[i] !== '"'; i += text[i] === '\\' ? 2 : 1) {
        // skip the string literal
      }
      continue;
    }
    depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
    if (depth === 0 && i < text.length - 1) {
      return undefined;
    }
  }
  return text.slice(1, -1).trim();
}

/**
 * A TraceQL query for exactly the spans behind one node or edge, for Explore. A request edge is a
 * client span and its server child (`>`: child of); a database or external edge is the client span
 * naming the peer; an edge from `user` is a root server span.
 */
export function exploreTraceQL(
  q: ServiceMapQuery,
  target: { node: string } | { source: string; target: string; type?: EdgeType },
): string {
  const filter = q.filter?.trim() || defaultFilter(q);
  if (q.strategy === 'attributePair') {
    const from = attributeRef(q.fromAttribute ?? SERVICE_MAP_DEFAULTS.fromAttribute);
    const to = attributeRef(q.toAttribute ?? SERVICE_MAP_DEFAULTS.toAttribute);
    const cond =
      'node' in target
        ? `(${from} = ${quote(target.node)} || ${to} = ${quote(target.node)})`
        : `${from} = ${quote(target.source)} && ${to} = ${quote(target.target)}`;
    return narrowFilter(filter, cond);
  }
  const tag = q.strategy === 'parentChild' ? attributeRef(q.tag ?? SERVICE_MAP_DEFAULTS.tag) : 'resource.service.name';
  if ('node' in target) {
    return narrowFilter(filter, `${tag} = ${quote(target.node)}`);
  }
  if (q.strategy === 'serviceGraph' && target.source === 'user') {
    return `{ ${tag} = ${quote(target.target)} && nestedSetParent = -1 }`;
  }
  if (q.strategy === 'serviceGraph' && (target.type === 'database' || target.type === 'virtual_node')) {
    const peer = ['.peer.service', '.server.address', '.network.peer.address', '.db.name', '.db.system']
      .map((a) => `${a} = ${quote(target.target.replace(/:\d+$/, ''))}`)
      .join(' || ');
    return `{ ${tag} = ${quote(target.source)} && (span:kind = client || span:kind = producer) && (${peer}) }`;
  }
  return `{ ${tag} = ${quote(target.source)} } > { ${tag} = ${quote(target.target)} }`;
}
