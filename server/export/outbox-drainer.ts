import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.ts';
import type { SidecarMetrics } from '../observability/metrics.ts';
import type { ExportInFlight, IngestStore, OutboxBatch } from '../store/ingest-store.ts';
import type { ExportOutcome, TempoExporter } from './tempo-exporter.ts';

// Sends the outbox to Tempo, oldest first, exactly once. Each batch is marked in flight in the
// database before it is sent; it leaves the outbox when Tempo accepted it. When the outcome is
// unknown (a timeout, a lost answer, the sidecar killed between send and acknowledgement) the batch
// is not sent again blindly: after `readBackDelayMs` the drainer reads the batch's traces back from
// Tempo by id, drops the spans Tempo has, and sends only the others. While Tempo is unreachable the
// drainer backs off exponentially and the outbox grows on disk.

/** The span ids Tempo holds for one trace (a trace-by-id read); throws when Tempo cannot be asked. */
export type SpansInTempo = (traceId: string) => Promise<ReadonlySet<string>>;

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
  /**
   * How long after an export with an unknown outcome Tempo is asked which of its spans it holds:
   * the time Tempo needs to answer a trace by id with what it accepted.
   */
  readBackDelayMs: number;
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
  private readonly spansInTempo: SpansInTempo;
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
    spansInTempo: SpansInTempo,
    options: DrainerOptions,
    metrics: SidecarMetrics,
    log: Logger,
  ) {
    this.store = store;
    this.exporter = exporter;
    this.spansInTempo = spansInTempo;
    this.options = options;
    this.metrics = metrics;
    this.log = log;
    this.backoffMs = options.minBackoffMs;
  }

  start(): void {
    if (this.running) {
      return;
    }
    const inFlight = this.store.exportInFlight();
    if (inFlight) {
      this.log.warn(
        { spans: inFlight.spans, state: inFlight.state, reason: inFlight.reason, sentAt: new Date(inFlight.sentAtMs) },
        inFlight.state === 'sending'
          ? `Recovering from an unclean stop: a batch of ${inFlight.spans} spans was being sent to Tempo when the sidecar stopped; asking Tempo which of them it has before sending the rest`
          : `A batch of ${inFlight.spans} spans ended without an answer from Tempo before the last stop (${inFlight.reason ?? 'unknown'}); asking Tempo which of them it has before sending the rest`,
      );
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

  /**
   * Drains until the outbox is empty or an export fails. Returns spans accepted, and when a failed
   * drain should be tried again if not after the usual backoff.
   */
  async drainOnce(): Promise<{ accepted: number; failed: boolean; retryInMs?: number }> {
    let accepted = 0;
    for (;;) {
      this.updateGauges();
      if (!this.store.claimDrainLease(this.leaseOwner, Date.now(), LEASE_MS)) {
        return { accepted, failed: false };
      }
      const inFlight = this.store.exportInFlight();
      if (inFlight) {
        const waitMs = inFlight.sentAtMs + this.options.readBackDelayMs - Date.now();
        if (waitMs > 0) {
          return { accepted, failed: true, retryInMs: waitMs };
        }
        if (!(await this.resolveInFlight(inFlight))) {
          return { accepted, failed: true };
        }
        continue;
      }
      const batch = this.store.readOutbox(this.options.batchSpans, this.options.batchBytes);
      if (!batch) {
        return { accepted, failed: false };
      }
      const outcome = await this.send(batch);
      if (outcome.kind === 'accepted') {
        accepted += batch.spans.length;
        continue;
      }
      if (outcome.kind === 'rejected') {
        await this.isolateRejected(batch.spans.length, outcome.detail);
        continue;
      }
      this.logOutage(outcome.reason, outcome.detail);
      this.healthy = false;
      this.lastError = outcome.detail;
      // An unknown outcome is resolved on the next try, once readBackDelayMs have passed.
      return { accepted, failed: true };
    }
  }

  /**
   * Sends one batch: marked in flight first, then acknowledged (accepted), settled (not sent or
   * rejected: nothing of it is in Tempo), or left marked for resolveInFlight (unknown).
   */
  private async send(batch: OutboxBatch): Promise<ExportOutcome> {
    const sentAtMs = Date.now();
    this.store.markExportInFlight({ lastSeq: batch.lastSeq, spans: batch.spans.length, sentAtMs, state: 'sending' });
    const outcome = await this.exporter.export(batch.spans);
    switch (outcome.kind) {
      case 'accepted': {
        const waited = this.store.outboxDepth().spans;
        this.store.ackOutbox(batch.lastSeq);
        this.metrics.spansExported.inc(batch.spans.length);
        this.tempoAccepts(waited);
        break;
      }
      case 'unknown':
        this.store.markExportInFlight({
          lastSeq: batch.lastSeq,
          spans: batch.spans.length,
          sentAtMs,
          state: 'unknown',
          reason: outcome.reason,
        });
        this.metrics.exportFailures.inc({ reason: outcome.reason });
        this.metrics.exportsUnknown.inc({ reason: outcome.reason });
        break;
      default:
        this.store.settleExportInFlight();
        this.metrics.exportFailures.inc({ reason: outcome.reason });
    }
    return outcome;
  }

  /**
   * An export's outcome is unknown: read its traces back from Tempo, drop the spans Tempo holds
   * from the outbox and leave the others to be sent. False when Tempo could not be asked (the
   * batch stays in flight and is resolved on the next try).
   */
  private async resolveInFlight(inFlight: ExportInFlight): Promise<boolean> {
    const entries = this.store.outboxThrough(inFlight.lastSeq);
    const traceIds = [...new Set(entries.map((e) => e.span.traceId))];
    const found: number[] = [];
    try {
      for (const traceId of traceIds) {
        const inTempo = await this.spansInTempo(traceId);
        for (const e of entries) {
          if (e.span.traceId === traceId && inTempo.has(e.span.spanId)) {
            found.push(e.seq);
          }
        }
      }
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      this.metrics.exportFailures.inc({ reason: 'read_back' });
      this.logOutage('read_back', `cannot ask Tempo which spans of an unanswered export it has: ${detail}`);
      this.healthy = false;
      this.lastError = detail;
      return false;
    }
    const waited = this.store.outboxDepth().spans;
    this.store.settleFoundInTempo(found);
    this.metrics.spansExported.inc(found.length);
    this.metrics.readBackSpans.inc({ found: 'in_tempo' }, found.length);
    this.metrics.readBackSpans.inc({ found: 'missing' }, entries.length - found.length);
    this.log.info(
      {
        spans: entries.length,
        inTempo: found.length,
        toSend: entries.length - found.length,
        traces: traceIds.length,
        state: inFlight.state,
        reason: inFlight.reason,
      },
      `Resolved an export without an answer: Tempo has ${found.length} of its ${entries.length} spans; sending the other ${entries.length - found.length}`,
    );
    // Tempo stored the batch, or there is nothing left to send: the export path is not failing.
    if (found.length > 0 || this.store.outboxDepth().spans === 0) {
      this.tempoAccepts(waited);
    }
    return true;
  }

  /** Tempo took spans: an outage (if any) is over, logged with how long it lasted. */
  private tempoAccepts(waitingSpans: number): void {
    if (this.outage) {
      const downForMs = Date.now() - this.outage.sinceMs;
      this.log.info(
        { downForMs, retries: this.outage.retries, waitingSpans, reason: this.outage.reason },
        `Tempo accepts spans again after ${formatDuration(downForMs)} (${this.outage.retries} retries); exporting the ${waitingSpans} spans that waited in the outbox`,
      );
      this.outage = undefined;
    }
    this.healthy = true;
    this.lastError = undefined;
    this.backoffMs = this.options.minBackoffMs;
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
      const outcome = await this.send(one);
      if (outcome.kind === 'rejected') {
        this.store.deadLetter(one.lastSeq, outcome.detail, Date.now());
        this.log.error(
          { spanId: one.spans[0]?.spanId, traceId: one.spans[0]?.traceId, detail: outcome.detail, batchDetail: detail },
          'Tempo refused a span; kept in the dead-letter table',
        );
      } else if (outcome.kind !== 'accepted') {
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
        const { failed, retryInMs } = await this.drainOnce();
        if (failed && retryInMs !== undefined) {
          delay = retryInMs;
        } else if (failed) {
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
