import { SpanKind, SpanStatusCode, TraceFlags, type HrTime } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanKindName, TopologySpan } from './service-topology.ts';

// The demo topology's spans as OTLP/HTTP protobuf, through OpenTelemetry's own serializer: one
// resource per service, as instrumented services send them.

const KIND: Record<SpanKindName, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

const SCOPE = { name: 'reviewtrace-demo-topology', version: '0.1.0' };

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** `service.namespace` of the demo's services; tests send theirs under another one. */
export const DEMO_NAMESPACE = 'reviewtrace-demo';

export function encodeTopologySpans(spans: TopologySpan[], namespace = DEMO_NAMESPACE): Uint8Array {
  const resources = new Map<string, Resource>();
  const resourceOf = (service: string) => {
    let resource = resources.get(service);
    if (!resource) {
      resource = resourceFromAttributes({ 'service.name': service, 'service.namespace': namespace });
      resources.set(service, resource);
    }
    return resource;
  };
  const readable = spans.map((s): ReadableSpan => {
    const context = { traceId: s.traceId, spanId: s.spanId, traceFlags: TraceFlags.SAMPLED };
    return {
      name: s.name,
      kind: KIND[s.kind],
      spanContext: () => context,
      parentSpanContext: s.parentSpanId
        ? { traceId: s.traceId, spanId: s.parentSpanId, traceFlags: TraceFlags.SAMPLED }
        : undefined,
      startTime: hrTime(s.startMs),
      endTime: hrTime(s.endMs),
      duration: hrTime(s.endMs - s.startMs),
      status: { code: s.error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
      attributes: s.attributes,
      links: [],
      events: [],
      ended: true,
      resource: resourceOf(s.service),
      instrumentationScope: SCOPE,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  });
  const body = ProtobufTraceSerializer.serializeRequest(readable);
  if (!body) {
    throw new Error('OTLP serializer returned no body');
  }
  return body;
}

/** Sends spans to an OTLP/HTTP traces endpoint in requests of about `batchSpans` spans. */
export async function sendTopologySpans(
  endpoint: string,
  spans: TopologySpan[],
  options: { headers?: Record<string, string>; batchSpans?: number; timeoutMs?: number; namespace?: string } = {},
): Promise<void> {
  const batch = options.batchSpans ?? 2000;
  for (let i = 0; i < spans.length; i += batch) {
    const body = encodeTopologySpans(spans.slice(i, i + batch), options.namespace);
    const r = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', ...options.headers },
      body: body as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    if (!r.ok) {
      throw new Error(`OTLP endpoint ${endpoint} answered HTTP ${r.status} for the demo topology`);
    }
  }
}
