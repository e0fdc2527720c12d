import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

/**
 * A loopback HTTP proxy in front of Tempo's OTLP/HTTP receiver that the fault tests drive. It
 * decodes every request (OTLP/HTTP JSON, gzip or not), counts per span id how often it was
 * forwarded to Tempo and how often Tempo acknowledged it (answered 2xx), and can make Tempo look
 * unreachable, slow, or as if its answer was lost. These counts are an observer independent of the
 * sidecar's own bookkeeping: "duplicated" means Tempo accepted the same span id twice.
 */
export class OtlpProxy {
  private readonly forwardedBySpan = new Map<string, number>();
  private readonly acknowledgedBySpan = new Map<string, number>();
  private readonly traceIdBySpan = new Map<string, string>();
  private readonly firstAckAtBySpan = new Map<string, number>();
  private readonly decodeErrors: string[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private delayMs = 0;
  private dropProbability = 0;
  private dropRandom: () => number = Math.random;
  private hanging = false;
  /** Requests received (decoded or not). */
  requests = 0;
  /** Answers Tempo gave with a 2xx that the client never got (dropAnswers, hangAnswers). */
  answersWithheld = 0;
  /** Requests Tempo itself did not answer (it was down, or the connection to it failed). */
  upstreamFailures = 0;

  private readonly tempoOtlpUrl: URL;
  readonly port: number;

  private constructor(tempoOtlpUrl: URL, port: number) {
    this.tempoOtlpUrl = tempoOtlpUrl;
    this.port = port;
  }

  /** Starts listening on a free loopback port; `tempoOtlpUrl` is Tempo's /v1/traces URL. */
  static async start(tempoOtlpUrl: string): Promise<OtlpProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const proxy = new OtlpProxy(new URL(tempoOtlpUrl), port);
    await proxy.accept();
    return proxy;
  }

  /** The URL to configure as the OTLP traces endpoint. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  /** Per span id: how many times a request carrying it went on to Tempo. */
  get forwarded(): ReadonlyMap<string, number> {
    return this.forwardedBySpan;
  }

  /** Per span id: how many times Tempo answered 2xx to a request carrying it. */
  get acknowledged(): ReadonlyMap<string, number> {
    return this.acknowledgedBySpan;
  }

  /** Per span id: its trace id (hex), as the requests carried it. */
  get traceIds(): ReadonlyMap<string, string> {
    return this.traceIdBySpan;
  }

  /** Per span id: performance.now() of this process when Tempo first acknowledged it. */
  get firstAcknowledgedAt(): ReadonlyMap<string, number> {
    return this.firstAckAtBySpan;
  }

  /** Requests it could not decode, or that were not OTLP trace requests: a test must fail on any. */
  get errors(): readonly string[] {
    return this.decodeErrors;
  }

  /** Span ids Tempo acknowledged more than once. */
  duplicatedAcknowledged(): string[] {
    return [...this.acknowledgedBySpan].filter(([, n]) => n > 1).map(([id]) => id);
  }

  /** Stops listening and resets open connections: the client gets connection refused or reset. */
  async refuse(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) {
      socket.resetAndDestroy();
    }
    this.sockets.clear();
    await closed;
  }

  /** Listens again on the same port. */
  async accept(): Promise<void> {
    if (this.server) {
      return;
    }
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Holds each request this long before forwarding it (a slow Tempo); 0 for none. */
  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  /**
   * With this probability per request, forwards it, lets Tempo answer (its 2xx counts as
   * acknowledged: Tempo has the spans), then resets the client's connection without answering.
   */
  dropAnswers(probability: number, random: () => number = Math.random): void {
    this.dropProbability = probability;
    this.dropRandom = random;
  }

  /** While on, forwards each request and counts Tempo's answer but never answers the client. */
  hangAnswers(on: boolean): void {
    this.hanging = on;
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    const body = await readBody(req).catch(() => undefined);
    if (body === undefined) {
      return; // the client went away mid-request: nothing reached Tempo
    }
    let spans: DecodedSpan[] | undefined;
    try {
      if (req.method !== 'POST' || req.url !== this.tempoOtlpUrl.pathname) {
        throw new Error(`${req.method} ${req.url} is not an OTLP trace export`);
      }
      spans = decodeOtlpJson(body, req.headers['content-type'], req.headers['content-encoding']);
    } catch (err) {
      this.decodeErrors.push(`request ${this.requests}: ${(err as Error).message}`);
    }
    if (this.delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    }
    for (const span of spans ?? []) {
      this.forwardedBySpan.set(span.spanId, (this.forwardedBySpan.get(span.spanId) ?? 0) + 1);
      this.traceIdBySpan.set(span.spanId, span.traceId);
    }
    let answer: TempoAnswer;
    try {
      answer = await forward(this.tempoOtlpUrl, req, body);
    } catch (err) {
      this.upstreamFailures += 1;
      res
        .writeHead(502, { 'content-type': 'text/plain' })
        .end(`OTLP proxy: Tempo unreachable: ${(err as Error).message}`);
      return;
    }
    const acked = answer.status >= 200 && answer.status < 300;
    if (acked) {
      const now = performance.now();
      for (const span of spans ?? []) {
        this.acknowledgedBySpan.set(span.spanId, (this.acknowledgedBySpan.get(span.spanId) ?? 0) + 1);
        if (!this.firstAckAtBySpan.has(span.spanId)) {
          this.firstAckAtBySpan.set(span.spanId, now);
        }
      }
    }
    if (this.hanging) {
      this.answersWithheld += acked ? 1 : 0;
      return; // never answered; the socket stays open until the client gives up
    }
    if (this.dropProbability > 0 && this.dropRandom() < this.dropProbability) {
      this.answersWithheld += acked ? 1 : 0;
      req.socket.resetAndDestroy();
      return;
    }
    res.writeHead(answer.status, answer.headers).end(answer.body);
  }
}

