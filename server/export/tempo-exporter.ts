import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { CompressionAlgorithm, OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import type { SpanRecord } from '../mapping/span-record.ts';
import { createSpanAdapter, type ResourceOptions } from './otlp-spans.ts';

// Sends one batch of spans with OpenTelemetry's own OTLP/HTTP exporter and says what Tempo did
// with it. The exporter brings the encoding, compression, timeouts and headers. Its own retries
// are let through only where the attempt before provably did not reach Tempo (no connection, or
// Tempo answered 429/503): a blind re-send after a timeout or a reset could store the spans twice.
// The outbox drainer decides what happens after a failure: a batch leaves the outbox only on
// `accepted`, or once Tempo is seen to hold its spans (see OutboxDrainer).

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
  /** Nothing of the batch reached Tempo (no connection; or Tempo answered 429/503): send it again later. */
  | { kind: 'notSent'; reason: string; detail: string }
  /**
   * The batch may have reached Tempo but no answer says so (a timeout, a reset connection, a 5xx of
   * a proxy or of Tempo): find out which spans Tempo has before sending any of them again.
   */
  | { kind: 'unknown'; reason: string; detail: string }
  /** Tempo refused the batch itself (4xx other than 408 and 429): retrying the same spans will not help. */
  | { kind: 'rejected'; reason: string; detail: string };

/** What one HTTP attempt of an export is known to have done. */
export interface AttemptTrace {
  /** A connection to the endpoint existed, so the request may have been written. */
  connected: boolean;
  /** Tempo's (or a proxy's) HTTP status, when an answer arrived. */
  status?: number;
  /** The socket's error, when the attempt ended in one (ECONNRESET, ECONNREFUSED). */
  error?: string;
}

/** One export call's HTTP attempts, seen by the exporter's agent (AsyncLocalStorage follows the call). */
interface ExportAttempts {
  last?: AttemptTrace;
}

const currentExport = new AsyncLocalStorage<ExportAttempts>();

/** An attempt that provably did not store anything in Tempo. */
export function didNotReachTempo(attempt: AttemptTrace): boolean {
  return !attempt.connected || attempt.status === 429 || attempt.status === 503;
}

class BlindRetryRefused extends Error {
  override name = 'BlindRetryRefused';
  readonly code = 'REVIEWTRACE_BLIND_RETRY';
  constructor() {
    super('the attempt before may have reached Tempo: not sent again blindly');
  }
}

// `addRequest` is how every http.ClientRequest asks its agent for a socket. Node does not document
// it, but proxy and tracing agents have overridden it for a decade; it is the one place that sees
// what each attempt of the exporter's own retry loop did without replacing its transport.
type AgentWithAddRequest = { addRequest(req: ClientRequest, options: object): void };

/** The exporter's HTTP agent: keep-alive as the exporter's default, and every attempt watched. */
function watchingAgent(protocol: string): HttpAgent {
  const agent = protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const internals = agent as unknown as AgentWithAddRequest;
  const addRequest = internals.addRequest.bind(agent);
  internals.addRequest = (req, options) => {
    const attempts = currentExport.getStore();
    if (attempts) {
      const attempt: AttemptTrace = { connected: false };
      attempts.last = attempt;
      req.once('socket', (socket) => {
        if (socket.connecting) {
          socket.once('connect', () => (attempt.connected = true));
        } else {
          attempt.connected = true;
        }
      });
      req.once('response', (res) => (attempt.status = res.statusCode));
      req.once('error', (err) => (attempt.error ??= err.message));
    }
    addRequest(req, options);
  };
  return agent;
}

/**
 * The exporter asks for its headers before every attempt: the place to stop a retry whose attempt
 * before may have reached Tempo. The export then fails, and the drainer reads the spans back.
 */
function headersUnlessBlindRetry(headers: Record<string, string>): () => Promise<Record<string, string>> {
  return () => {
    const attempts = currentExport.getStore();
    if (attempts?.last && !didNotReachTempo(attempts.last)) {
      return Promise.reject(new BlindRetryRefused());
    }
    return Promise.resolve(headers);
  };
}

export class TempoExporter {
  private readonly exporter: OTLPTraceExporter;
  private readonly toSpans: (records: SpanRecord[]) => ReadableSpan[];

  constructor(options: ExporterOptions, resource: ResourceOptions) {
    this.exporter = new OTLPTraceExporter({
      url: options.endpoint,
      headers: headersUnlessBlindRetry(options.headers),
      timeoutMillis: options.timeoutMs,
      compression: options.gzip === false ? CompressionAlgorithm.NONE : CompressionAlgorithm.GZIP,
      httpAgentOptions: watchingAgent,
    });
    this.toSpans = createSpanAdapter(resource);
  }

  export(spans: SpanRecord[]): Promise<ExportOutcome> {
    const attempts: ExportAttempts = {};
    return new Promise((resolve) => {
      currentExport.run(attempts, () =>
        this.exporter.export(this.toSpans(spans), (result) => resolve(exportOutcome(result, attempts.last))),
      );
    });
  }

  /** Waits for exports in flight and closes the exporter's connections. */
  shutdown(): Promise<void> {
    return this.exporter.shutdown();
  }
}

/** What the exporter's result, and what its last HTTP attempt is known to have done, mean for the outbox. */
export function exportOutcome(result: ExportResult, lastAttempt?: AttemptTrace): ExportOutcome {
  if (result.code === ExportResultCode.SUCCESS) {
    return { kind: 'accepted' };
  }
  const error = result.error;
  // After a refused blind retry, the attempt before it says what went wrong.
  const message =
    (error instanceof BlindRetryRefused ? lastAttempt?.error : error?.message) || lastAttempt?.error || 'export failed';
  const status = lastAttempt?.status ?? (error instanceof OTLPExporterError ? error.code : undefined);
  if (status !== undefined) {
    const body = error instanceof OTLPExporterError && error.code === status ? error.data : undefined;
    const detail = `HTTP ${status}: ${body || message}`.slice(0, 300);
    const reason = `http_${status}`;
    if (status === 429 || status === 503) {
      return { kind: 'notSent', reason, detail };
    }
    if (status >= 400 && status < 500 && status !== 408) {
      return { kind: 'rejected', reason, detail };
    }
    return { kind: 'unknown', reason, detail };
  }
  if (lastAttempt && !lastAttempt.connected) {
    // Connection refused, DNS, no route: the request never left.
    return { kind: 'notSent', reason: 'network', detail: message };
  }
  if (/timed out/i.test(message)) {
    return { kind: 'unknown', reason: 'timeout', detail: message };
  }
  // Reset or closed after the request went out, or no attempt was seen at all.
  return { kind: 'unknown', reason: 'no_answer', detail: message };
}
