import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI_BIN, assertOneLine, runCli, type CliResult } from '../support/cli.ts';
import { TempoServer } from '../support/tempo.ts';
import { freePort, waitFor } from '../support/wait.ts';

// A first run without surprises: the README's first-run commands, taken from README.md itself (so
// this test breaks when the README changes) and run as written with a real Tempo, and each mistake
// a first-time user can make, which must end in one line that says what to do, with a non-zero exit
// code and no stack trace. Two deviations from the literal README, both forced by a shared machine:
// `npm ci` is not re-run (it would replace node_modules under the other tests; scripts/test-all.sh
// runs it when node_modules is missing or stale), and Tempo's OTLP port is the test Tempo's instead
// of 4318 (the same URL otherwise). The sidecar's port comes from REVIEWTRACE_HTTP__PORT in the
// environment, which the README's commands leave alone.

const repo = new URL('../../', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'reviewtrace-first-run-'));
let tempo: TempoServer;
let runs = 0;

/** A long-running child whose stdout and stderr go to one log file (one descriptor, no stream to end). */
class Logged {
  readonly child: ChildProcess;
  readonly logPath: string;
  readonly exited: Promise<void>;
  constructor(
    command: string,
    args: string[],
    options: { cwd: string; env: NodeJS.ProcessEnv; logPath: string; detached?: boolean },
  ) {
    this.logPath = options.logPath;
    const fd = openSync(options.logPath, 'a');
    // detached: a process group of its own, as a shell's foreground job is (Ctrl-C signals the group).
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', fd, fd],
      detached: options.detached,
    });
    closeSync(fd);
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The signal to the process, or to its whole group when it was started detached (Ctrl-C). */
  signal(signal: NodeJS.Signals, group = false): void {
    if (group && this.child.pid !== undefined) {
      process.kill(-this.child.pid, signal);
    } else {
      this.child.kill(signal);
    }
  }

  async kill(): Promise<void> {
    if (this.running) {
      this.signal('SIGKILL', this.child.spawnargs[0] === 'bash');
      await this.exited;
    }
  }
}

/** The ```sh blocks of README.md's "## Run it" section. */
function readmeRunBlocks(): string[] {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Run it'), readme.indexOf('\n## ', readme.indexOf('## Run it') + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** A block's commands: comment lines dropped. */
const commands = (block: string): string[] =>
  block
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Runs the CLI to its end; each run its own data directory, so nothing one run stored changes what the next one says. */
const cli = (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<CliResult> =>
  runCli(args, { cwd: work, env: { REVIEWTRACE_DATA_DIR: join(work, `data-${(runs += 1)}`), ...env }, timeoutMs });

/** JSON log lines of a log file (pino). */
function logLines(path: string): { level: number; msg: string; [k: string]: unknown }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string });
}

/** Sends SIGTERM and returns how long the process took to exit. */
async function stopTimed(p: Logged, signal: NodeJS.Signals = 'SIGTERM', group = false): Promise<number> {
  const started = Date.now();
  p.signal(signal, group);
  await Promise.race([p.exited, new Promise((r) => setTimeout(r, 30_000))]);
  const ms = Date.now() - started;
  await p.kill();
  return ms;
}

