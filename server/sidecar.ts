import type { Config } from './config/config.ts';
import { tempoHeaders } from './config/config.ts';
import { ConsistencyCheck } from './export/consistency-check.ts';
import { OutboxDrainer } from './export/outbox-drainer.ts';
import { TempoExporter } from './export/tempo-exporter.ts';
import { GerritRest, isChangeGone, restFailureReason } from './gerrit/rest-client.ts';
import { GerritStream } from './gerrit/ssh-stream.ts';
import { parseStreamEventLine, type ChangeEvent } from './gerrit/stream-events.ts';
import { ChangeRebuilds, retryDelayMs } from './ingest/change-rebuilds.ts';
import { Ingestor } from './ingest/ingestor.ts';
import { LiveActivity } from './ingest/live-activity.ts';
import { Reconciler } from './ingest/reconciler.ts';
import { RebuiltFacts } from './ingest/rebuilt-facts.ts';
import { StorageRetention } from './ingest/storage-retention.ts';
import { settleServerId } from './config/server-identity.ts';
import { ReviewLoadService } from './query/review-load-query.ts';
import { ServiceMapService } from './query/service-map-query.ts';
import { ChangeMapper } from './mapping/change-mapper.ts';
import type { Logger } from './observability/logger.ts';
import { SidecarMetrics } from './observability/metrics.ts';
import { IngestStore } from './store/ingest-store.ts';
import { ChangeQueryService } from './query/change-query.ts';
import { ChangeIndexBuilder } from './query/change-index-builder.ts';
import { TempoReader } from './query/tempo-reader.ts';

// Wires the parts of a running sidecar: store, mapper, ingestor, exporter, and (when configured)
// the Gerrit stream and the REST reconciler. Nothing slow stands in front of the stream: a change
// rebuilt from REST holds back only its own live events (ChangeRebuilds), and the reconcile walk
// holds back none; it leaves a change the stream moved on during a page's read to a rebuild of its
// own (LiveActivity), so no change is set back to an older snapshot.

/** How often abandoned changes are checked for a final abandon, at most (a short abandonFinalAfterMs checks more often). */
const ABANDON_SWEEP_MS = 60_000;
/** Meta key: the changes waiting for a rebuild from REST, rebuilt again after a restart. */
const PENDING_REBUILDS_KEY = 'pending_rebuilds';

/** Something that keeps the sidecar from doing all of its job, though it runs (see /ready). */
export interface Degradation {
  reason: 'reconcile_failing' | 'rebuilds_failing';
  message: string;
  sinceMs: number;
}

export class Sidecar {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: SidecarMetrics;
  readonly store: IngestStore;
  readonly mapper: ChangeMapper;
  readonly ingestor: Ingestor;
  readonly exporter: TempoExporter;
  readonly drainer: OutboxDrainer;
  readonly rest: GerritRest | undefined;
  readonly tempoReader: TempoReader;
  readonly queries: ChangeQueryService;
  readonly changeIndex: ChangeIndexBuilder;
  readonly serviceMaps: ServiceMapService;
  readonly reviewLoads: ReviewLoadService;
  readonly reconciler: Reconciler | undefined;
  readonly storage: StorageRetention;
  /** The periodic read-back of exported changes (verify.intervalMs). */
  readonly consistency: ConsistencyCheck;
  stream: GerritStream | undefined;
  /** Rebuilds of single changes beside the stream; undefined without gerrit.http. */
  readonly rebuilds: ChangeRebuilds | undefined;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  private reconcileFailures = 0;
  private reconcileFailingSinceMs: number | undefined;
  private reconcileRetry: NodeJS.Timeout | undefined;
  private readonly rebuilt = new RebuiltFacts();
  private readonly activity = new LiveActivity();
  private pauseTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  lastReconcileError: string | undefined;

