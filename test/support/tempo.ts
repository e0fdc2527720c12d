import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess } from './child-process.ts';
import { freePort, waitFor } from './wait.ts';

// A real Tempo (built by scripts/tempo/install-tempo.sh) on loopback ports, and a reader of its
// trace-by-id API that turns OTLP JSON back into plain spans.

export interface TempoSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  status: 'unset' | 'ok' | 'error';
  attributes: Record<string, string | number | boolean | string[]>;
}

const repo = new URL('../../', import.meta.url).pathname;

export class TempoServer {
  readonly dataDir: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly otlpPort: number;
  private process: ManagedProcess | undefined;

  private constructor(dataDir: string, httpPort: number, grpcPort: number, otlpPort: number) {
    this.dataDir = dataDir;
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
    this.otlpPort = otlpPort;
  }

  static async start(dataDir: string): Promise<TempoServer> {
    mkdirSync(dataDir, { recursive: true });
    const tempo = new TempoServer(dataDir, await freePort(), await freePort(), await freePort());
    await tempo.resume();
    return tempo;
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get otlpEndpoint(): string {
    return `http://127.0.0.1:${this.otlpPort}/v1/traces`;
  }

  /** Starts (again) on the same ports and data directory. */
  async resume(): Promise<void> {
    this.process = new ManagedProcess(
      'bash',
      [
        join(repo, 'scripts/tempo/start-tempo.sh'),
        this.dataDir,
        String(this.httpPort),
        String(this.grpcPort),
        String(this.otlpPort),
      ],
      {
        logPath: join(this.dataDir, 'tempo.log'),
        env: { ...process.env, TEMPO_BIN: process.env.REVIEWTRACE_TEMPO_BIN ?? process.env.TEMPO_BIN },
      },
    );
    await waitFor(
      'Tempo /ready',
      async () => {
        if (!this.process?.running) {
          throw new Error(`Tempo exited; see ${join(this.dataDir, 'tempo.log')}`);
        }
        const r = await fetch(`${this.url}/ready`).catch(() => undefined);
        return r?.ok ? true : undefined;
      },
      60_000,
    );
  }

  /**
   * Stops Tempo: flush, SIGTERM, SIGKILL after a grace period, because Tempo 2.8 can hang on
   * SIGTERM after a query (see scripts/tempo/README.md).
   */
  async stop(): Promise<void> {
    // Cut blocks first: a killed Tempo drops a WAL block it cannot replay.
    await fetch(`${this.url}/flush`).catch(() => undefined);
    await this.process?.stop(5_000);
  }

  async trace(traceId: string): Promise<TempoSpan[]> {
    const r = await fetch(`${this.url}/api/v2/traces/${traceId}`);
    if (r.status === 404) {
      return [];
    }
    if (!r.ok) {
      throw new Error(`Tempo answered ${r.status} for trace ${traceId}: ${await r.text()}`);
    }
    const body = (await r.json()) as { trace?: OtlpTrace };
    return spansOf(body.trace ?? {});
  }
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpTrace {
  resourceSpans?: {
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        status?: { code?: string | number };
        attributes?: { key: string; value: OtlpValue }[];
      }[];
    }[];
  }[];
}

const hex = (b64: string) => Buffer.from(b64, 'base64').toString('hex');

function value(v: OtlpValue): string | number | boolean | string[] {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  return (v.arrayValue?.values ?? []).map((x) => String(value(x)));
}

function statusOf(code: string | number | undefined): TempoSpan['status'] {
  if (code === 1 || code === 'STATUS_CODE_OK') return 'ok';
  if (code === 2 || code === 'STATUS_CODE_ERROR') return 'error';
  return 'unset';
}

export function spansOf(trace: OtlpTrace): TempoSpan[] {
  const out: TempoSpan[] = [];
  for (const rs of trace.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: s.parentSpanId ? hex(s.parentSpanId) : undefined,
          name: s.name,
          startMs: Math.round(Number(BigInt(s.startTimeUnixNano) / 1000n) / 1000),
          endMs: Math.round(Number(BigInt(s.endTimeUnixNano) / 1000n) / 1000),
          status: statusOf(s.status?.code),
          attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, value(a.value)])),
        });
      }
    }
  }
  return out;
}
