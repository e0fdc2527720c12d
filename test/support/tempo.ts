import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceSpan } from '../../src/review-model/change-timeline.ts';
import { TempoReader } from '../../server/query/tempo-reader.ts';
import { ManagedProcess } from './child-process.ts';
import { freePort, waitFor } from './wait.ts';

// A real Tempo (built by scripts/tempo/install-tempo.sh) on loopback ports.

/** A span read back from Tempo (the sidecar's own reader parses Tempo's OTLP JSON). */
export type TempoSpan = TraceSpan;

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

  /** The major version start-tempo.sh wrote a configuration for (it says so in the file's first line). */
  get major(): 2 | 3 {
    return readFileSync(join(this.dataDir, 'tempo.yaml'), 'utf8').split('\n', 1)[0].includes('Tempo 3.x') ? 3 : 2;
  }

  /**
   * Stops Tempo. 2.x: flush, SIGTERM, SIGKILL after a grace period, because Tempo 2.8 can hang on
   * SIGTERM after a query (see scripts/tempo/README.md). 3.x has no /flush: it flushes its
   * live-store on SIGTERM, which takes about 30 s.
   */
  async stop(): Promise<void> {
    if (this.major === 3) {
      await this.process?.stop(45_000);
      return;
    }
    // Cut blocks first: a killed Tempo drops a WAL block it cannot replay.
    await fetch(`${this.url}/flush`).catch(() => undefined);
    await this.process?.stop(5_000);
  }

  trace(traceId: string): Promise<TempoSpan[]> {
    return new TempoReader(this.url, {}, 10_000).trace(traceId);
  }
}