  constructor(
    config: Config,
    log: Logger,
    metrics = new SidecarMetrics(),
    options: { acceptServerIdChange?: boolean } = {},
  ) {
    this.log = log;
    this.metrics = metrics;
    this.store = new IngestStore(config.databasePath);
    let identity;
    try {
      identity = settleServerId(config, this.store, options.acceptServerIdChange);
    } catch (err) {
      this.store.close();
      throw err;
    }
    if (identity.note) {
      log.warn({ serverId: identity.serverId }, identity.note);
    }
    config = { ...config, serverId: identity.serverId };
    this.config = config;
    this.mapper = new ChangeMapper({
      serverId: config.serverId,
      botPatterns: config.mapping.botAccounts.map((p) => new RegExp(p, 'i')),
      commentMaxChars: config.mapping.commentMaxChars,
      onTextTruncated: () => metrics.textsTruncated.inc(),
      abandonFinalAfterMs: config.mapping.abandonFinalAfterMs,
      ciLabel: config.mapping.ciLabel,
    });
    this.ingestor = new Ingestor(this.store, this.mapper, metrics, log, {
      onEnqueued: () => this.drainer.notify(),
      onDroppedOutput: () => this.requestReconcile('dropped-output'),
      requestRebuild: (n, event) => this.rebuildChange(n, event),
      onRebuilt: (n, history) => this.rebuilt.add(n, history),
    });
    this.exporter = new TempoExporter(
      {
        endpoint: config.tempo.otlpEndpoint,
        headers: tempoHeaders(config),
        timeoutMs: config.tempo.timeoutMs,
        gzip: config.tempo.exportGzip,
      },
      { serviceName: config.serviceName, serverAddress: config.serverId },
    );
    this.storage = new StorageRetention(
      this.store,
      {
        serverId: config.serverId,
        abandonedRetentionMs: config.storage.abandonedRetentionDays * 86_400_000,
        deadLetterMaxSpans: config.storage.deadLetterMaxSpans,
        deadLetterRetentionMs: config.storage.deadLetterRetentionDays * 86_400_000,
      },
      metrics,
      log,
    );
    this.tempoReader = new TempoReader(config.tempo.queryUrl, tempoHeaders(config), config.tempo.timeoutMs, {
      gzip: config.tempo.queryGzip,
    });
    const spansInTempo = async (traceId: string) =>
      new Set((await this.tempoReader.trace(traceId)).map((span) => span.spanId));
    this.consistency = new ConsistencyCheck(this.store, this.tempoReader, metrics, log, config.verify);
    this.drainer = new OutboxDrainer(this.store, this.exporter, spansInTempo, config.export, metrics, log);
    this.queries = new ChangeQueryService(this.tempoReader, this.store, this.mapper, {
      serverId: config.serverId,
      serviceName: config.serviceName,
      maxChanges: config.query.maxChanges,
      cacheTtlMs: config.query.cacheSeconds * 1000,
      searchSlices: config.query.searchSlices,
      index: { enabled: config.index.enabled, retentionMs: config.index.retentionDays * 86_400_000 },
    });
    this.changeIndex = new ChangeIndexBuilder(this.queries, this.store, metrics, log, {
      enabled: config.index.enabled,
      retentionMs: config.index.retentionDays * 86_400_000,
      sliceMs: config.index.rebuildSliceHours * 3_600_000,
    });
    this.serviceMaps = new ServiceMapService(this.tempoReader, { cacheTtlMs: config.query.cacheSeconds * 1000 });
    this.reviewLoads = new ReviewLoadService(this.tempoReader, this.store, this.queries, {
      serverId: config.serverId,
      serviceName: config.serviceName,
      maxChanges: config.query.maxChanges,
      cacheTtlMs: config.query.cacheSeconds * 1000,
    });
    if (config.gerrit.http) {
      this.rest = new GerritRest(config.gerrit.http);
      this.reconciler = new Reconciler(
        this.rest,
        this.ingestor,
        this.store,
        log,
        config.gerrit.pageSize,
        config.gerrit.http.url,
      );
      const reconciler = this.reconciler;
      this.rebuilds = new ChangeRebuilds(
        {
          maxHeldPerChange: config.gerrit.maxHeldEventsPerChange,
          maxHeld: config.gerrit.maxHeldEvents,
          retryInitialMs: config.gerrit.reconcileRetryInitialMs,
          retryMaxMs: config.gerrit.reconcileRetryMaxMs,
          maxConcurrentReads: config.gerrit.maxConcurrentRebuilds,
        },
        {
          rebuild: async (n) => {
            const spans = await reconciler.reconcileChange(n);
            this.log.info({ change: n, newSpans: spans }, 'Rebuilt a change from its Gerrit history');
          },
          apply: (event, trigger) => this.applyEvent(event, { mayRebuild: !trigger }),
          retryable: (err) => !isChangeGone(err),
          reason: restFailureReason,
          persist: (numbers) => this.store.setMeta(PENDING_REBUILDS_KEY, JSON.stringify(numbers)),
          metrics,
          log,
        },
      );
    }
    this.metrics.openChanges.set(this.store.countOpenChanges());
  }

