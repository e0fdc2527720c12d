import { readFileSync } from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { SshConfig } from '../config/config.ts';
import { RateLimitedLog, type Logger } from '../observability/logger.ts';
import type { SidecarMetrics } from '../observability/metrics.ts';
import { verifyHostKey } from './host-key.ts';
import { LineSplitter } from './line-splitter.ts';

// Follows `gerrit stream-events` over SSH for as long as it runs: keepalives, a watchdog that
// probes a silent connection, reconnects with exponential backoff and jitter, and a clean stop.

export interface StreamHandlers {
  onLine(line: string): void;
  /** stream-events is running on a new connection (first or after a reconnect). */
  onConnected(): void;
  /**
   * A line longer than gerrit.ssh.maxLineBytes was dropped (counted and logged here): the event it
   * carried is lost to the stream, so the consumer must reconcile.
   */
  onLineDropped(): void;
}

/**
 * What is kept of stream-events' stderr for the message when the stream ends: its end, where the
 * reason is (Gerrit writes one line, such as a missing capability); a flood cannot grow it further.
 */
const STDERR_KEPT_CHARS = 4096;

export class SshConnectError extends Error {
  override name = 'SshConnectError';
}

/** Connection options for ssh2 from the config, with the host key check wired in. */
export function sshConnectConfig(cfg: SshConfig, onHostKeyRefused: (reason: string) => void): ConnectConfig {
  let privateKey: Buffer;
  try {
    privateKey = readFileSync(cfg.privateKeyFile);
  } catch (err) {
    throw new SshConnectError(`cannot read gerrit.ssh.privateKeyFile ${cfg.privateKeyFile}: ${(err as Error).message}`);
  }
  return {
    host: cfg.host,
    port: cfg.port,
    username: cfg.username,
    privateKey,
    passphrase: cfg.passphrase,
    keepaliveInterval: cfg.keepaliveIntervalMs,
    keepaliveCountMax: cfg.keepaliveCountMax,
    readyTimeout: cfg.connectTimeoutMs,
    hostVerifier: (key: Buffer) => {
      const verdict = verifyHostKey(key, cfg.host, cfg.port, cfg.hostKey);
      if (!verdict.ok) {
        onHostKeyRefused(verdict.reason);
      }
      return verdict.ok;
    },
  };
}

/** Opens one connection (used by `doctor` and the REST-less query path). */
export function connectOnce(cfg: SshConfig): Promise<Client> {
  return new Promise((resolve, reject) => {
    const conn = new Client();
    let refused: string | undefined;
    let options: ConnectConfig;
    try {
      options = sshConnectConfig(cfg, (reason) => {
        refused = reason;
      });
    } catch (err) {
      reject(err);
      return;
    }
    conn.once('ready', () => resolve(conn));
    conn.once('error', (err) => reject(new SshConnectError(refused ?? describeSshError(err, cfg))));
    try {
      conn.connect(options);
    } catch (err) {
      reject(new SshConnectError(describeSshError(err as Error, cfg)));
    }
  });
}

