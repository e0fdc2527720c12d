// The real components behind the browser tests and the UI benchmark: a real Tempo
// (test/support/tempo.ts), the real sidecar CLI replaying the demo history into it
// (test/support/sidecar.ts), and the test host that stands in for Grafana (e2e/host/). Everything
// listens on 127.0.0.1 only, under one temporary work directory.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SidecarProcess } from '../../test/support/sidecar.ts';
import { TempoServer } from '../../test/support/tempo.ts';
import { waitFor } from '../../test/support/wait.ts';
import { TestHost } from '../host/server.ts';
import { buildHostBundle } from '../host/build-host.ts';

const repo = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

export const PLUGIN_ID = 'reviewtrace-codereview-app';
/** The demo change with 40 patch sets (server/demo/review-history.ts MARATHON_CHANGE). */
export const MARATHON_CHANGE = 7;

export function newApiToken(): string {
  return `e2e-${randomBytes(18).toString('hex')}`;
}

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) {
    return st.mtimeMs;
  }
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/**
 * Runs `npm run build` when dist/module.js is missing or older than the plugin's sources (src/,
 * plugin.json, the webpack config). Returns whether it built.
 */
export async function ensurePluginBuilt(log: (line: string) => void = () => undefined): Promise<boolean> {
  const module = join(repo, 'dist/module.js');
  const sources = [join(repo, 'src'), join(repo, 'plugin.json'), join(repo, '.config/webpack')].filter((p) =>
    existsSync(p),
  );
  const newestSource = Math.max(...sources.map(newestMtime));
  if (existsSync(module) && statSync(module).mtimeMs >= newestSource) {
    return false;
  }
  log(existsSync(module) ? 'dist/ is older than src/: npm run build' : 'dist/ is missing: npm run build');
  try {
    await run('npm', ['run', 'build'], { cwd: repo, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `npm run build failed: ${e.message}\n${(e.stdout ?? '').slice(-3000)}\n${(e.stderr ?? '').slice(-3000)}`,
    );
  }
  return true;
}

export interface DemoSidecar {
  sidecar: SidecarProcess;
  token: string;
  url: string;
}

/**
 * Starts `reviewtrace-server demo <args>` with a fresh database in `dir`, exporting to `tempo`,
 * serving the query API with `token`. Waits for /ready.
 */
export async function startDemoSidecar(
  tempo: { url: string; otlpEndpoint: string },
  dir: string,
  name: string,
  args: string[],
  token: string,
  env: Record<string, string> = {},
): Promise<DemoSidecar> {
  mkdirSync(dir, { recursive: true });
  const changesAt = args.indexOf('--changes');
  // A big demo history spans years (one change every 2 hours): let the API serve its whole range.
  const rangeDays = changesAt >= 0 ? Math.ceil(demoRangeMs(Number(args[changesAt + 1])) / 86_400_000) + 2 : 0;
  const sidecar = await SidecarProcess.start(
    ['demo', ...args],
    {
      ...(rangeDays > 731 ? { REVIEWTRACE_QUERY__MAX_RANGE_DAYS: String(rangeDays) } : {}),
      REVIEWTRACE_DATABASE_PATH: join(dir, `${name}.db`),
      REVIEWTRACE_DATA_DIR: dir,
      REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint,
      REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
      REVIEWTRACE_HTTP__API_TOKEN: token,
      REVIEWTRACE_LOG__LEVEL: 'info',
      ...env,
    },
    join(dir, `${name}.log`),
  );
  await sidecar.ready(120_000);
  return { sidecar, token, url: sidecar.url };
}

/** GET on the sidecar's query API with the token. */
export async function sidecarApi<T>(s: { url: string; token: string }, path: string): Promise<T> {
  const r = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
  if (!r.ok) {
    throw new Error(`sidecar ${path}: HTTP ${r.status} ${await r.text()}`);
  }
  return (await r.json()) as T;
}

interface ListAnswer {
  total: number;
  sources: { tempo: string };
}

/**
 * Waits until the demo history is in Tempo as the query API sees it: the outbox is empty, Tempo's
 * search answers, the list total over `rangeMs` has stopped growing, and change 7's timeline has its
 * 40 patch sets. Returns the settled total.
 */
export async function waitForDemoData(s: DemoSidecar, rangeMs: number, timeoutMs = 240_000): Promise<number> {
  await waitFor(
    'the demo history to leave the outbox',
    async () => ((await s.sidecar.outboxEmpty()) ? true : undefined),
    timeoutMs,
    500,
  );
  let last = -1;
  let stable = 0;
  let bump = 0;
  const total = await waitFor(
    'the demo changes to be searchable in Tempo',
    async () => {
      // A different `to` each time: the sidecar caches a Tempo search per range for a few seconds.
      const to = Date.now() + 60_000 + (bump += 1);
      const list = await sidecarApi<ListAnswer>(s, `/api/changes?from=${to - rangeMs}&to=${to}&limit=1`);
      if (list.sources.tempo !== 'ok') {
        stable = 0;
        return undefined;
      }
      stable = list.total === last && list.total > 0 ? stable + 1 : 0;
      last = list.total;
      return stable >= 3 ? list.total : undefined;
    },
    timeoutMs,
    1000,
  );
  await waitFor(
    `demo change ${MARATHON_CHANGE} with its 40 patch sets`,
    async () => {
      const d = await sidecarApi<{ timeline: { lanes: { kind: string }[] } }>(s, `/api/changes/${MARATHON_CHANGE}`);
      return d.timeline.lanes.filter((l) => l.kind === 'patchset').length === 40 ? true : undefined;
    },
    timeoutMs,
    1000,
  );
  return total;
}

export interface HostStackOptions {
  work: string;
  /** Arguments after `demo` for the main sidecar (default: the bundled 600-change history, following). */
  demoArgs?: string[];
  /** Also start a sidecar on an empty database (and its own service name, so it sees nothing in Tempo). */
  emptySidecar?: boolean;
  /** Skip the host (real-Grafana mode). */
  host?: boolean;
  log?: (line: string) => void;
}

export interface HostStack {
  tempo: TempoServer;
  demo: DemoSidecar;
  empty?: DemoSidecar;
  host?: TestHost;
  demoTotal: number;
  stop(): Promise<void>;
}

/** How far back the demo history reaches with `demo --changes n` (server/cli/demo-command.ts). */
export function demoRangeMs(changes: number): number {
  return changes * 2 * 3_600_000 + 10 * 86_400_000;
}

export async function startHostStack(options: HostStackOptions): Promise<HostStack> {
  const log = options.log ?? (() => undefined);
  const demoArgs = options.demoArgs ?? [];
  const changesArg = demoArgs.indexOf('--changes');
  const changes = changesArg >= 0 ? Number(demoArgs[changesArg + 1]) : 600;
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) {
      await s().catch(() => undefined);
    }
  };
  try {
    let bundle: Promise<string> | undefined;
    if (options.host !== false) {
      await ensurePluginBuilt(log);
      log('building the test host bundle');
      bundle = buildHostBundle();
    }
    log('starting Tempo');
    const tempo = await TempoServer.start(join(options.work, 'tempo'));
    stoppers.push(() => tempo.stop());
    log(`starting the sidecar: demo ${demoArgs.join(' ')}`.trim());
    const demo = await startDemoSidecar(tempo, join(options.work, 'sidecar'), 'demo', demoArgs, newApiToken());
    stoppers.push(() => demo.sidecar.stop());
    let empty: DemoSidecar | undefined;
    if (options.emptySidecar) {
      log('starting a second sidecar on an empty database');
      const e = await startDemoSidecar(tempo, join(options.work, 'empty'), 'empty', ['--changes', '0'], newApiToken(), {
        REVIEWTRACE_SERVICE_NAME: 'gerrit-e2e-empty',
      });
      empty = e;
      stoppers.push(() => e.sidecar.stop());
    }
    let host: TestHost | undefined;
    if (bundle) {
      const bundleDir = await bundle;
      host = await TestHost.start({
        bundleDir,
        pluginDist: process.env.E2E_PLUGIN_DIST || undefined,
        settings: {
          jsonData: { sidecarUrl: demo.url, tempoDatasourceUid: 'tempo' },
          secureJsonData: { apiToken: demo.token },
        },
      });
      const h = host;
      stoppers.push(() => h.stop());
      log(`test host on ${host.url}`);
    }
    log('waiting for the demo history in Tempo');
    const demoTotal = await waitForDemoData(demo, demoRangeMs(changes));
    log(`${demoTotal} demo changes searchable`);
    return { tempo, demo, empty, host, demoTotal, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
