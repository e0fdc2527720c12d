import {
  SERVICE_MAP_DEFAULTS,
  serviceMapTraceQL,
  type ServiceMapQuery,
  type ServiceMapResponse,
} from '../../src/review-model/service-map-api.ts';
import { buildServiceMap, type MapOptions, type MapSpan } from '../../src/review-model/service-map.ts';
import { parseSearchSpans, parseTraceSpans } from '../../src/review-model/tempo-spans.ts';
import { TempoQueryError, type TempoReader } from './tempo-reader.ts';

// GET /api/servicemap: one Tempo search for the range and filter (with the select() the strategy
// needs), the traces that search cut short read whole (bounded, a few at a time), then the pure
// aggregation of src/review-model/service-map.ts. Answers are cached briefly by their query.

export interface ServiceMapServiceOptions {
  cacheTtlMs: number;
  /** Spans per span set asked of Tempo; lowered to Tempo's max_spans_per_span_set when it refuses more. */
  spansPerSpanSet: number;
  /** Cut traces read whole for one map, at most; the rest stay partial (and are counted). */
  maxWholeTraces: number;
  /** Whole-trace reads in flight at once. */
  wholeTraceConcurrency: number;
}

export const SERVICE_MAP_SERVICE_DEFAULTS: ServiceMapServiceOptions = {
  cacheTtlMs: 15_000,
  spansPerSpanSet: 1000,
  maxWholeTraces: 200,
  wholeTraceConcurrency: 8,
};

export class ServiceMapService {
  private readonly tempo: TempoReader;
  private readonly options: ServiceMapServiceOptions;
  private readonly cache = new Map<string, { atMs: number; answer: Promise<ServiceMapResponse> }>();
  private spss: number;

  constructor(tempo: TempoReader, options: Partial<ServiceMapServiceOptions> = {}) {
    this.tempo = tempo;
    this.options = { ...SERVICE_MAP_SERVICE_DEFAULTS, ...options };
    this.spss = this.options.spansPerSpanSet;
  }

  map(q: ServiceMapQuery, nowMs: number): Promise<ServiceMapResponse> {
    const key = JSON.stringify(q);
    for (const [k, v] of this.cache) {
      if (nowMs - v.atMs >= this.options.cacheTtlMs) {
        this.cache.delete(k);
      }
    }
    const hit = this.cache.get(key);
    if (hit) {
      return hit.answer;
    }
    const answer = this.build(q, nowMs);
    answer.catch(() => this.cache.delete(key));
    this.cache.set(key, { atMs: nowMs, answer });
    return answer;
  }

  private async build(q: ServiceMapQuery, nowMs: number): Promise<ServiceMapResponse> {
    const query = serviceMapTraceQL(q);
    const traceLimit = q.traceLimit ?? SERVICE_MAP_DEFAULTS.traceLimit;
    const body = await this.search(query, q.from, q.to, traceLimit);
    const parsed = parseSearchSpans(body);
    const whole = parsed.cutTraces.slice(0, this.options.maxWholeTraces);
    const wholeSpans = await this.readWhole(whole);
    const cutSet = new Set(whole);
    // A trace read whole replaces its search spans; a whole read keeps the filter's meaning only
    // where the filter selects every span it needs, so it is read only for cut traces.
    const spans = [...parsed.spans.filter((s) => !cutSet.has(s.traceId)), ...wholeSpans.filter(matchesStrategy(q))];
    const map = buildServiceMap(spans, mapOptions(q));
    return {
      ...map,
      query,
      wholeTraces: whole.length,
      partialTraces: parsed.cutTraces.length - whole.length,
      traceLimitReached: parsed.traces >= traceLimit,
      asOfMs: nowMs,
    };
  }

  /**
   * Tempo refuses more spans per span set than its `max_spans_per_span_set` (default 100) and says
   * its limit: the search is asked again within it, and the limit kept for the next maps.
   */
  private async search(query: string, fromMs: number, toMs: number, limit: number) {
    try {
      return await this.tempo.search(query, fromMs, toMs, limit, this.spss);
    } catch (err) {
      const max = err instanceof TempoQueryError ? /spans per span set exceeds (\d+)/.exec(err.message) : null;
      if (!max || Number(max[1]) >= this.spss || Number(max[1]) < 1) {
        throw err;
      }
      this.spss = Number(max[1]);
      return this.tempo.search(query, fromMs, toMs, limit, this.spss);
    }
  }

  private async readWhole(traceIds: string[]): Promise<MapSpan[]> {
    const out: MapSpan[] = [];
    let next = 0;
    const worker = async () => {
      while (next < traceIds.length) {
        const id = traceIds[next];
        next += 1;
        const body = await this.tempo.traceJson(id);
        if (body) {
          out.push(...parseTraceSpans(body));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.wholeTraceConcurrency, traceIds.length) }, worker));
    return out;
  }
}

/**
 * Spans of a trace read whole that the strategy's default filter would have selected. (A user's
 * own filter cannot be evaluated here: a cut trace under a custom filter contributes all its spans
 * of the strategy's kind; docs/service-map.md says so.)
 */
function matchesStrategy(q: ServiceMapQuery): (s: MapSpan) => boolean {
  switch (q.strategy) {
    case 'serviceGraph':
      return (s) => s.kind === 'client' || s.kind === 'server' || s.kind === 'producer' || s.kind === 'consumer';
    case 'parentChild':
      return () => true;
    case 'attributePair': {
      const from = q.fromAttribute ?? SERVICE_MAP_DEFAULTS.fromAttribute;
      const to = q.toAttribute ?? SERVICE_MAP_DEFAULTS.toAttribute;
      return (s) => s.attributes[from] !== undefined && s.attributes[to] !== undefined;
    }
  }
}

function mapOptions(q: ServiceMapQuery): MapOptions {
  const common = { rangeMs: q.to - q.from, nodeLimit: q.nodeLimit ?? SERVICE_MAP_DEFAULTS.nodeLimit };
  switch (q.strategy) {
    case 'serviceGraph':
      return { strategy: 'serviceGraph', ...common };
    case 'parentChild':
      return {
        strategy: 'parentChild',
        tag: q.tag ?? SERVICE_MAP_DEFAULTS.tag,
        valueFilter: q.valueRegex ? new RegExp(q.valueRegex) : undefined,
        tagNode: q.tagNode,
        ...common,
      };
    case 'attributePair':
      return {
        strategy: 'attributePair',
        from: q.fromAttribute ?? SERVICE_MAP_DEFAULTS.fromAttribute,
        to: q.toAttribute ?? SERVICE_MAP_DEFAULTS.toAttribute,
        ...common,
      };
  }
}
