import assert from 'node:assert/strict';

// Tempo's answers read by the tests themselves, not by the product's TempoReader: an observer
// independent of the code under test (OTLP JSON as Tempo's HTTP API returns it, base64 ids).

export interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}

export interface RawSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
}

export function otlpValue(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) {
    return v.stringValue;
  }
  if (v.intValue !== undefined) {
    return Number(v.intValue);
  }
  if (v.doubleValue !== undefined) {
    return v.doubleValue;
  }
  if (v.boolValue !== undefined) {
    return v.boolValue;
  }
  return (v.arrayValue?.values ?? []).map(otlpValue);
}

const nanosToMs = (n: string | number) => Number(BigInt(String(n)) / 1_000_000n);

/** A trace by id straight from Tempo's HTTP API (/api/v2/traces), parsed here. */
export async function readRawTrace(tempoUrl: string, traceId: string): Promise<RawSpan[]> {
  const r = await fetch(`${tempoUrl}/api/v2/traces/${traceId}`);
  if (r.status === 404) {
    return [];
  }
  assert.ok(r.ok, `Tempo trace ${traceId}: HTTP ${r.status}`);
  const body = (await r.json()) as {
    trace?: {
      resourceSpans?: {
        scopeSpans?: {
          spans?: {
            spanId: string;
            parentSpanId?: string;
            name: string;
            startTimeUnixNano: string;
            endTimeUnixNano: string;
            attributes?: { key: string; value: OtlpValue }[];
          }[];
        }[];
      }[];
    };
  };
  const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');
  return (body.trace?.resourceSpans ?? []).flatMap((rs) =>
    (rs.scopeSpans ?? []).flatMap((ss) =>
      (ss.spans ?? []).map((s) => ({
        spanId: hex(s.spanId),
        parentSpanId: s.parentSpanId ? hex(s.parentSpanId) : undefined,
        name: s.name,
        startMs: nanosToMs(s.startTimeUnixNano),
        endMs: nanosToMs(s.endTimeUnixNano),
        attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, otlpValue(a.value)])),
      })),
    ),
  );
}
