import type { TraceSpan } from '../../src/review-model/change-timeline.ts';
import type { SearchResponseJson, TraceResponseJson } from '../../src/review-model/tempo-spans.ts';
import { traceqlString as quote } from '../../src/review-model/traceql-filter.ts';

// Reads what the sidecar wrote back from Tempo's HTTP API: the change root spans in a time range
// (one search call, TraceQL with select) and whole traces by id.

type AttributeMap = Record<string, string | number | boolean | string[]>;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}

interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}

function value(v: OtlpValue): string | number | boolean | string[] {
  if (v.stringValue !== undefined) {
    return v.stringValue;
  }
  if (v.intValue !== undefined) {
    return Number(v.intValue);
  }
  if (v.boolValue !== undefined) {
    return v.boolValue;
  }
  if (v.doubleValue !== undefined) {
    return v.doubleValue;
  }
  return (v.arrayValue?.values ?? []).map((x) => String(value(x)));
}

function attributes(kvs: OtlpKeyValue[] | undefined): AttributeMap {
  const out: AttributeMap = {};
  for (const kv of kvs ?? []) {
    out[kv.key] = value(kv.value);
  }
  return out;
}

const endNanos = (s: { startTimeUnixNano: string; durationNanos: string }) =>
  BigInt(s.startTimeUnixNano) + BigInt(s.durationNanos ?? 0);
const nanosToMs = (n: string | number) => Math.round(Number(BigInt(String(n)) / 1000n) / 1000);

export interface SpanRow {
  traceId: string;
  startMs: number;
  endMs: number;
  attributes: AttributeMap;
}

export class TempoQueryError extends Error {
  override name = 'TempoQueryError';
  /** Tempo refused the query itself (HTTP 400: TraceQL it cannot parse), not a failure to reach it. */
  readonly badQuery: boolean;
  constructor(message: string, options: { badQuery?: boolean } = {}) {
    super(message);
    this.badQuery = options.badQuery === true;
  }
}

export class TempoReader {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(baseUrl: string, headers: Record<string, string>, timeoutMs: number, options: { gzip?: boolean } = {}) {
    this.base = baseUrl.replace(/\/+$/, '');
    // fetch asks for gzip unless told otherwise (tempo.queryGzip).
    this.headers = options.gzip ? headers : { 'accept-encoding': 'identity', ...headers };
    this.timeoutMs = timeoutMs;
  }

  private async get<T>(path: string): Promise<T | undefined> {
    let r: Response;
    try {
      r = await fetch(`${this.base}${path}`, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
      throw new TempoQueryError(`cannot reach Tempo at ${this.base} (tempo.queryUrl): ${cause}`);
    }
    if (r.status === 404) {
      return undefined;
    }
    if (!r.ok) {
      throw new TempoQueryError(
        `Tempo answered HTTP ${r.status} for ${path.split('?')[0]}: ${(await r.text()).slice(0, 300)}`,
        { badQuery: r.status === 400 },
      );
    }
    return (await r.json()) as T;
  }

  /**
   * Spans named `spanName` in [fromMs, toMs], with the attributes named in `select`: one per trace,
   * the one that ends last (a change restored after a final abandon has two `change` spans).
   */
  async searchSpans(
    spanName: string,
    fromMs: number,
    toMs: number,
    select: readonly string[],
    limit: number,
    serviceName: string,
    /** More conditions of the span set, TraceQL (`span.x > 1`): built by the caller, never user input. */
    condition?: string,
  ): Promise<SpanRow[]> {
    const selection = select.length > 0 ? ` | select(${select.map((a) => `span.${a}`).join(', ')})` : '';
    const and = condition ? ` && ${condition}` : '';
    const q = `{ name = ${quote(spanName)} && resource.service.name = ${quote(serviceName)}${and} }${selection}`;

    const params = new URLSearchParams({
      q,
      start: String(Math.floor(fromMs / 1000)),
      end: String(Math.max(Math.ceil(toMs / 1000), Math.floor(fromMs / 1000) + 1)),
      limit: String(limit),
      spss: '2',
    });
    const body = await this.get<{
      traces?: {
        traceID: string;
        spanSet?: { spans?: { startTimeUnixNano: string; durationNanos: string; attributes?: OtlpKeyValue[] }[] };
      }[];
    }>(`/api/search?${params}`);
    const rows: SpanRow[] = [];
    for (const t of body?.traces ?? []) {
      const span = t.spanSet?.spans?.reduce((a, b) => (endNanos(a) >= endNanos(b) ? a : b));
      if (!span) {
        continue;
      }
      const startMs = nanosToMs(span.startTimeUnixNano);
      rows.push({
        traceId: t.traceID.padStart(32, '0'),
        startMs,
        endMs: startMs + nanosToMs(span.durationNanos),
        attributes: attributes(span.attributes),
      });
    }
    return rows;
  }

  /** One search as Tempo answers it (`/api/search`), for callers that read span sets themselves. */
  async search(q: string, fromMs: number, toMs: number, limit: number, spss: number): Promise<SearchResponseJson> {
    const params = new URLSearchParams({
      q,
      start: String(Math.floor(fromMs / 1000)),
      end: String(Math.max(Math.ceil(toMs / 1000), Math.floor(fromMs / 1000) + 1)),
      limit: String(limit),
      spss: String(spss),
    });
    return (await this.get<SearchResponseJson>(`/api/search?${params}`)) ?? {};
  }

  /** A whole trace as Tempo answers it (OTLP JSON, base64 ids); undefined when Tempo has none. */
  traceJson(traceId: string): Promise<TraceResponseJson | undefined> {
    return this.get<TraceResponseJson>(`/api/v2/traces/${traceId}`);
  }

  async trace(traceId: string): Promise<TraceSpan[]> {
    const body = await this.get<{ trace?: { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] } }>(
      `/api/v2/traces/${traceId}`,
    );
    const out: TraceSpan[] = [];
    for (const rs of body?.trace?.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          out.push({
            spanId: Buffer.from(s.spanId, 'base64').toString('hex'),
            parentSpanId: s.parentSpanId ? Buffer.from(s.parentSpanId, 'base64').toString('hex') : undefined,
            name: s.name,
            startMs: nanosToMs(s.startTimeUnixNano),
            endMs: nanosToMs(s.endTimeUnixNano),
            status:
              s.status?.code === 'STATUS_CODE_ERROR' || s.status?.code === 2
                ? 'error'
                : s.status?.code === 'STATUS_CODE_OK' || s.status?.code === 1
                  ? 'ok'
                  : 'unset',
            attributes: attributes(s.attributes),
          });
        }
      }
    }
    return out;
  }

  /** Resolves when Tempo's query API answers; throws a TempoQueryError saying why not. */
  async reachable(): Promise<void> {
    let r: Response;
    try {
      r = await fetch(`${this.base}/api/echo`, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
      throw new TempoQueryError(`cannot reach Tempo at ${this.base} (tempo.queryUrl): ${cause}`);
    }
    if (!r.ok) {
      throw new TempoQueryError(`Tempo answered HTTP ${r.status} at ${this.base}/api/echo`);
    }
  }
}

interface OtlpSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status?: { code?: string | number };
  attributes?: OtlpKeyValue[];
}
