import { connect } from 'node:net';
import { tempoHeaders, type Config } from '../config/config.ts';
import { runSetupFindings, type SetupFinding } from '../config/setup-check.ts';
import { GerritRest } from '../gerrit/rest-client.ts';
import { connectOnce, execCommand } from '../gerrit/ssh-stream.ts';
import { loadOrExit, tempoOtlpProblem, type CommonOptions } from './common.ts';

// `doctor`: checks each dependency in turn and says in plain words what is wrong and what to do.

export interface Check {
  name: string;
  /** False fails doctor (exit 1). */
  ok: boolean;
  /** Worth knowing, but `run` works (ok stays true). */
  warning?: boolean;
  detail: string;
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err) => done(err.message));
  });
}

async function sshChecks(config: Config, findings: SetupFinding[]): Promise<Check[]> {
  const ssh = config.gerrit.ssh;
  if (!ssh) {
    const finding = findings.find((f) => f.key === 'gerrit.ssh');
    return [{ name: 'Gerrit SSH', ok: false, detail: finding?.message ?? 'gerrit.ssh is not configured' }];
  }
  const checks: Check[] = [];
  const tcp = await tcpReachable(ssh.host, ssh.port, ssh.connectTimeoutMs);
  checks.push({
    name: 'Gerrit SSH reachable',
    ok: !tcp,
    detail: tcp ? `${ssh.host}:${ssh.port}: ${tcp}` : `${ssh.host}:${ssh.port} answers`,
  });
  if (tcp) {
    return checks;
  }
  let conn;
  try {
    conn = await connectOnce(ssh);
    checks.push({
      name: 'Gerrit host key and login',
      ok: true,
      detail: `host key verified, logged in as ${ssh.username}`,
    });
  } catch (err) {
    checks.push({ name: 'Gerrit host key and login', ok: false, detail: (err as Error).message });
    return checks;
  }
  try {
    const version = await execCommand(conn, 'gerrit version', 10_000);
    checks.push({ name: 'Gerrit version', ok: version.code === 0, detail: (version.stdout || version.stderr).trim() });
    const capability = await new Promise<Check>((resolve) => {
      conn.exec('gerrit stream-events', (err, stream) => {
        if (err) {
          resolve({ name: 'Stream Events capability', ok: false, detail: err.message });
          return;
        }
        let stderr = '';
        const timer = setTimeout(() => {
          stream.close();
          resolve({ name: 'Stream Events capability', ok: true, detail: 'stream-events runs for this account' });
        }, 2_000);
        stream.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        stream.on('close', () => {
          clearTimeout(timer);
          resolve({
            name: 'Stream Events capability',
            ok: false,
            detail: `stream-events refused: ${stderr.trim() || 'closed at once'}. Grant the global capability "Stream Events" to ${ssh.username} (or a group it is in).`,
          });
        });
        stream.on('data', () => undefined);
      });
    });
    checks.push(capability);
  } finally {
    conn.end();
  }
  return checks;
}

async function restCheck(config: Config, findings: SetupFinding[]): Promise<Check> {
  if (!config.gerrit.http) {
    // `run` works without it (it warns), so doctor warns too.
    const finding = findings.find((f) => f.key === 'gerrit.http');
    return {
      name: 'Gerrit REST',
      ok: true,
      warning: true,
      detail: finding?.message ?? 'gerrit.http is not configured',
    };
  }
  try {
    const version = await new GerritRest(config.gerrit.http).version();
    return { name: 'Gerrit REST', ok: true, detail: `${config.gerrit.http.url} answers (Gerrit ${version})` };
  } catch (err) {
    return { name: 'Gerrit REST', ok: false, detail: (err as Error).message };
  }
}

async function tempoChecks(config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  const otlp = await tempoOtlpProblem(config);
  checks.push({
    name: 'Tempo OTLP endpoint',
    ok: !otlp,
    detail: otlp ?? `${config.tempo.otlpEndpoint} accepts OTLP/HTTP`,
  });
  try {
    const r = await fetch(new URL('/api/echo', config.tempo.queryUrl), {
      headers: tempoHeaders(config),
      signal: AbortSignal.timeout(config.tempo.timeoutMs),
    });
    checks.push({
      name: 'Tempo query API',
      ok: r.ok,
      detail: r.ok ? `${config.tempo.queryUrl} answers` : `${config.tempo.queryUrl}/api/echo answered HTTP ${r.status}`,
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
    checks.push({
      name: 'Tempo query API',
      ok: false,
      detail: `cannot reach ${config.tempo.queryUrl} (tempo.queryUrl): ${cause}`,
    });
  }
  return checks;
}

export async function runChecks(config: Config): Promise<Check[]> {
  // The findings `run` enforces at start (server/config/setup-check.ts): the Gerrit ones appear in
  // the Gerrit checks below, the others as checks of their own.
  const findings = runSetupFindings(config);
  const own = findings
    .filter((f) => !['gerrit.ssh', 'gerrit.http'].includes(f.key))
    .map((f): Check => ({
      name: `Configuration (${f.key})`,
      ok: f.severity !== 'error',
      warning: f.severity === 'warning' || undefined,
      detail: f.message,
    }));
  return [
    ...own,
    ...(await sshChecks(config, findings)),
    await restCheck(config, findings),
    ...(await tempoChecks(config)),
  ];
}

export async function doctorCommand(options: CommonOptions & { json?: boolean }): Promise<void> {
  const { config } = loadOrExit({ ...options, logLevel: options.logLevel ?? 'silent' });
  const checks = await runChecks(config);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok: checks.every((c) => c.ok), checks })}\n`);
  } else {
    process.stdout.write(`Configuration: valid (server id "${config.serverId}", database ${config.databasePath})\n`);
    for (const c of checks) {
      process.stdout.write(`${c.ok ? (c.warning ? 'WARN' : 'OK  ') : 'FAIL'} ${c.name}: ${c.detail}\n`);
    }
  }
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
}
