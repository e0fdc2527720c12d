import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Attributes,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { ResourceAttr } from '../../src/review-model/span-schema.ts';
import type { SpanRecord, SpanStatus } from '../mapping/span-record.ts';

// The sidecar's finished spans as OpenTelemetry's exporters take them (ReadableSpan), with the
// resource and scope every exported request carries. The OTLP encoding itself is the official
// exporter's (tempo-exporter.ts).

export interface ResourceOptions {
  serviceName: string;
  serverAddress: string;
}

export const SCOPE = { name: 'reviewtrace-server', version: '0.1.0' };

export function resourceAttributes(options: ResourceOptions): Record<string, string> {
  return {
    [ResourceAttr.serviceName]: options.serviceName,
    [ResourceAttr.vcsProvider]: 'gerrit',
    [ResourceAttr.serverAddress]: options.serverAddress,
  };
}

const STATUS: Record<SpanStatus, SpanStatusCode> = {
  unset: SpanStatusCode.UNSET,
  ok: SpanStatusCode.OK,
  error: SpanStatusCode.ERROR,
};

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** A finished span in plain fields (ids in hex, times in epoch ms). */
export interface PlainSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  statusCode: SpanStatusCode;
  attributes: Attributes;
}

/** A finished span as OpenTelemetry's exporters take it. */
export function readableSpan(span: PlainSpan, resource: Resource, scope: InstrumentationScope): ReadableSpan {
  const context: SpanContext = { traceId: span.traceId, spanId: span.spanId, traceFlags: TraceFlags.SAMPLED };
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => context,
    parentSpanContext: span.parentSpanId
      ? { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED }
      : undefined,
    startTime: hrTime(span.startMs),
    endTime: hrTime(span.endMs),
    duration: hrTime(span.endMs - span.startMs),
    status: { code: span.statusCode },
    attributes: span.attributes,
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: scope,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** The sidecar's spans under one resource (the Gerrit server's). */
export function createSpanAdapter(options: ResourceOptions): (records: SpanRecord[]) => ReadableSpan[] {
  const resource = resourceFromAttributes(resourceAttributes(options));
  return (records) =>
    records.map((record) => {
      const attributes: Attributes = {};
      for (const key in record.attributes) {
        const value = record.attributes[key];
        if (value !== undefined) {
          attributes[key] = value;
        }
      }
      return readableSpan(
        { ...record, kind: SpanKind.INTERNAL, statusCode: STATUS[record.status], attributes },
        resource,
        SCOPE,
      );
    });
}
