import { SpanKind, SpanStatusCode, TraceFlags, type HrTime, type SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ResourceAttr } from '../../src/review-model/span-schema.ts';
import type { SpanRecord, SpanStatus } from '../mapping/span-record.ts';

// Encodes stored span records as an OTLP/HTTP protobuf request with OpenTelemetry's own
// serializer. The records are already complete (ids, times and attributes come from Gerrit), so
// they are adapted to ReadableSpan rather than recreated through a Tracer, which would assign
// fresh ids and the current time.

export interface ResourceOptions {
  serviceName: string;
  serverAddress: string;
}

const SCOPE = { name: 'reviewtrace-server', version: '0.1.0' };
const STATUS: Record<SpanStatus, SpanStatusCode> = {
  unset: SpanStatusCode.UNSET,
  ok: SpanStatusCode.OK,
  error: SpanStatusCode.ERROR,
};

export function reviewTraceResource(options: ResourceOptions): Resource {
  return resourceFromAttributes({
    [ResourceAttr.serviceName]: options.serviceName,
    [ResourceAttr.vcsProvider]: 'gerrit',
    [ResourceAttr.serverAddress]: options.serverAddress,
  });
}

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, (ms - seconds * 1000) * 1e6];
}

export function toReadableSpan(record: SpanRecord, resource: Resource): ReadableSpan {
  const context: SpanContext = { traceId: record.traceId, spanId: record.spanId, traceFlags: TraceFlags.SAMPLED };
  const parentSpanContext: SpanContext | undefined = record.parentSpanId
    ? { traceId: record.traceId, spanId: record.parentSpanId, traceFlags: TraceFlags.SAMPLED }
    : undefined;
  return {
    name: record.name,
    kind: SpanKind.INTERNAL,
    spanContext: () => context,
    parentSpanContext,
    startTime: hrTime(record.startMs),
    endTime: hrTime(record.endMs),
    duration: hrTime(record.endMs - record.startMs),
    status: { code: STATUS[record.status] },
    attributes: record.attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

export function encodeSpans(records: SpanRecord[], resource: Resource): Uint8Array {
  const body = ProtobufTraceSerializer.serializeRequest(records.map((r) => toReadableSpan(r, resource)));
  if (!body) {
    throw new Error('OTLP serializer returned no body');
  }
  return body;
}
