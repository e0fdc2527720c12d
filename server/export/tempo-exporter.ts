import type { SpanRecord } from '../mapping/span-record.ts';
import { createSpanEncoder, type ResourceOptions } from './otlp-encoding.ts';

// POSTs one OTLP/HTTP protobuf request and says whether Tempo accepted it. The outbox drainer
// decides about retries: a batch leaves the outbox only on `accepted`.

export interface ExporterOptions {
  /** Full URL of the OTLP/HTTP traces endpoint, e.g. http://tempo:4318/v1/traces. */
  endpoint: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export type ExportOutcome =
  | { kind: 'accepted' }
  /** Worth retrying later: network error, timeout, 429, 5xx. */
  | { kind: 'retryable'; reason: string; detail: string }
  /** Tempo refused the batch itself (4xx other than 429): retrying the same bytes will not help. */
  | { kind: 'rejected'; reason: string; detail: string };

export class TempoExporter {
  private readonly options: ExporterOptions;
  private readonly encode: (spans: SpanRecord[]) => Uint8Array;
  /** The export in flight, if any: the next one waits for it (see export()). */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(options: ExporterOptions, resource: ResourceOptions) {
    this.options = options;
    this.encode = createSpanEncoder(resource);
  }

  /**
   * Exports run one at a time: the request body is the encoder's own buffer, which the next
   * encode overwrites, so it is not encoded before the previous request has its answer.
   */
  export(spans: SpanRecord[]): Promise<ExportOutcome> {
    const outcome = this.previous.then(() => this.send(spans));
    this.previous = outcome.catch(() => undefined);
    return outcome;
  }

  private async send(spans: SpanRecord[]): Promise<ExportOutcome> {
    const body = this.encode(spans);
    let response: Response;
    try {
      response = await fetch(this.options.endpoint, {
        method: 'POST',
        headers: { ...this.options.headers, 'content-type': 'application/x-protobuf' },
        // A view of the encoder's Buffer, whose type is only declared as ArrayBufferLike.
        body: body as Uint8Array<ArrayBuffer>,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      const detail =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      const reason = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network';
      return { kind: 'retryable', reason, detail };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      return { kind: 'accepted' };
    }
    const detail = `HTTP ${response.status}: ${text.slice(0, 300)}`;
    if (response.status === 429 || response.status >= 500 || response.status === 408) {
      return { kind: 'retryable', reason: `http_${response.status}`, detail };
    }
    return { kind: 'rejected', reason: `http_${response.status}`, detail };
  }
}
