import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { Sidecar } from '../sidecar.ts';

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
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
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
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
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

export function parseDateOption(value: string, flag: string): number {
  const ms = /^\d+[dh]$/.test(value)
    ? Date.now() - Number(value.slice(0, -1)) * (value.endsWith('d') ? 86_400_000 : 3_600_000)
    : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new Error(
      `${flag}: expected a date like 2026-01-31, an ISO time, or an age like 30d or 12h (got "${value}")`,
    );
  }
  return ms;
}