describe('first run (README commands, real Tempo)', { timeout: 900_000 }, () => {
  before(async () => {
    tempo = await TempoServer.start(join(work, 'tempo'));
  });

  after(async () => {
    await tempo?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("runs the README's demo commands as written: a token for the app, loopback only, prompt Ctrl-C", async () => {
    const [demoBlock] = readmeRunBlocks();
    const lines = commands(demoBlock);
    assert.equal(lines[0], 'npm ci', 'the README starts with npm ci');
    const demoLine = lines.at(-1) ?? '';
    assert.match(demoLine, /npx reviewtrace-server demo$/);
    assert.ok(demoLine.includes('http://localhost:4318/v1/traces'));
    // The block as a shell runs it; Ctrl-C is SIGINT to the shell's foreground process group.
    const script = [
      'set -euo pipefail',
      ...lines.slice(1, -1),
      demoLine.replace('localhost:4318', `localhost:${tempo.otlpPort}`),
    ].join('\n');
    const port = await freePort();
    const logPath = join(work, 'readme-demo.log');
    const demo = new Logged('bash', ['-c', script], {
      cwd: repo,
      logPath,
      detached: true,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVIEWTRACE_HTTP__PORT: String(port),
        REVIEWTRACE_DATA_DIR: join(work, 'readme-data'),
      },
    });
    try {
      const token = await waitFor('the token the README prints', () => {
        const m = /API token for the app: ([0-9a-f]{48})/.exec(readFileSync(logPath, 'utf8'));
        return m?.[1];
      });
      const base = `http://127.0.0.1:${port}`;
      const ready = await waitFor(
        'the demo to be ready',
        async () =>
          !demo.running ? 'exited' : (await fetch(`${base}/ready`).catch(() => undefined))?.ok ? 'ready' : undefined,
        180_000,
      );
      assert.equal(ready, 'ready', `the demo exited: ${readFileSync(logPath, 'utf8')}`);
      // The app can read: the token the README set opens the query API.
      const status = await fetch(`${base}/api/status`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(status.status, 200, await status.text());
      const refused = await fetch(`${base}/api/status`);
      assert.equal(refused.status, 401);
      // Loopback only: an address of this machine on another interface finds nothing listening.
      const external = Object.values(networkInterfaces())
        .flat()
        .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
      if (external) {
        const r = await fetch(`http://${external}:${port}/health`).catch((err: Error) => err);
        assert.ok(r instanceof Error, `nothing answers on ${external}:${port}`);
      }
      // Tempo gets the history.
      await waitFor(
        'the demo history in Tempo',
        async () => {
          const text = await (await fetch(`${base}/metrics`)).text();
          const exported = Number(/^reviewtrace_spans_exported_total (\d+)/m.exec(text)?.[1] ?? 0);
          const outbox = Number(/^reviewtrace_outbox_spans (\d+)/m.exec(text)?.[1] ?? 1);
          return exported > 1000 && outbox === 0 ? true : undefined;
        },
        300_000,
        1000,
      );
      // Ctrl-C: out within a few seconds (docker stop's SIGTERM: the next tests), well inside Docker's 10 s.
      const ms = await stopTimed(demo, 'SIGINT', true);
      assert.ok(ms < 5_000, `demo stopped ${ms} ms after Ctrl-C`);
      assert.ok(logLines(logPath).some((l) => l.msg.startsWith('Stopping')));
    } finally {
      await demo.kill();
    }
  });

  it('logs when Tempo stops accepting spans, how the retries go, and when it is back', async () => {
    await tempo.stop();
    const port = await freePort();
    const logPath = join(work, 'outage.log');
    const demo = new Logged(process.execPath, [CLI_BIN, 'demo', '--changes', '60'], {
      cwd: repo,
      logPath,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVIEWTRACE_HTTP__PORT: String(port),
        REVIEWTRACE_DATA_DIR: join(work, 'outage-data'),
        REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint,
        REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
        REVIEWTRACE_HTTP__API_TOKEN: 'first-run-test-token-0123456789',
        REVIEWTRACE_EXPORT__MAX_BACKOFF_MS: '2000',
        REVIEWTRACE_EXPORT__OUTAGE_LOG_MS: '3000',
      },
    });
    try {
      const find = (msg: RegExp) => logLines(logPath).find((l) => msg.test(l.msg));
      const start = await waitFor('the outage start line', () => find(/^Tempo does not accept spans/), 60_000);
      assert.equal(start.level, 40);
      assert.equal(start.reason, 'network');
      assert.ok(Number(start.outboxSpans) > 0);
      const progress = await waitFor('a progress line', () => find(/^Tempo still does not accept spans after/), 60_000);
      assert.ok(Number(progress.retries) >= 1);
      assert.equal(typeof progress.nextRetryInMs, 'number');
      assert.ok(Number(progress.outboxSpans) > 0);
      assert.equal(
        logLines(logPath).filter((l) => /^Tempo does not accept spans/.test(l.msg)).length,
        1,
        'the start is logged once',
      );
      await tempo.resume();
      const back = await waitFor('the recovery line', () => find(/^Tempo accepts spans again after/), 120_000);
      assert.equal(back.level, 30);
      assert.ok(Number(back.downForMs) > 0);
      assert.ok(Number(back.waitingSpans) > 0);
      assert.ok(Number(back.retries) >= 1);
      const ms = await stopTimed(demo);
      assert.ok(ms < 5_000, `demo stopped ${ms} ms after SIGTERM`);
    } finally {
      await demo.kill();
    }
  });

  it("lists --config and the other global options in every command's help", async () => {
    for (const command of ['run', 'demo', 'backfill', 'doctor', 'verify']) {
      const r = await cli([command, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /-c, --config <file>/, command);
      assert.match(r.stdout, /--log-level <level>/, command);
    }
  });

  it('ends each foreseeable mistake with one line, a hint and no stack trace', async () => {
    const closed = await closedPort();
    const gerritDown = { REVIEWTRACE_GERRIT__HTTP__URL: `http://127.0.0.1:${closed}` };
    const tempoUp = { REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint };

    // A port in use.
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const busyPort = (busy.address() as AddressInfo).port;
    try {
      assertOneLine(
        await cli(['demo'], { REVIEWTRACE_HTTP__PORT: String(busyPort) }),
        new RegExp(`^reviewtrace-server: http\\.port ${busyPort} is in use .*REVIEWTRACE_HTTP__PORT`),
        'port in use',
      );
    } finally {
      busy.close();
    }

    // Dates.
    assertOneLine(
      await cli(['backfill', '--since', 'yesterday'], { ...gerritDown, ...tempoUp }),
      /^reviewtrace-server: --since "yesterday" is not a date: give a date like 2026-01-31/,
      'unreadable --since',
    );
    assertOneLine(
      await cli(['backfill', '--since', '90d', '--until', 'soon'], { ...gerritDown, ...tempoUp }),
      /^reviewtrace-server: --until "soon" is not a date/,
      'unreadable --until',
    );
    assertOneLine(
      await cli(['backfill', '--since', '2999-01-01'], { ...gerritDown, ...tempoUp }),
      /^reviewtrace-server: --since 2999-01-01 is in the future/,
      '--since in the future',
    );
    assertOneLine(
      await cli(['backfill', '--since', '10d', '--until', '20d'], { ...gerritDown, ...tempoUp }),
      /^reviewtrace-server: --since 10d is after --until 20d .*swap them/,
      '--since after --until',
    );

    // Gerrit during backfill: not answering, and refusing the credentials.
    assertOneLine(
      await cli(['backfill', '--since', '30d'], { ...gerritDown, ...tempoUp }),
      /^reviewtrace-server: cannot reach Gerrit's REST API at http:\/\/127\.0\.0\.1:\d+ \(gerrit\.http\.url\).*doctor/,
      'Gerrit unreachable',
    );
    const gerrit401: Server = createHttpServer((_req, res) => res.writeHead(401).end('Unauthorized'));
    await new Promise<void>((r) => gerrit401.listen(0, '127.0.0.1', r));
    try {
      assertOneLine(
        await cli(['backfill', '--since', '30d'], {
          ...tempoUp,
          REVIEWTRACE_GERRIT__HTTP__URL: `http://127.0.0.1:${(gerrit401.address() as AddressInfo).port}`,
          REVIEWTRACE_GERRIT__HTTP__USERNAME: 'reviewtrace',
          REVIEWTRACE_GERRIT__HTTP__PASSWORD: 'wrong-password',
        }),
        /^reviewtrace-server: Gerrit answered HTTP 401 .*gerrit\.http\.username and gerrit\.http\.password/,
        'Gerrit refuses the credentials',
      );
    } finally {
      gerrit401.close();
    }
    assertOneLine(
      await cli(['backfill', '--since', '30d']),
      /^reviewtrace-server: backfill reads history through Gerrit's REST API: set gerrit\.http\.url/,
      'backfill without gerrit.http',
    );

    // Tempo where a command needs it.
    const tempoDown = { REVIEWTRACE_TEMPO__OTLP_ENDPOINT: `http://127.0.0.1:${closed}/v1/traces` };
    assertOneLine(
      await cli(['backfill', '--since', '30d'], { ...gerritDown, ...tempoDown }),
      /^reviewtrace-server: Tempo does not accept spans: cannot reach .*REVIEWTRACE_TEMPO__OTLP_ENDPOINT/,
      'backfill with Tempo unreachable',
    );
    assertOneLine(
      await cli(['demo', '--no-follow'], tempoDown),
      /^reviewtrace-server: Tempo does not accept spans: cannot reach .* demo --no-follow exports to it/,
      'demo --no-follow with Tempo unreachable',
    );

    // Configuration.
    assertOneLine(
      await cli(['--config', 'missing.yaml', 'doctor']),
      /^Invalid configuration: config file missing\.yaml: cannot be read .*--config or REVIEWTRACE_CONFIG/,
      'missing config file',
    );
    assertOneLine(
      await cli(['run']),
      /^reviewtrace-server: gerrit\.ssh is not configured .*reviewtrace-server demo/,
      'run without Gerrit',
    );
    assertOneLine(
      await cli(['demo', '--changes', 'many']),
      /^reviewtrace-server: --changes "many" is not a whole number/,
      'demo --changes not a number',
    );
  });

  it('doctor and run agree on what a valid setup is', async () => {
    const sshOnly = join(work, 'ssh-only.yaml');
    const keyFile = join(work, 'id_test');
    writeFileSync(keyFile, 'not used: Gerrit is not reached in this test\n');
    const gerritPort = await closedPort();
    writeFileSync(
      sshOnly,
      [
        'gerrit:',
        '  ssh:',
        '    host: 127.0.0.1',
        `    port: ${gerritPort}`,
        '    username: reviewtrace',
        `    privateKeyFile: ${keyFile}`,
        `    hostKey: { fingerprint: "SHA256:${'A'.repeat(43)}" }`,
        'tempo:',
        `  otlpEndpoint: ${tempo.otlpEndpoint}`,
        `  queryUrl: ${tempo.url}`,
        'http:',
        '  apiToken: first-run-test-token-0123456789',
      ].join('\n'),
    );
    // Without gerrit.http: doctor warns (as run does) instead of failing.
    const doctor = await cli(['--config', sshOnly, 'doctor', '--json']);
    const report = JSON.parse(doctor.stdout) as { checks: { name: string; ok: boolean; warning?: boolean }[] };
    const rest = report.checks.find((c) => c.name === 'Gerrit REST');
    assert.deepEqual({ ok: rest?.ok, warning: rest?.warning }, { ok: true, warning: true });
    assert.deepEqual(
      report.checks.filter((c) => !c.ok).map((c) => c.name),
      ['Gerrit SSH reachable'],
      'only the unreachable Gerrit fails, not the configuration',
    );
    // ... and run accepts the same configuration: it starts (and keeps retrying Gerrit).
    const port = await freePort();
    const logPath = join(work, 'run.log');
    const run = new Logged(process.execPath, [CLI_BIN, '--config', sshOnly], {
      cwd: work,
      logPath,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        REVIEWTRACE_HTTP__PORT: String(port),
        REVIEWTRACE_DATA_DIR: join(work, 'run-data'),
      },
    });
    try {
      await waitFor('run to serve /health', async () =>
        (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.ok ? true : undefined,
      );
      assert.ok(run.running);
      assert.ok(logLines(logPath).some((l) => /gerrit\.http is not configured/.test(l.msg)));
      const ms = await stopTimed(run);
      assert.ok(ms < 5_000, `run stopped ${ms} ms after SIGTERM`);
    } finally {
      await run.kill();
    }
    // Both refuse the public demo token of docker-compose.yaml.
    const demoToken = { REVIEWTRACE_HTTP__API_TOKEN: 'reviewtrace-demo-token-change-me' };
    assertOneLine(
      await cli(['--config', sshOnly], demoToken),
      /^reviewtrace-server: http\.apiToken: the demo token of docker-compose\.yaml is public/,
      'run with the demo token',
    );
    const refused = await cli(['--config', sshOnly, 'doctor', '--json'], demoToken);
    assert.equal(refused.code, 1);
    const token = (JSON.parse(refused.stdout) as { checks: { name: string; ok: boolean }[] }).checks.find(
      (c) => c.name === 'Configuration (http.apiToken)',
    );
    assert.equal(token?.ok, false);
  });
});
