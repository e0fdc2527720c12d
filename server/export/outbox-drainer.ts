import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.ts';
import type { SidecarMetrics } from '../observability/metrics.ts';
import type { IngestStore } from '../store/ingest-store.ts';
import type { TempoExporter } from './tempo-exporter.ts';

// Sends the outbox to Tempo, oldest first. A batch is removed only after Tempo accepted it; while
// Tempo is unreachable the drainer backs off exponentially and the outbox grows on disk.

/** A drainer that stops renewing its lease (crashed) hands over to another after this long. */
const LEASE_MS = 15_000;

export interface DrainerOptions {
  batchSpans: number;
  batchBytes: number;
  /** Outbox bound in spans: at this size ingestion pauses (see Ingestor) until Tempo catches up. */
  maxOutboxSpans: number;
  /** Fill ratio from which a loud warning is logged. */
  warnFillRatio: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Wait between polls when the outbox is empty. */
  idleMs: number;
  /** While Tempo does not accept spans, a progress line at most this often (default 30 s). */
  outageLogMs?: number;
}

/** An export outage in progress: when it started and how the retries go. */
interface Outage {
  sinceMs: number;
  retries: number;
  lastLogMs: number;
  reason: string;
}

export class OutboxDrainer {
  private readonly store: IngestStore;
  private readonly exporter: TempoExporter;
  private readonly options: DrainerOptions;
  private readonly metrics: SidecarMetrics;
  private readonly log: Logger;
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private backoffMs: number;
  private readonly leaseOwner = `${process.pid}-${randomUUID()}`;
  private lastWarnMs = 0;
  private outage: Outage | undefined;
  /** True once Tempo accepted something since the last failure. */
  healthy = true;
  lastError: string | undefined;

  constructor(
    store: IngestStore,
    exporter: TempoExporter,
    options: DrainerOptions,
    metrics: SidecarMetrics,
    log: Logger,
  ) {
    this.store = store;
    this.exporter = exporter;
    this.options = options;
    this.metrics = metrics;
    this.log = log;
    this.backoffMs = options.minBackoffMs;
  }

  start(): void {
    if (this.running) {
      return;
    }
    this.running = true;
    this.loop = this.run();
  }

