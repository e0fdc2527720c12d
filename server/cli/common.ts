import type { Server } from 'node:http';
import { ConfigError, loadConfig, tempoHeaders, type Config } from '../config/config.ts';
import { startHttpServer } from '../http/http-server.ts';
import { createQueryApi } from '../http/query-api.ts';
import { GerritRest, GerritRestError } from '../gerrit/rest-client.ts';
import type { Reconciler } from '../ingest/reconciler.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { Sidecar } from '../sidecar.ts';
import { CliError, exitWithError, listenError } from './errors.ts';

export interface CommonOptions {
  config?: string;
  logLevel?: string;
  acceptServerIdChange?: boolean;
}

/** Opens the sidecar's database and parts, or exits with the problem in plain words (exit code 2). */
export function sidecarOrExit(config: Config, log: Logger, options: CommonOptions): Sidecar {
  try {
    return new Sidecar(config, log, undefined, { acceptServerIdChange: options.acceptServerIdChange });
  } catch (err) {
    if (err instanceof ConfigError) {
      exitWithError(err);
    }
    throw err;
  }
}

/**
 * For commands that walk Gerrit's changes (backfill, verify): Gerrit's REST API answers (else one
 * line saying what to check), then the sidecar on the configured database with its reconciler.
 */
export async function sidecarWithReconciler(
  config: Config,
  log: Logger,
  options: CommonOptions,
): Promise<{ sidecar: Sidecar; reconciler: Reconciler }> {
  if (!config.gerrit.http) {
    throw new CliError('gerrit.http is not configured', 2);
  }
  await new GerritRest(config.gerrit.http).version().catch((err: unknown) => {
    throw gerritProblem(err);
  });
  const sidecar = sidecarOrExit(config, log, options);
  const reconciler = sidecar.reconciler;
  if (!reconciler) {
    sidecar.store.close();
    throw new CliError('gerrit.http is not configured', 2);
  }
  return { sidecar, reconciler };
}

/** Loads the config or exits with the problems listed in plain words (exit code 2). */
export function loadOrExit(
  options: CommonOptions,
  overrides: Record<string, unknown> = {},
): { config: Config; log: Logger } {
  try {
    const config = loadConfig({
      file: options.config,
      overrides: { ...overrides, ...(options.logLevel ? { log: { level: options.logLevel } } : {}) },
    });
    return { config, log: createLogger(config.log.level) };
  } catch (err) {
    if (err instanceof ConfigError) {
      exitWithError(err);
    }
    throw err;
  }
}

/** Resolves on the first SIGINT/SIGTERM; a second one exits at once. */
export function untilSignal(log: Logger): Promise<string> {
  return new Promise((resolve) => {
    let seen = false;
    const onSignal = (signal: string) => {
      if (seen) {
        log.warn({ signal }, 'Second signal: exiting now');
        process.exit(130);
      }
      seen = true;
      log.info({ signal }, 'Stopping (press Ctrl-C again to exit at once)');
      resolve(signal);
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
}

/** Waits until the outbox is empty, or until the deadline; returns whether it emptied. */
export async function waitForOutboxEmpty(spans: () => number, deadlineMs: number, pollMs = 250): Promise<boolean> {
  while (spans() > 0) {
    if (Date.now() > deadlineMs) {
      return false;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return true;
}

/**
 * Starts the HTTP server on http.host:http.port, or closes the database and exits with one line
 * (port in use, no privileges, not an address of this machine).
 */
/** Serves the sidecar's endpoints and the Code Review query API; a port problem ends the process in one line. */
export async function startHttpOrExit(sidecar: Sidecar): Promise<Server> {
  const api = createQueryApi(sidecar.queries, sidecar.serviceMaps, sidecar.reviewLoads, sidecar.log, {
    maxRangeDays: sidecar.config.query.maxRangeDays,
  });
  try {
    return await startHttpServer(sidecar, api);
  } catch (err) {
    sidecar.store.close();
    exitWithError(listenError(err, sidecar.config.http.host, sidecar.config.http.port));
  }
}

/** Why Tempo's OTLP endpoint does not accept an (empty) export, or undefined when it does. */
export async function tempoOtlpProblem(config: Config): Promise<string | undefined> {
  try {
    // An empty ExportTraceServiceRequest is a valid protobuf message of zero bytes.
    const r = await fetch(config.tempo.otlpEndpoint, {
      method: 'POST',
      headers: { ...tempoHeaders(config), 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(0),
      signal: AbortSignal.timeout(config.tempo.timeoutMs),
    });
    if (r.ok) {
      return undefined;
    }
    const body = (await r.text()).slice(0, 200);
    return `${config.tempo.otlpEndpoint} answered HTTP ${r.status}: ${body}${r.status === 404 ? ' (is the path /v1/traces and the OTLP HTTP receiver enabled?)' : ''}`;
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
    return `cannot reach ${config.tempo.otlpEndpoint} (tempo.otlpEndpoint): ${cause}`;
  }
}

/**
 * For commands that end once their spans are exported (backfill, demo --no-follow): fails at once,
 * in one line, when Tempo does not answer (a few tries over about 5 s, for a Tempo still starting).
 */
export async function requireTempo(config: Config, command: string): Promise<void> {
  let problem: string | undefined;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    problem = await tempoOtlpProblem(config);
    if (!problem) {
      return;
    }
    if (attempt < 2) {
      await new Promise((r) => setTimeout(r, 2_500));
    }
  }
  throw new CliError(
    `Tempo does not accept spans: ${problem}. ${command} exports to it: start Tempo, or point REVIEWTRACE_TEMPO__OTLP_ENDPOINT (tempo.otlpEndpoint) at it; \`reviewtrace-server doctor\` checks every connection`,
  );
}

/** A Gerrit REST failure of a command (backfill, verify), in one line with what to check. */
export function gerritProblem(err: unknown): Error {
  if (err instanceof GerritRestError) {
    const hint =
      err.status === undefined
        ? '; is Gerrit running, and is gerrit.http.url (REVIEWTRACE_GERRIT__HTTP__URL) its address? `reviewtrace-server doctor` checks every connection'
        : '';
    return new CliError(`${err.message}${hint}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