export function execCommand(
  conn: Client,
  command: string,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    let channel: ClientChannel | undefined;
    // Armed before exec: on a dead connection the channel never opens and exec never calls back.
    const timer = setTimeout(() => {
      channel?.close();
      reject(new Error(`"${command}" did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.exec(command, (err, stream) => {
      if (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      channel = stream;
      let stdout = '';
      let stderr = '';
      stream.on('data', (d: Buffer) => {
        stdout += d.toString('utf8');
      });
      stream.stderr.on('data', (d: Buffer) => {
        stderr += d.toString('utf8');
      });
      stream.on('close', (code: number | null) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code });
      });
    });
  });
}

export function describeSshError(err: Error, cfg: SshConfig): string {
  const msg = err.message;
  const where = `${cfg.username}@${cfg.host}:${cfg.port}`;
  if (/All configured authentication methods failed/i.test(msg)) {
    return `Gerrit refused the SSH key for ${where}: check gerrit.ssh.username and that the public key of gerrit.ssh.privateKeyFile is in that account's SSH keys`;
  }
  if (/Cannot parse privateKey|Encrypted private OpenSSH key detected|bad passphrase|Bad decrypt/i.test(msg)) {
    return `cannot use gerrit.ssh.privateKeyFile ${cfg.privateKeyFile}: ${msg} (is gerrit.ssh.passphrase right?)`;
  }
  if (/ECONNREFUSED/.test(msg)) {
    return `nothing listens on ${cfg.host}:${cfg.port} (connection refused): check gerrit.ssh.host/port and that Gerrit's sshd is enabled`;
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(msg)) {
    return `cannot resolve gerrit.ssh.host ${cfg.host}`;
  }
  if (/Timed out while waiting for handshake/i.test(msg)) {
    return `no SSH handshake from ${cfg.host}:${cfg.port} within ${cfg.connectTimeoutMs} ms (firewall, or not an SSH port?)`;
  }
  return `SSH to ${where} failed: ${msg}`;
}

export class GerritStream {
  private readonly cfg: SshConfig;
  private readonly log: Logger;
  private readonly metrics: SidecarMetrics;
  private readonly handlers: StreamHandlers;
  private readonly warnOnce: RateLimitedLog;
  private conn: Client | undefined;
  private channel: ClientChannel | undefined;
  private stopped = true;
  private paused = false;
  private attempt = 0;
  /** When the stream was lost (or first failed to connect), until it follows again. */
  private downSinceMs: number | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private lastActivityMs = 0;
  private probing = false;
  private generation = 0;
  connected = false;
  lastError: string | undefined;

  constructor(cfg: SshConfig, log: Logger, metrics: SidecarMetrics, handlers: StreamHandlers) {
    this.cfg = cfg;
    this.log = log;
    this.metrics = metrics;
    this.handlers = handlers;
    this.warnOnce = new RateLimitedLog(log);
  }

  start(): void {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.watchdogTimer);
    const conn = this.conn;
    this.conn = undefined;
    this.setConnected(false);
    if (!conn) {
      return;
    }
    await new Promise<void>((resolve) => {
      const done = setTimeout(resolve, 2_000);
      conn.once('close', () => {
        clearTimeout(done);
        resolve();
      });
      this.channel?.close();
      conn.end();
    });
  }

  /** Stops reading (backpressure): Gerrit buffers, then drops and says so with dropped-output. */
  pause(): void {
    this.paused = true;
    this.channel?.pause();
  }

  resume(): void {
    this.paused = false;
    this.channel?.resume();
  }

  private setConnected(value: boolean): void {
    this.connected = value;
    this.metrics.connected.set(value ? 1 : 0);
  }

  private connect(): void {
    const generation = ++this.generation;
    const conn = new Client();
    this.conn = conn;
    let refused: string | undefined;
    let options: ConnectConfig;
    try {
      options = sshConnectConfig(this.cfg, (reason) => {
        refused = reason;
      });
    } catch (err) {
      this.fail(generation, (err as Error).message, 'config');
      return;
    }
    conn.on('ready', () => {
      if (generation !== this.generation) {
        return;
      }
      conn.exec('gerrit stream-events', (err, channel) => {
        if (err) {
          this.fail(generation, `cannot start stream-events: ${err.message}`, 'exec');
          return;
        }
        this.onChannel(generation, channel);
      });
    });
    conn.on('error', (err) => {
      const reason = refused ?? describeSshError(err, this.cfg);
      this.fail(generation, reason, refused ? 'host_key' : /Keepalive/i.test(err.message) ? 'keepalive' : 'error');
    });
    conn.on('close', () => this.fail(generation, 'connection closed', 'closed'));
    try {
      conn.connect(options);
    } catch (err) {
      this.fail(generation, describeSshError(err as Error, this.cfg), 'error');
    }
  }

  private onChannel(generation: number, channel: ClientChannel): void {
    if (generation !== this.generation) {
      // The connection failed while stream-events was starting: never read two streams at once.
      channel.close();
      return;
    }
    this.channel = channel;
    const lines = new LineSplitter(this.cfg.maxLineBytes, {
      onLine: (line) => {
        try {
          this.handlers.onLine(line);
        } catch (err) {
          this.log.error({ err }, 'Failed to handle a stream-events line');
        }
      },
      onOverlong: (bytesSeen) => this.onOverlongLine(bytesSeen),
    });
    let stderr = '';
    this.lastActivityMs = Date.now();
    this.setConnected(true);
    this.lastError = undefined;
    const retries = this.attempt;
    this.attempt = 0;
    const downForMs = this.downSinceMs === undefined ? undefined : Date.now() - this.downSinceMs;
    this.downSinceMs = undefined;
    this.log.info(
      { host: this.cfg.host, port: this.cfg.port, ...(downForMs === undefined ? {} : { downForMs, retries }) },
      downForMs === undefined
        ? 'Following Gerrit stream-events'
        : `Following Gerrit stream-events again after ${Math.round(downForMs / 1000)} s (${retries} retries)`,
    );
    this.startWatchdog(generation);
    if (this.paused) {
      channel.pause();
    }
    channel.on('data', (chunk: Buffer) => {
      if (generation !== this.generation) {
        return; // late data of a connection given up on; the reconcile covers it
      }
      this.lastActivityMs = Date.now();
      lines.push(chunk);
    });
    channel.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_CHARS);
    });
    channel.on('close', () => {
      const detail = stderr.trim();
      this.fail(
        generation,
        detail
          ? `stream-events ended: ${detail}${/not permitted|capability/i.test(detail) ? ' (the account needs the global "Stream Events" capability)' : ''}`
          : 'stream-events ended',
        'stream_closed',
      );
    });
    this.handlers.onConnected();
  }

  private onOverlongLine(bytesSeen: number): void {
    this.metrics.badLines.inc({ reason: 'line_too_long' });
    this.warnOnce.warn(
      'line_too_long',
      { reason: 'line_too_long', bytesSeen, maxLineBytes: this.cfg.maxLineBytes },
      'Dropped a stream-events line longer than gerrit.ssh.maxLineBytes (up to its newline); reconciling',
    );
    this.handlers.onLineDropped();
  }

  private startWatchdog(generation: number): void {
    clearInterval(this.watchdogTimer);
    const every = Math.max(250, Math.floor(this.cfg.watchdogMs / 4));
    this.watchdogTimer = setInterval(() => {
      if (generation !== this.generation || this.probing || Date.now() - this.lastActivityMs < this.cfg.watchdogMs) {
        return;
      }
      // stream-events is silent when nobody reviews: ask Gerrit something before calling it dead.
      const conn = this.conn;
      if (!conn) {
        return;
      }
      this.probing = true;
      execCommand(conn, 'gerrit version', Math.min(10_000, this.cfg.watchdogMs))
        .then(() => {
          this.lastActivityMs = Date.now();
        })
        .catch((err: Error) => {
          this.fail(
            generation,
            `watchdog: connection silent for ${this.cfg.watchdogMs} ms and a probe failed (${err.message})`,
            'watchdog',
          );
        })
        .finally(() => {
          this.probing = false;
        });
    }, every);
  }

  private fail(generation: number, reason: string, kind: string): void {
    if (generation !== this.generation) {
      return;
    }
    this.generation += 1; // later callbacks of this connection are ignored
    clearInterval(this.watchdogTimer);
    const wasConnected = this.connected;
    this.setConnected(false);
    this.channel = undefined;
    const conn = this.conn;
    this.conn = undefined;
    conn?.removeAllListeners('close');
    conn?.on('error', () => undefined);
    conn?.destroy();
    if (this.stopped) {
      return;
    }
    this.lastError = reason;
    this.downSinceMs ??= Date.now();
    this.metrics.reconnects.inc({ reason: kind });
    const delay = this.backoffDelay(kind);
    const level = kind === 'host_key' || kind === 'config' ? 'error' : 'warn';
    this.log[level](
      { reason, kind, retryInMs: delay },
      wasConnected ? 'Lost the Gerrit stream; reconnecting' : 'Cannot connect to Gerrit; retrying',
    );
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** Exponential backoff with equal jitter; refusals that need an operator wait the longest. */
  private backoffDelay(kind: string): number {
    if (kind === 'host_key' || kind === 'config') {
      return this.cfg.reconnectMaxMs;
    }
    const base = Math.min(this.cfg.reconnectMaxMs, this.cfg.reconnectInitialMs * 2 ** this.attempt);
    this.attempt += 1;
    return Math.round(base / 2 + (Math.random() * base) / 2);
  }
}
