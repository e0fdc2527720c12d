import type { Config } from './config/config.ts';
import { tempoHeaders } from './config/config.ts';
import { OutboxDrainer } from './export/outbox-drainer.ts';
import { TempoExporter } from './export/tempo-exporter.ts';
import { GerritRest } from './gerrit/rest-client.ts';
import { GerritStream } from './gerrit/ssh-stream.ts';
import { parseStreamEventLine, type ChangeEvent } from './gerrit/stream-events.ts';
import { Ingestor } from './ingest/ingestor.ts';
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
// the Gerrit stream and the REST reconciler. Live lines that arrive while a reconcile runs are
// held and applied after it, so a rebuilt change is never overwritten by an older snapshot.

/** How often abandoned changes are checked for a final abandon, at most (a short abandonFinalAfterMs checks more often). */
const ABANDON_SWEEP_MS = 60_000;

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
  stream: GerritStream | undefined;
  private reconciling: Promise<void> | undefined;
  private reconcileAgain = false;
  /** Live input held while a rebuild from REST runs (see holding()). */
  private held: ({ line: string } | { event: ChangeEvent })[] | undefined;
  private holds = 0;
  private readonly rebuilt = new RebuiltFacts();
  private readonly rebuilding = new Set<number>();
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
    this.drainer = new OutboxDrainer(this.store, this.exporter, config.export, metrics, log);
    this.tempoReader = new TempoReader(config.tempo.queryUrl, tempoHeaders(config), config.tempo.timeoutMs, {
      gzip: config.tempo.queryGzip,
    });
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
      this.stream = new GerritStream(ssh, this.log, this.metrics, {
        onLine: (line) => this.onLine(line),
        onConnected: () => this.requestReconcile('connected'),
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
    await this.changeIndex.stop();
    await this.stream?.stop();
    await this.reconciling?.catch(() => undefined);
    await this.drainer.stop();
    this.store.close();
  }

  private onLine(line: string): void {
    if (this.held) {
      this.held.push({ line });
      return;
    }
    this.applyLine(line);
    this.metrics.openChanges.set(this.store.countOpenChanges());
  }

  /** Applies one stream line, unless a recent rebuild already covered the event it reports. */
  private applyLine(line: string): boolean {
    const trimmed = line.trim();
    if (trimmed === '') {
      return false;
    }
    const parsed = parseStreamEventLine(trimmed);
    if (parsed.kind === 'change' && this.rebuilt.consume(parsed.event)) {
      this.metrics.events.inc({ type: parsed.event.type });
      this.metrics.liveEventsCoveredByRebuild.inc();
      return true;
    }
    this.ingestor.handleParsed(parsed, trimmed);
    return false;
  }

  /**
   * Runs a rebuild from REST while live input is held. When the last running rebuild ends, held
   * input is applied, except live events the rebuilt histories already contain.
   */
  private async holding<T>(work: () => Promise<T>): Promise<T> {
    this.holds += 1;
    this.held ??= [];
    try {
      return await work();
    } finally {
      this.holds -= 1;
      if (this.holds === 0) {
        this.release();
      }
    }
  }

  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    let covered = 0;
    for (const item of held) {
      const again = this.currentHold();
      if (again) {
        // Applying an event started another rebuild: the rest waits for that one too.
        again.push(item);
        continue;
      }
      if ('event' in item) {
        if (this.rebuilt.consume(item.event)) {
          covered += 1;
        } else {
          this.ingestor.applyLive(item.event, { mayRebuild: false });
        }
      } else if (this.applyLine(item.line)) {
        covered += 1;
      }
    }
    if (held.length > 0) {
      this.log.debug({ held: held.length, coveredByRebuild: covered }, 'Applied live events held during a rebuild');
    }
    this.metrics.openChanges.set(this.store.countOpenChanges());
  }

  /** The input being held now, if a rebuild is running (read fresh: release() may start one). */
  private currentHold(): ({ line: string } | { event: ChangeEvent })[] | undefined {
    return this.held;
  }

  /** Rebuilds one change from REST; see IngestorHooks.requestRebuild. */
  private rebuildChange(number: number, event?: ChangeEvent): boolean {
    const reconciler = this.reconciler;
    if (!reconciler) {
      return false;
    }
    if (this.rebuilding.has(number)) {
      if (event) {
        this.held?.push({ event });
      }
      return true;
    }
    this.rebuilding.add(number);
    void this.holding(async () => {
      if (event) {
        this.held?.push({ event });
      }
      try {
        const spans = await reconciler.reconcileChange(number);
        this.log.info({ change: number, newSpans: spans }, 'Rebuilt a change from its Gerrit history');
      } catch (err) {
        this.log.warn(
          { change: number, err: (err as Error).message },
          'Could not rebuild a change from REST; applying its events as they came',
        );
      } finally {
        this.rebuilding.delete(number);
      }
    });
    return true;
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
    await this.holding(async () => {
      try {
        const visited = new Set<number>();
        const result = await reconciler.walk(since, Date.now() + 60_000, { visited });
        const deleted = await reconciler.closeDeletedChanges(visited);
        this.lastReconcileError = undefined;
        this.log.info(
          {
            reason,
            since: new Date(since).toISOString(),
            changes: result.changes,
            newSpans: result.spans,
            deletedChanges: deleted,
            ms: Date.now() - started,
          },
          'Reconciled from Gerrit',
        );
      } catch (err) {
        this.lastReconcileError = (err as Error).message;
        this.log.warn({ reason, err: (err as Error).message }, 'Reconcile failed; retrying in 30 s');
        setTimeout(() => this.requestReconcile('retry'), 30_000).unref();
      }
    });
  }
}
