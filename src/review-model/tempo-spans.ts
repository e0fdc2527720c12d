import type { MapSpan, SpanKindName } from './service-map.ts';

// Tempo's JSON as the service map needs it: the spans of a search (`/api/search` with
// `select(span:parentID, span:kind, span:status, resource.service.name, …)`) and of a whole trace
// (`/api/v2/traces/<id>`). Pure. Tempo's quirks, as recorded in fixtures/ from a real Tempo:
// - search: trace ids are hex with leading zeros stripped; the selected intrinsics come back as
//   attributes named `kind` and `status` (lower-case words) and `span:parentID` (16 hex digits,
//   `0000000000000000` for a root); `service.name` unscoped; uint64 values as strings; zero and
//   empty fields omitted; a span set holds at most `spss` spans of the `matched` ones;
// - trace by id: OTLP JSON with base64 ids, `SPAN_KIND_*` and `STATUS_CODE_*` names.

export interface OtlpAnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number | string;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpAnyValue[] };
}

export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

export interface SearchSpanJson {
  spanID?: string;
  name?: string;
  startTimeUnixNano?: string;
  durationNanos?: string;
  attributes?: OtlpKeyValue[];
}

export interface SearchResponseJson {
  traces?: {
    traceID?: string;
    spanSet?: { spans?: SearchSpanJson[]; matched?: number };
    spanSets?: { spans?: SearchSpanJson[]; matched?: number }[];
  }[];
  metrics?: Record<string, unknown>;
}

export interface TraceResponseJson {
  trace?: {
    resourceSpans?: {
      resource?: { attributes?: OtlpKeyValue[] };
      scopeSpans?: { spans?: OtlpSpanJson[] }[];
    }[];
  };
}

interface OtlpSpanJson {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  kind?: string | number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: OtlpKeyValue[];
  status?: { code?: string | number };
}

const ROOT_PARENT = '0000000000000000';

/** A scalar attribute value (lists are joined: never rely on lists from a multi-trace search, see SPEC). */
export function scalar(v: OtlpAnyValue | undefined): string | number | boolean | undefined {
  if (!v) {
    return undefined;
  }
  if (v.stringValue !== undefined) {
    return v.stringValue;
  }
  if (v.intValue !== undefined) {
    return Number(v.intValue);
  }
  if (v.doubleValue !== undefined) {
    return Number(v.doubleValue);
  }
  if (v.boolValue !== undefined) {
    return v.boolValue;
  }
  if (v.arrayValue) {
    return (v.arrayValue.values ?? []).map((x) => String(scalar(x))).join(',');
  }
  return undefined;
}

function nanosToMs(n: string | undefined): number {
  if (n === undefined || n === '') {
    return 0;
  }
  // Nanoseconds since 1970 exceed 2^53: split before converting.
  const digits = n.replace(/^0+/, '') || '0';
  const ms = digits.length > 6 ? Number(digits.slice(0, -6)) : 0;
  const rest = digits.length > 6 ? digits.slice(-6) : digits;
  return ms + Number(rest) / 1e6;
}

const SEARCH_KINDS: Record<string, SpanKindName> = {
  server: 'server',
  client: 'client',
  producer: 'producer',
  consumer: 'consumer',
  internal: 'internal',
  unspecified: 'unspecified',
};

/** Hex ids as the trace-by-id API and OTLP use them: trace ids 32 digits, span ids 16. */
export const normalizeTraceId = (id: string): string => id.toLowerCase().padStart(32, '0');
export const normalizeSpanId = (id: string): string => id.toLowerCase().padStart(16, '0');

export interface ParsedSearch {
  spans: MapSpan[];
  /** Traces whose span sets were cut by `spss` (matched > spans returned): read them whole. */
  cutTraces: string[];
  traces: number;
}

