import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { readableSpan } from '../export/otlp-spans.ts';
import { exportOutcome, type ExportOutcome } from '../export/tempo-exporter.ts';
import type { SpanKindName, TopologySpan } from './service-topology.ts';

// The demo topology's spans, sent with OpenTelemetry's own OTLP/HTTP exporter: one resource per
// service, as instrumented services send them.

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

/** The spans as OpenTelemetry's exporters take them, each under its service's resource. */
export function topologyReadableSpans(spans: TopologySpan[], namespace = DEMO_NAMESPACE): ReadableSpan[] {
  const resources = new Map<string, Resource>();
  const resourceOf = (service: string) => {
    let resource = resources.get(service);
    if (!resource) {
      resource = resourceFromAttributes({ 'service.name': service, 'service.namespace': namespace });
      resources.set(service, resource);
    }
    return resource;
  };
  return spans.map((s) =>
    readableSpan(
      { ...s, kind: KIND[s.kind], statusCode: s.error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
      resourceOf(s.service),
      SCOPE,
    ),
  );
}

/** Sends spans to an OTLP/HTTP traces endpoint with OpenTelemetry's exporter, about `batchSpans` a request. */
export async function sendTopologySpans(
  endpoint: string,
  spans: TopologySpan[],
  options: { headers?: Record<string, string>; batchSpans?: number; timeoutMs?: number; namespace?: string } = {},
): Promise<void> {
  const exporter = new OTLPTraceExporter({
    url: endpoint,
    headers: options.headers ?? {},
    timeoutMillis: options.timeoutMs ?? 30_000,
  });
  try {
    const batch = options.batchSpans ?? 2000;
    for (let i = 0; i < spans.length; i += batch) {
      const readable = topologyReadableSpans(spans.slice(i, i + batch), options.namespace);
      const outcome = await new Promise<ExportOutcome>((resolve) =>
        exporter.export(readable, (result) => resolve(exportOutcome(result))),
      );
      if (outcome.kind !== 'accepted') {
        throw new Error(`OTLP endpoint ${endpoint} did not accept the demo topology: ${outcome.detail}`);
      }
    }
  } finally {
    await exporter.shutdown();
  }
}
