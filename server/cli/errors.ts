import { ConfigError } from '../config/config.ts';

// How the CLI fails: one line on stderr that says what is wrong and what to do, and an exit code
// other than 0. No stack trace for a mistake a user can make (a port in use, a bad date, a service
// that does not answer); an unexpected error prints its message and points to --log-level debug,
// which adds the stack.

const PROGRAM = 'reviewtrace-server';

/** A foreseeable failure: its message says what is wrong and how to fix it. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The text to print for an error, and the exit code. */
export function describeError(err: unknown, debug = false): { text: string; exitCode: number } {
  if (err instanceof CliError) {
    return { text: `${PROGRAM}: ${err.message}`, exitCode: err.exitCode };
  }
  if (err instanceof ConfigError) {
    // One problem, one line; several keep the list (each names its key).
    const text =
      err.problems.length === 1
        ? `Invalid configuration: ${err.problems[0]}${/^config file /.test(err.problems[0]) ? ' (check the path given to --config or REVIEWTRACE_CONFIG)' : ''}`
        : err.message;
    return { text, exitCode: 2 };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  const text = `${PROGRAM}: unexpected error: ${e.message}${cause}`;
  return debug
    ? { text: `${text}\n${e.stack ?? ''}`, exitCode: 1 }
    : { text: `${text} (run with --log-level debug for details)`, exitCode: 1 };
}

/** Prints the error as describeError says and exits. */
export function exitWithError(err: unknown, debug = false): never {
  const { text, exitCode } = describeError(err, debug);
  process.stderr.write(`${text}\n`);
  process.exit(exitCode);
}

/** Whether --log-level or REVIEWTRACE_LOG__LEVEL asks for debug output (stacks of unexpected errors). */
export function debugRequested(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const i = argv.findIndex((a) => a === '--log-level' || a.startsWith('--log-level='));
  const level = i < 0 ? env.REVIEWTRACE_LOG__LEVEL : argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  return level === 'debug' || level === 'trace';
}

const AGE = /^(\d+)([dhw])$/;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** A --since/--until value to epoch ms: a date (2026-01-31), an ISO time, or an age (90d, 12h, 2w). */
export function parseDateOption(value: string, flag: string, nowMs = Date.now()): number {
  const age = AGE.exec(value.trim());
  const unit = { d: 86_400_000, h: 3_600_000, w: 7 * 86_400_000 };
  const ms = age
    ? nowMs - Number(age[1]) * unit[age[2] as keyof typeof unit]
    : ISO.test(value.trim())
      ? Date.parse(value.trim())
      : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new CliError(
      `${flag} "${value}" is not a date: give a date like 2026-01-31, an ISO time like 2026-01-31T12:00:00Z, or an age like 90d, 12h or 2w`,
      2,
    );
  }
  return ms;
}

/** --since and --until as a range in the past, or a CliError that says what is wrong. */
export function parseDateRange(
  since: string,
  until: string | undefined,
  nowMs = Date.now(),
): { sinceMs: number; untilMs: number } {
  const sinceMs = parseDateOption(since, '--since', nowMs);
  const untilMs = until === undefined ? nowMs : parseDateOption(until, '--until', nowMs);
  if (sinceMs > nowMs) {
    throw new CliError(
      `--since ${since} is in the future (${new Date(sinceMs).toISOString()}): the range is of past history; give an earlier date or an age like 90d`,
      2,
    );
  }
  if (sinceMs > untilMs) {
    throw new CliError(
      `--since ${since} is after --until ${until} (${new Date(sinceMs).toISOString()} > ${new Date(untilMs).toISOString()}): swap them`,
      2,
    );
  }
  return { sinceMs, untilMs: Math.min(untilMs, nowMs) };
}

/** A failed listen() on http.host:http.port, in words. */
export function listenError(err: unknown, host: string, port: number): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new CliError(
        `http.port ${port} is in use (${where}): stop the other process, or choose another port with REVIEWTRACE_HTTP__PORT (http.port)`,
      );
    case 'EACCES':
      return new CliError(
        `http.port ${port} needs privileges this process lacks (${where}): choose a port above 1023 with REVIEWTRACE_HTTP__PORT (http.port)`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CliError(
        `http.host ${host} is not an address of this machine (${code}): use 127.0.0.1 (this machine only) or 0.0.0.0 (every interface) in REVIEWTRACE_HTTP__HOST (http.host)`,
      );
    default:
      return new CliError(`cannot listen on ${where}: ${(err as Error).message}`);
  }
}