  /** Wakes the loop early because new spans were enqueued; not while backing off from a failure. */
  notify(): void {
    if (this.healthy) {
      this.wake?.();
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.store.releaseDrainLease(this.leaseOwner);
  }

  isFull(): boolean {
    return this.store.outboxDepth().spans >= this.options.maxOutboxSpans;
  }

  /** Drains until the outbox is empty or an export fails. Returns spans accepted. */
  async drainOnce(): Promise<{ accepted: number; failed: boolean }> {
    let accepted = 0;
    for (;;) {
      this.updateGauges();
      if (!this.store.claimDrainLease(this.leaseOwner, Date.now(), LEASE_MS)) {
        return { accepted, failed: false };
      }
      const batch = this.store.readOutbox(this.options.batchSpans, this.options.batchBytes);
      if (!batch) {
        return { accepted, failed: false };
      }
      const outcome = await this.exporter.export(batch.spans);
      if (outcome.kind === 'accepted') {
        const waited = this.outage ? this.store.outboxDepth().spans : 0;
        this.store.ackOutbox(batch.lastSeq);
        this.metrics.spansExported.inc(batch.spans.length);
        accepted += batch.spans.length;
        if (this.outage) {
          const downForMs = Date.now() - this.outage.sinceMs;
          this.log.info(
            { downForMs, retries: this.outage.retries, waitingSpans: waited, reason: this.outage.reason },
            `Tempo accepts spans again after ${formatDuration(downForMs)} (${this.outage.retries} retries); exporting the ${waited} spans that waited in the outbox`,
          );
          this.outage = undefined;
        }
        this.healthy = true;
        this.lastError = undefined;
        this.backoffMs = this.options.minBackoffMs;
        continue;
      }
      this.metrics.exportFailures.inc({ reason: outcome.reason });
      if (outcome.kind === 'rejected') {
        await this.isolateRejected(batch.spans.length, outcome.detail);
        continue;
      }
      this.logOutage(outcome.reason, outcome.detail);
      this.healthy = false;
      this.lastError = outcome.detail;
      return { accepted, failed: true };
    }
  }

  /**
   * Tempo refused a batch as invalid. Send its spans one by one so only the span Tempo refuses is
   * set aside (in the dead-letter table, with Tempo's answer), never the batch around it.
   */
  private async isolateRejected(count: number, detail: string): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      const one = this.store.readOutbox(1, Number.MAX_SAFE_INTEGER);
      if (!one) {
        return;
      }
      const outcome = await this.exporter.export(one.spans);
      if (outcome.kind === 'accepted') {
        this.store.ackOutbox(one.lastSeq);
        this.metrics.spansExported.inc(1);
      } else if (outcome.kind === 'rejected') {
        this.store.deadLetter(one.lastSeq, outcome.detail, Date.now());
        this.log.error(
          { spanId: one.spans[0]?.spanId, traceId: one.spans[0]?.traceId, detail: outcome.detail, batchDetail: detail },
          'Tempo refused a span; kept in the dead-letter table',
        );
      } else {
        return;
      }
    }
  }

  /**
   * An export failed: the first failure of an outage is logged with its reason, then a progress line
   * (retries, time down, next retry, outbox depth) at most every outageLogMs; the recovery is logged
   * in drainOnce.
   */
  private logOutage(reason: string, detail: string): void {
    const now = Date.now();
    const spans = this.store.outboxDepth().spans;
    if (!this.outage) {
      this.outage = { sinceMs: now, retries: 0, lastLogMs: now, reason };
      this.log.warn(
        { reason, detail, outboxSpans: spans, nextRetryInMs: this.backoffMs },
        'Tempo does not accept spans: keeping them in the outbox and retrying',
      );
      return;
    }
    this.outage.retries += 1;
    this.outage.reason = reason;
    if (now - this.outage.lastLogMs >= (this.options.outageLogMs ?? 30_000)) {
      this.outage.lastLogMs = now;
      const downForMs = now - this.outage.sinceMs;
      this.log.warn(
        { reason, detail, retries: this.outage.retries, downForMs, nextRetryInMs: this.backoffMs, outboxSpans: spans },
        `Tempo still does not accept spans after ${formatDuration(downForMs)} (${this.outage.retries} retries, next in ${formatDuration(this.backoffMs)}); ${spans} spans wait in the outbox`,
      );
    }
  }

  private updateGauges(): void {
    const depth = this.store.outboxDepth();
    this.metrics.outboxSpans.set(depth.spans);
    this.metrics.outboxBytes.set(depth.bytes);
    const ratio = depth.spans / this.options.maxOutboxSpans;
    this.metrics.outboxFull.set(ratio);
    const now = Date.now();
    if (ratio >= this.options.warnFillRatio && now - this.lastWarnMs > 30_000) {
      this.lastWarnMs = now;
      this.log.warn(
        {
          outboxSpans: depth.spans,
          outboxBytes: depth.bytes,
          maxOutboxSpans: this.options.maxOutboxSpans,
          fill: Number(ratio.toFixed(3)),
        },
        ratio >= 1
          ? 'Outbox is full: ingestion is paused until Tempo accepts spans again (events are reconciled from Gerrit afterwards)'
          : 'Outbox is filling up: Tempo is not keeping up or is unreachable',
      );
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay = this.options.idleMs;
      try {
        const { failed } = await this.drainOnce();
        if (failed) {
          delay = this.backoffMs;
          this.backoffMs = Math.min(this.options.maxBackoffMs, this.backoffMs * 2);
        }
      } catch (err) {
        this.log.error({ err }, 'Outbox drain failed');
        delay = this.backoffMs;
      }
      if (!this.running) {
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }
}

/** 950 ms, 42 s, 3 min 5 s, 2 h 4 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const s = Math.round(ms / 1000);
  if (s < 60) {
    return `${s} s`;
  }
  const m = Math.floor(s / 60);
  if (m < 60) {
    return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  }
  return m % 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${Math.floor(m / 60)} h`;
}