/** The spans of a search answer, each once, and the traces the answer cut short. */
export function parseSearchSpans(body: SearchResponseJson): ParsedSearch {
  const spans: MapSpan[] = [];
  const cutTraces: string[] = [];
  const traces = body.traces ?? [];
  for (const t of traces) {
    if (!t.traceID) {
      continue;
    }
    const traceId = normalizeTraceId(t.traceID);
    const sets = t.spanSets ?? (t.spanSet ? [t.spanSet] : []);
    const seen = new Set<string>();
    let cut = false;
    for (const set of sets) {
      const got = set.spans ?? [];
      if ((set.matched ?? got.length) > got.length) {
        cut = true;
      }
      for (const s of got) {
        if (!s.spanID) {
          continue;
        }
        const spanId = normalizeSpanId(s.spanID);
        if (seen.has(spanId)) {
          continue;
        }
        seen.add(spanId);
        spans.push(searchSpan(traceId, spanId, s));
      }
    }
    if (cut) {
      cutTraces.push(traceId);
    }
  }
  return { spans, cutTraces, traces: traces.length };
}

function searchSpan(traceId: string, spanId: string, s: SearchSpanJson): MapSpan {
  const attributes: MapSpan['attributes'] = {};
  let parentSpanId: string | undefined;
  let kind: SpanKindName = 'unspecified';
  let error = false;
  let service: string | undefined;
  let name = s.name;
  for (const kv of s.attributes ?? []) {
    const v = scalar(kv.value);
    if (v === undefined) {
      continue;
    }
    switch (kv.key) {
      case 'span:parentID':
        parentSpanId = String(v) === ROOT_PARENT || v === '' ? undefined : normalizeSpanId(String(v));
        break;
      case 'kind':
        kind = SEARCH_KINDS[String(v)] ?? 'unspecified';
        break;
      case 'status':
        error = v === 'error';
        break;
      case 'service.name':
        service = String(v);
        break;
      case 'name':
        name = String(v);
        break;
      default:
        attributes[kv.key] = v;
    }
  }
  return {
    traceId,
    spanId,
    parentSpanId,
    service,
    name,
    kind,
    error,
    startMs: nanosToMs(s.startTimeUnixNano),
    durationMs: nanosToMs(s.durationNanos),
    attributes,
  };
}

const TRACE_KINDS: Record<string, SpanKindName> = {
  SPAN_KIND_SERVER: 'server',
  SPAN_KIND_CLIENT: 'client',
  SPAN_KIND_PRODUCER: 'producer',
  SPAN_KIND_CONSUMER: 'consumer',
  SPAN_KIND_INTERNAL: 'internal',
  '2': 'server',
  '3': 'client',
  '4': 'producer',
  '5': 'consumer',
  '1': 'internal',
};

/** Base64 (Tempo's trace-by-id JSON) to hex. */
export function base64ToHex(b64: string): string {
  const bin = atob(b64);
  let out = '';
  for (let i = 0; i < bin.length; i += 1) {
    out += bin.charCodeAt(i).toString(16).padStart(2, '0');
  }
  return out;
}

/** Every span of a whole trace, as the search would have given them. */
export function parseTraceSpans(body: TraceResponseJson): MapSpan[] {
  const out: MapSpan[] = [];
  for (const rs of body.trace?.resourceSpans ?? []) {
    const resource = new Map((rs.resource?.attributes ?? []).map((kv) => [kv.key, scalar(kv.value)]));
    const service = resource.get('service.name');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        if (!s.traceId || !s.spanId) {
          continue;
        }
        const attributes: MapSpan['attributes'] = {};
        for (const kv of s.attributes ?? []) {
          const v = scalar(kv.value);
          if (v !== undefined) {
            attributes[kv.key] = v;
          }
        }
        const startMs = nanosToMs(s.startTimeUnixNano);
        const code = String(s.status?.code ?? '');
        out.push({
          traceId: base64ToHex(s.traceId),
          spanId: base64ToHex(s.spanId),
          parentSpanId: s.parentSpanId ? base64ToHex(s.parentSpanId) : undefined,
          service: service === undefined ? undefined : String(service),
          name: s.name,
          kind: TRACE_KINDS[String(s.kind ?? '')] ?? 'unspecified',
          error: code === 'STATUS_CODE_ERROR' || code === '2',
          startMs,
          durationMs: nanosToMs(s.endTimeUnixNano) - startMs,
          attributes,
        });
      }
    }
  }
  return out;
}