interface DecodedSpan {
  traceId: string;
  spanId: string;
}

interface TempoAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) {
        reject(new Error('the client went away mid-request'));
      }
    });
  });
}

const HEX_SPAN_ID = /^[0-9a-f]{16}$/;
const HEX_TRACE_ID = /^[0-9a-f]{32}$/;

/** The span and trace ids of an OTLP/HTTP JSON ExportTraceServiceRequest; throws on anything else. */
export function decodeOtlpJson(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
): DecodedSpan[] {
  if (!contentType?.startsWith('application/json')) {
    throw new Error(`content-type ${contentType ?? '(none)'}: only OTLP/HTTP JSON is decoded`);
  }
  let raw: Buffer;
  if (contentEncoding === 'gzip') {
    raw = gunzipSync(body);
  } else if (contentEncoding === undefined || contentEncoding === 'identity') {
    raw = body;
  } else {
    throw new Error(`content-encoding ${contentEncoding} is not supported`);
  }
  const request = JSON.parse(raw.toString('utf8')) as unknown;
  const spans: DecodedSpan[] = [];
  for (const resourceSpans of arrayField(request, 'resourceSpans')) {
    for (const scopeSpans of arrayField(resourceSpans, 'scopeSpans')) {
      for (const span of arrayField(scopeSpans, 'spans')) {
        const { spanId, traceId } = span as { spanId?: unknown; traceId?: unknown };
        if (typeof spanId !== 'string' || !HEX_SPAN_ID.test(spanId)) {
          throw new Error(`span id ${JSON.stringify(spanId)} is not 16 lowercase hex digits`);
        }
        if (typeof traceId !== 'string' || !HEX_TRACE_ID.test(traceId)) {
          throw new Error(`trace id ${JSON.stringify(traceId)} is not 32 lowercase hex digits`);
        }
        spans.push({ spanId, traceId });
      }
    }
  }
  return spans;
}

function arrayField(value: unknown, key: string): unknown[] {
  const field = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  if (field === undefined) {
    return []; // proto3 JSON leaves out empty repeated fields
  }
  if (!Array.isArray(field)) {
    throw new Error(`${key} is not an array`);
  }
  return field;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<TempoAnswer> {
  const headers: Record<string, string> = { 'content-length': String(body.length) };
  for (const name of ['content-type', 'content-encoding', 'x-scope-orgid', 'authorization', 'user-agent']) {
    const value = req.headers[name];
    if (typeof value === 'string') {
      headers[name] = value;
    }
  }
  return new Promise((resolve, reject) => {
    const upstream = request(target, { method: 'POST', headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const answerHeaders: Record<string, string> = {};
        for (const name of ['content-type', 'retry-after']) {
          const value = res.headers[name];
          if (typeof value === 'string') {
            answerHeaders[name] = value;
          }
        }
        resolve({ status: res.statusCode ?? 502, headers: answerHeaders, body: Buffer.concat(chunks) });
      });
    });
    upstream.on('timeout', () => upstream.destroy(new Error('Tempo did not answer within 30 s')));
    upstream.on('error', reject);
    upstream.end(body);
  });
}
