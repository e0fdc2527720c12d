import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { readableSpan, serializeSpans } from '../export/otlp-encoding.ts';
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
  return serializeSpans(
    spans.map((s) =>
      readableSpan(
        { ...s, kind: KIND[s.kind], statusCode: s.error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
        resourceOf(s.service),
        SCOPE,
      ),
    ),
  );
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
