import { connect } from 'node:net';
import { tempoHeaders, type Config } from '../config/config.ts';
import { GerritRest } from '../gerrit/rest-client.ts';
import { connectOnce, execCommand } from '../gerrit/ssh-stream.ts';
import { loadOrExit, type CommonOptions } from './common.ts';

// `doctor`: checks each dependency in turn and says in plain words what is wrong and what to do.

export interface Check {
  name: string;
  ok: boolean;
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

async function sshChecks(config: Config): Promise<Check[]> {
  const ssh = config.gerrit.ssh;
  if (!ssh) {
    return [
      {
        name: 'Gerrit SSH',
        ok: false,
        detail: 'gerrit.ssh is not configured (host, username, privateKeyFile, hostKey); the demo needs none of it',
      },
    ];
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

async function restCheck(config: Config): Promise<Check> {
  if (!config.gerrit.http) {
    return {
      name: 'Gerrit REST',
      ok: false,
      detail: 'gerrit.http is not configured: reconcile after disconnects and backfill need it',
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
  try {
    // An empty ExportTraceServiceRequest is a valid protobuf message of zero bytes.
    const r = await fetch(config.tempo.otlpEndpoint, {
      method: 'POST',
      headers: { ...tempoHeaders(config), 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(0),
      signal: AbortSignal.timeout(config.tempo.timeoutMs),
    });
    checks.push({
      name: 'Tempo OTLP endpoint',
      ok: r.ok,
      detail: r.ok
        ? `${config.tempo.otlpEndpoint} accepts OTLP/HTTP`
        : `${config.tempo.otlpEndpoint} answered HTTP ${r.status}: ${(await r.text()).slice(0, 200)}${r.status === 404 ? ' (is the path /v1/traces and the OTLP HTTP receiver enabled?)' : ''}`,
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
    checks.push({
      name: 'Tempo OTLP endpoint',
      ok: false,
      detail: `cannot reach ${config.tempo.otlpEndpoint} (tempo.otlpEndpoint): ${cause}`,
    });
  }
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
  return [...(await sshChecks(config)), await restCheck(config), ...(await tempoChecks(config))];
}

export async function doctorCommand(options: CommonOptions & { json?: boolean }): Promise<void> {
  const { config } = loadOrExit({ ...options, logLevel: options.logLevel ?? 'silent' });
  const checks = await runChecks(config);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ok: checks.every((c) => c.ok), checks })}\n`);
  } else {
    process.stdout.write(`Configuration: valid (server id "${config.serverId}", database ${config.databasePath})\n`);
    for (const c of checks) {
      process.stdout.write(`${c.ok ? 'OK  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
    }
  }
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
}
