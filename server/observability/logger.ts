import { pino, type Logger } from 'pino';

export type { Logger };

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Structured JSON logs on stderr (stdout stays free for command output such as `doctor`).
 * Secrets never reach a log line: the known secret-bearing keys are redacted as a safety net.
 */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    {
      level,
      base: { service: 'reviewtrace-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          '*.password',
          '*.passphrase',
          '*.token',
          '*.apiToken',
          '*.authorization',
          '*.headers',
          'config.*.password',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination(2),
  );
}

/** Logs the first occurrence of each kind at warn, then at most once per interval with a count. */
export class RateLimitedLog {
  private readonly seen = new Map<string, { count: number; lastMs: number; suppressed: number }>();
  private readonly logger: Logger;
  private readonly intervalMs: number;

  constructor(logger: Logger, intervalMs = 60_000) {
    this.logger = logger;
    this.intervalMs = intervalMs;
  }

  warn(kind: string, fields: Record<string, unknown>, message: string, nowMs = Date.now()): void {
    const entry = this.seen.get(kind);
    if (!entry) {
      this.seen.set(kind, { count: 1, lastMs: nowMs, suppressed: 0 });
      this.logger.warn({ ...fields, kind }, message);
      return;
    }
    entry.count += 1;
    if (nowMs - entry.lastMs >= this.intervalMs) {
      this.logger.warn({ ...fields, kind, total: entry.count, suppressedSinceLast: entry.suppressed }, message);
      entry.lastMs = nowMs;
      entry.suppressed = 0;
    } else {
      entry.suppressed += 1;
    }
  }
}
