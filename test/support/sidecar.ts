import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ManagedProcess } from './child-process.ts';
import { freePort, waitFor } from './wait.ts';

// The sidecar under test, as users run it: the real CLI in its own process, configured through
// environment variables.

const repo = new URL('../../', import.meta.url).pathname;

export class SidecarProcess {
  readonly port: number;
  readonly process: ManagedProcess;
  readonly apiToken = 'integration-test-token-0123456789';

  private constructor(port: number, process: ManagedProcess) {
    this.port = port;
    this.process = process;
  }

  static async start(args: string[], env: Record<string, string>, logPath: string): Promise<SidecarProcess> {
    const port = await freePort();
    const child = new ManagedProcess(process.execPath, [join(repo, 'server/bin/reviewtrace-server.ts'), ...args], {
      logPath,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVIEWTRACE_HTTP__HOST: '127.0.0.1',
        REVIEWTRACE_HTTP__PORT: String(port),
        REVIEWTRACE_HTTP__API_TOKEN: 'integration-test-token-0123456789',
        REVIEWTRACE_LOG__LEVEL: 'debug',
        ...env,
      },
    });
    return new SidecarProcess(port, child);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async ready(timeoutMs = 60_000): Promise<void> {
    await waitFor(
      'sidecar /ready',
      async () => {
        if (!this.process.running) {
          throw new Error(`the sidecar exited; see ${this.process.logPath}`);
        }
        const r = await fetch(`${this.url}/ready`).catch(() => undefined);
        return r?.ok ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** One Prometheus sample's value, summed over label sets matching `labels`. */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) {
        continue;
      }
      const set = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      if (Object.entries(labels).every(([k, v]) => set[k] === v)) {
        sum += Number(m[3]);
      }
    }
    return sum;
  }

  async outboxEmpty(): Promise<boolean> {
    return (await this.metric('reviewtrace_outbox_spans')) === 0;
  }

  stop(): Promise<void> {
    return this.process.stop(10_000);
  }
}

/** Trace id per the span contract, computed here independently of the code under test. */
export function traceIdOf(serverId: string, changeNumber: number): string {
  return createHash('sha256').update(`gerrit\0${serverId}\0${changeNumber}`).digest('hex').slice(0, 32);
}

export function spanIdOf(serverId: string, changeNumber: number, spanKey: string): string {
  return createHash('sha256').update(`gerrit\0${serverId}\0${changeNumber}\0${spanKey}`).digest('hex').slice(0, 16);
}
