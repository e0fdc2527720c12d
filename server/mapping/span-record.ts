import type { SpanName } from '../../src/review-model/span-schema.ts';

// A complete span as plain data: what the mapper produces, the outbox stores (as JSON) and the
// exporter encodes. Times are epoch milliseconds, because Gerrit's resolution is seconds.

export type AttributeValue = string | number | boolean | string[];
export type SpanStatus = 'unset' | 'ok' | 'error';

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: SpanName;
  startMs: number;
  endMs: number;
  status: SpanStatus;
  /** An undefined value means the attribute is absent (JSON and the OTLP writer skip it). */
  attributes: Record<string, AttributeValue | undefined>;
}
