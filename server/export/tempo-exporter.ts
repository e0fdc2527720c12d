import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { CompressionAlgorithm, OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanRecord } from '../mapping/span-record.ts';
import { createSpanAdapter, type ResourceOptions } from './otlp-spans.ts';

// Sends one batch of spans with OpenTelemetry's own OTLP/HTTP exporter and says whether Tempo
// accepted it. The exporter brings the encoding, compression, timeouts, headers, and retries on
// 429/502/503/504 within the timeout; the outbox drainer decides what happens after a failure: a
// batch leaves the outbox only on `accepted`.

export interface ExporterOptions {
  /** Full URL of the OTLP/HTTP traces endpoint, e.g. http://tempo:4318/v1/traces. */
  endpoint: string;
  /** Tenant (X-Scope-OrgID), authorization and any other headers. */
  headers: Record<string, string>;
  /** One export's deadline, the exporter's own retries included. */
  timeoutMs: number;
  /** gzip the request bodies (default true). */
  gzip?: boolean;
}

export type ExportOutcome =
  | { kind: 'accepted' }
  /** Worth retrying later: network error, timeout, 408, 429, 5xx. */
  | { kind: 'retryable'; reason: string; detail: string }
  /** Tempo refused the batch itself (4xx other than 408 and 429): retrying the same spans will not help. */
  | { kind: 'rejected'; reason: string; detail: string };

export class TempoExporter {
  private readonly exporter: OTLPTraceExporter;
  private readonly toSpans: (records: SpanRecord[]) => ReadableSpan[];

  constructor(options: ExporterOptions, resource: ResourceOptions) {
    this.exporter = new OTLPTraceExporter({
      url: options.endpoint,
      headers: options.headers,
      timeoutMillis: options.timeoutMs,
      compression: options.gzip === false ? CompressionAlgorithm.NONE : CompressionAlgorithm.GZIP,
    });
    this.toSpans = createSpanAdapter(resource);
  }

  export(spans: SpanRecord[]): Promise<ExportOutcome> {
    return new Promise((resolve) => {
      this.exporter.export(this.toSpans(spans), (result) => resolve(exportOutcome(result)));
    });
  }

  /** Waits for exports in flight and closes the exporter's connections. */
  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/** What the exporter's result means for the outbox (see ExportOutcome). */
export function exportOutcome(result: ExportResult): ExportOutcome {
  if (result.code === ExportResultCode.SUCCESS) {
    return { kind: 'accepted' };
  }
  const error = result.error;
  const message = error?.message || 'export failed';
  // Tempo's answer (a status the exporter does not retry, or one it gave up retrying on).
  const status = error instanceof OTLPExporterError ? error.code : undefined;
  if (status !== undefined) {
    const detail = `HTTP ${status}: ${(error instanceof OTLPExporterError && error.data) || message}`.slice(0, 300);
    const retryable = status === 408 || status === 429 || status >= 500;
    return { kind: retryable ? 'retryable' : 'rejected', reason: `http_${status}`, detail };
  }
  if (error instanceof OTLPExporterError && /retryable status/i.test(message)) {
    // 429/502/503/504 still, after the exporter's own retries within the timeout.
    return { kind: 'retryable', reason: 'http_retries_exhausted', detail: message };
  }
  if (/timed out/i.test(message)) {
    return { kind: 'retryable', reason: 'timeout', detail: message };
  }
  // Connection refused or reset, DNS, a retryable status still failing after the exporter's own
  // retries: Tempo may answer later.
  return { kind: 'retryable', reason: 'network', detail: message };
}