  /**
   * Writes the roots of abandoned changes whose abandon became final (mapping.abandonFinalAfterMs),
   * then keeps the database bounded (StorageRetention), now and every minute.
   */
  startAbandonSweep(): void {
    const sweep = () => {
      try {
        this.ingestor.finalizeAbandonedChanges(Date.now());
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'Could not write the roots of abandoned changes; retrying');
      }
      try {
        this.storage.sweep(Date.now());
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'Could not compact or prune the database; retrying');
      }
    };
    sweep();
    const everyMs = Math.max(1000, Math.min(ABANDON_SWEEP_MS, this.config.mapping.abandonFinalAfterMs / 4));
    this.sweepTimer ??= setInterval(sweep, everyMs);
    this.sweepTimer.unref();
  }

  /** Starts exporting, and following Gerrit when SSH is configured. */
  start(): void {
    this.drainer.start();
    this.startAbandonSweep();
    this.consistency.start();
    const ssh = this.config.gerrit.ssh;
    if (ssh) {
      if (ssh.hostKey.insecureAcceptAny) {
        this.log.warn(
          'gerrit.ssh.hostKey.insecureAcceptAny is set: the Gerrit host key is NOT verified. Use only for local experiments.',
        );
      }
      if (!this.reconciler) {
        this.log.warn('gerrit.http is not configured: events missed while disconnected cannot be reconciled');
      }
      this.resumePendingRebuilds();
      this.stream = new GerritStream(ssh, this.log, this.metrics, {
        onLine: (line) => this.onLine(line),
        onConnected: () => this.requestReconcile('connected'),
        onLineDropped: () => this.requestReconcile('line-too-long'),
      });
      this.stream.start();
      // Backpressure: while the outbox is at its bound, stop reading the stream.
      this.pauseTimer = setInterval(() => {
        if (this.drainer.isFull()) {
          this.stream?.pause();
        } else {
          this.stream?.resume();
        }
      }, 1000);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.pauseTimer);
    clearInterval(this.sweepTimer);
    clearTimeout(this.reconcileRetry);
    this.rebuilds?.stop();
    await this.consistency.stop();
    await this.changeIndex.stop();
    await this.stream?.stop();
    await this.reconciling?.catch(() => undefined);
    await this.drainer.stop();
    this.store.close();
  }

  /** Changes a stopped sidecar was rebuilding: their held events are gone, their history is not. */
  private resumePendingRebuilds(): void {
    const saved = this.store.getMeta(PENDING_REBUILDS_KEY);
    const numbers = saved ? (JSON.parse(saved) as number[]) : [];
    if (numbers.length > 0 && this.rebuilds) {
      this.log.info(
        { changes: numbers.length },
        'Rebuilding the changes a previous run was rebuilding when it stopped',
      );
      numbers.forEach((n) => this.rebuilds?.request(n));
    }
  }

  private onLine(line: string): void {
    const trimmed = line.trim();
    if (trimmed === '') {
      return;
    }
    const parsed = parseStreamEventLine(trimmed);
    if (parsed.kind === 'change' && this.rebuilds?.has(parsed.event.change.number)) {
      // Its change is being rebuilt from REST: this event waits for that; the others flow on.
      this.metrics.events.inc({ type: parsed.event.type });
      this.rebuilds.hold(parsed.event);
      return;
    }
    if (parsed.kind === 'change' && this.coveredByRebuild(parsed.event)) {
      this.metrics.events.inc({ type: parsed.event.type });
      return;
    }
    if (parsed.kind === 'change') {
      this.activity.touch(parsed.event.change.number);
    }
    this.ingestor.handleParsed(parsed, trimmed);
    this.metrics.openChanges.set(this.store.countOpenChanges());
  }

  /** True (and counted) when a recent rebuild already applied this live event. */
  private coveredByRebuild(event: ChangeEvent): boolean {
    if (!this.rebuilt.consume(event)) {
      return false;
    }
    this.metrics.liveEventsCoveredByRebuild.inc();
    return true;
  }

  /** A held event, once its change was rebuilt (or cannot be); see ChangeRebuildParts.apply. */
  private applyEvent(event: ChangeEvent, options: { mayRebuild: boolean }): void {
    if (this.coveredByRebuild(event)) {
      return;
    }
    this.activity.touch(event.change.number);
    this.ingestor.applyLive(event, options);
    this.metrics.openChanges.set(this.store.countOpenChanges());
  }

  /** Rebuilds one change from REST beside the stream; see IngestorHooks.requestRebuild. */
  private rebuildChange(number: number, event?: ChangeEvent): boolean {
    if (!this.rebuilds) {
      return false;
    }
    this.rebuilds.request(number, event);
    return true;
  }

  /** What keeps the sidecar from doing all of its job (it still follows Gerrit and exports). */
  degradations(): Degradation[] {
    const out: Degradation[] = [];
    if (this.reconcileFailingSinceMs !== undefined) {
      out.push({
        reason: 'reconcile_failing',
        message: `the reconcile from Gerrit REST failed ${this.reconcileFailures} time(s) in a row, retrying with backoff: ${this.lastReconcileError ?? 'unknown error'}`,
        sinceMs: this.reconcileFailingSinceMs,
      });
    }
    const rebuilds = this.rebuilds?.status();
    if (rebuilds && rebuilds.failing > 0) {
      out.push({
        reason: 'rebuilds_failing',
        message: `${rebuilds.failing} change(s) cannot be rebuilt from Gerrit REST (${rebuilds.heldEvents} live event(s) wait for them), retrying with backoff: ${rebuilds.lastError ?? 'unknown error'}`,
        sinceMs: rebuilds.failingSinceMs ?? Date.now(),
      });
    }
    return out;
  }

  /** Reconciles from the watermark; concurrent requests coalesce into one more pass. */
  requestReconcile(reason: string): void {
    if (!this.reconciler) {
      if (this.store.getWatermark() === undefined) {
        this.store.advanceWatermark(Date.now());
      }
      return;
    }
    if (this.reconciling) {
      this.reconcileAgain = true;
      return;
    }
    this.reconciling = this.runReconcile(reason).finally(() => {
      this.reconciling = undefined;
      if (this.reconcileAgain) {
        this.reconcileAgain = false;
        this.requestReconcile('again');
      }
    });
  }

  /** Resolves when no reconcile is running (for tests and the CLI). */
  async reconcileIdle(): Promise<void> {
    while (this.reconciling) {
      await this.reconciling;
    }
  }

  private async runReconcile(reason: string): Promise<void> {
    const reconciler = this.reconciler;
    if (!reconciler) {
      return;
    }
    const watermark = this.store.getWatermark();
    if (watermark === undefined) {
      // First start: history before now is the backfill command's job.
      this.store.advanceWatermark(Date.now());
      this.log.info(
        'First start: following new events from now on (run `reviewtrace-server backfill --since` for history)',
      );
      return;
    }
    const since = watermark - this.config.gerrit.reconcileOverlapSeconds * 1000;
    const started = Date.now();
    clearTimeout(this.reconcileRetry);
    try {
      const visited = new Set<number>();
      let skipped = 0;
      const result = await reconciler.walk(since, Date.now() + 60_000, {
        visited,
        beginRead: () => {
          // A change being rebuilt on its own is left to that rebuild (asked to read once more).
          const read = this.activity.beginRead();
          return { touched: (n) => read.touched(n) || this.rebuilds?.has(n) === true, end: () => read.end() };
        },
        onSkipped: (n) => {
          skipped += 1;
          this.rebuilds?.request(n);
        },
      });
      const deleted = await reconciler.closeDeletedChanges(visited);
      if (this.reconcileFailures > 0) {
        this.log.info({ failures: this.reconcileFailures }, 'The reconcile succeeds again');
      }
      this.lastReconcileError = undefined;
      this.reconcileFailures = 0;
      this.reconcileFailingSinceMs = undefined;
      this.metrics.reconcileFailing.set(0);
      this.log.info(
        {
          reason,
          since: new Date(since).toISOString(),
          changes: result.changes,
          newSpans: result.spans,
          changedDuringRead: skipped,
          deletedChanges: deleted,
          ms: Date.now() - started,
        },
        'Reconciled from Gerrit',
      );
    } catch (err) {
      const error = err as Error;
      this.lastReconcileError = error.message;
      this.reconcileFailures += 1;
      this.reconcileFailingSinceMs ??= started;
      this.metrics.reconcileFailing.set(1);
      this.metrics.reconcileFailures.inc({ kind: 'walk', reason: restFailureReason(error) });
      const delayMs = retryDelayMs(
        this.reconcileFailures,
        this.config.gerrit.reconcileRetryInitialMs,
        this.config.gerrit.reconcileRetryMaxMs,
      );
      this.log.warn(
        { reason, err: error.message, failures: this.reconcileFailures, retryInMs: delayMs },
        'Reconcile failed; the stream goes on; retrying',
      );
      this.reconcileRetry = setTimeout(() => this.requestReconcile('retry'), delayMs);
      this.reconcileRetry.unref();
    }
  }
}
