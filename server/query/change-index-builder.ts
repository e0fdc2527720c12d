import type { ChangeIndexStatus } from '../../src/review-model/code-review-api.ts';
import type { Logger } from '../observability/logger.ts';
import type { SidecarMetrics } from '../observability/metrics.ts';
import type { IngestStore } from '../store/ingest-store.ts';
import type { ChangeQueryService, ClosedRows } from './change-query.ts';

// Fills the change index from Tempo when the database does not have it complete (a new database, or
// one from a version without the index), and keeps it within its retention. Until a rebuild has
// finished, the query API reads closed changes from Tempo as before (ChangeQueryService.indexServes),
// so its answers stay exact meanwhile.

export interface ChangeIndexOptions {
  enabled: boolean;
  /** Rows of changes closed longer ago are pruned (index.retentionDays); the rebuild looks back as far. */
  retentionMs: number;
  /** The rebuild searches Tempo in slices this long (index.rebuildSliceHours), halved when one is full. */
  sliceMs: number;
  /** Wait after a failed rebuild (Tempo unreachable) before the next try. */
  retryMs?: number;
  /** Wait after a rebuild before the last hour before it is searched again (see recheckRecent). */
  recheckAfterMs?: number;
}

/** A slice that still fills a whole search answer is not split below this. */
const MIN_SLICE_MS = 60_000;
/** Changes closed a little in the future of the sidecar's clock (clock skew) are found too. */
const FUTURE_SKEW_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 3_600_000;
/**
 * Tempo 3.0 searches traces older than query_backend_after (15 min) only in backend blocks, which
 * its querier sees after a blocklist poll (5 min): what a lost database exported shortly before a
 * rebuild may not be searchable yet. The last hour before the rebuild is searched again later.
 */
const RECHECK_AFTER_MS = 25 * 60_000;
const RECHECK_WINDOW_MS = 3_600_000;

export class ChangeIndexBuilder {
  private readonly queries: ChangeQueryService;
  private readonly store: IngestStore;
  private readonly metrics: SidecarMetrics;
  private readonly log: Logger;
  private readonly options: ChangeIndexOptions;
  private progress: number | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private pruneTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private recheck: Promise<void> | undefined;

  constructor(
    queries: ChangeQueryService,
    store: IngestStore,
    metrics: SidecarMetrics,
    log: Logger,
    options: ChangeIndexOptions,
  ) {
    this.queries = queries;
    this.store = store;
    this.metrics = metrics;
    this.log = log;
    this.options = options;
    metrics.changeIndexSize = () => store.indexedChangeCount();
  }

  status(): { state: ChangeIndexStatus; rebuildProgress?: number; changes: number } {
    const changes = this.store.indexedChangeCount();
    if (!this.options.enabled) {
      return { state: 'disabled', changes };
    }
    const { state } = this.store.changeIndexState();
    return state === 'rebuilding' ? { state, rebuildProgress: this.progress ?? 0, changes } : { state, changes };
  }

  /**
   * Rebuilds the index now if it needs it (retrying until it completes), and prunes it every hour.
   * Resolves when the first attempt has ended, whatever its outcome.
   */
  start(): Promise<void> {
    if (!this.options.enabled) {
      return Promise.resolve();
    }
    this.prune(Date.now());
    this.pruneTimer ??= setInterval(() => this.prune(Date.now()), PRUNE_EVERY_MS);
    this.pruneTimer.unref();
    this.metrics.changeIndexRebuildProgress.set(this.store.changeIndexState().state === 'ready' ? 1 : 0);
    this.rebuildIfNeeded();
    return this.idleOnce();
  }

  private async idleOnce(): Promise<void> {
    await this.running;
  }

  /** Resolves when no rebuild is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) {
      await this.running;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pruneTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.recheckTimer);
    await this.idle();
    await this.recheck;
  }

  private rebuildIfNeeded(): void {
    if (this.stopped || this.running || this.store.changeIndexState().state === 'ready') {
      return;
    }
    this.running = this.rebuild(Date.now())
      .then(
        () => this.metrics.changeIndexRebuilds.inc({ outcome: 'completed' }),
        (err: unknown) => {
          this.metrics.changeIndexRebuilds.inc({ outcome: 'failed' });
          const retryMs = this.options.retryMs ?? 30_000;
          this.log.warn(
            { err: (err as Error).message, retryInMs: retryMs },
            'Could not rebuild the change index from Tempo; the list searches Tempo until it is rebuilt',
          );
          this.retryTimer = setTimeout(() => this.rebuildIfNeeded(), retryMs);
          this.retryTimer.unref();
        },
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  /**
   * Fills the index with every closed change Tempo holds from the last retention period: the roots
   * and submits the list's own Tempo searches find, slice by slice, oldest first. Spans still in
   * the outbox (Tempo cannot show them yet) are indexed first. Rows already there are kept when they
   * are of a later root (isLaterRoot), so ingestion may go on meanwhile.
   */
  async rebuild(nowMs: number): Promise<{ changes: number; searches: number }> {
    const startedMs = Date.now();
    this.store.setChangeIndexState({ state: 'rebuilding' });
    this.progress = 0;
    const fromOutbox = this.store.indexOutbox();
    const fromMs = nowMs - this.options.retentionMs;
    const toMs = nowMs + FUTURE_SKEW_MS;
    this.log.info(
      { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), fromOutbox },
      'Rebuilding the change index from Tempo',
    );
    const pending: Array<[number, number]> = [];
    // A Tempo without a single root (a new installation) is not searched slice by slice.
    const tempoHasRoots = await this.queries.anyRootInTempo(fromMs, toMs);
    for (let from = fromMs; tempoHasRoots && from < toMs; from += this.options.sliceMs) {
      pending.push([from, Math.min(toMs, from + this.options.sliceMs)]);
    }
    let covered = 0;
    let searches = 0;
    let changes = 0;
    let loggedTenth = 0;
    while (pending.length > 0) {
      if (this.stopped) {
        throw new Error('the sidecar is stopping');
      }
      const [from, to] = pending.shift() as [number, number];
      const rows = await this.queries.searchClosedRows(from, to, { retryEmpty: false, laterRoots: true });
      searches += 1;
      if (rows.full && to - from > MIN_SLICE_MS) {
        // Tempo answered as many rows as it may: the slice holds more. Search its halves instead.
        const middle = Math.round((from + to) / 2);
        pending.unshift([from, middle], [middle, to]);
        continue;
      }
      if (rows.full) {
        this.log.warn(
          { from: new Date(from).toISOString(), to: new Date(to).toISOString() },
          'A minute of history fills a whole Tempo search (query.maxChanges): the index may miss changes of it',
        );
      }
      this.indexRows(rows);
      changes += rows.roots.length;
      covered += to - from;
      this.progress = covered / (toMs - fromMs);
      this.metrics.changeIndexRebuildProgress.set(this.progress);
      const tenth = Math.floor(this.progress * 10);
      if (tenth > loggedTenth && pending.length > 0) {
        loggedTenth = tenth;
        this.log.info(
          { progress: Math.round(this.progress * 100) / 100, roots: changes, searches },
          'Rebuilding the change index',
        );
      }
    }
    this.store.setChangeIndexState({ state: 'ready', builtAtMs: Date.now() });
    this.progress = undefined;
    if (tempoHasRoots) {
      this.recheckTimer = setTimeout(() => {
        this.recheck = this.recheckRecent(nowMs).finally(() => (this.recheck = undefined));
      }, this.options.recheckAfterMs ?? RECHECK_AFTER_MS);
      this.recheckTimer.unref();
    }
    this.metrics.changeIndexRebuildProgress.set(1);
    this.prune(nowMs);
    this.log.info(
      { roots: changes, searches, indexed: this.store.indexedChangeCount(), ms: Date.now() - startedMs },
      'Rebuilt the change index from Tempo: the list reads closed changes from it',
    );
    return { changes, searches };
  }

  /** Stores one search's roots and submits (rows already there are kept when later: isLaterRoot). */
  private indexRows(rows: ClosedRows): void {
    this.store.transaction(() => {
      for (const root of rows.roots) {
        this.store.indexRoot(root);
      }
      for (const submit of rows.submits) {
        this.store.indexSubmit(submit.traceId, submit.startMs);
      }
    });
  }

  /** Searches the hour before a rebuild at `rebuiltAtMs` again: see RECHECK_AFTER_MS. */
  private async recheckRecent(rebuiltAtMs: number): Promise<void> {
    if (this.stopped) {
      return;
    }
    try {
      const rows = await this.queries.searchClosedRows(rebuiltAtMs - RECHECK_WINDOW_MS, rebuiltAtMs + FUTURE_SKEW_MS, {
        retryEmpty: false,
        laterRoots: true,
      });
      const before = this.store.indexedChangeCount();
      this.indexRows(rows);
      this.log.info(
        { roots: rows.roots.length, added: this.store.indexedChangeCount() - before },
        'Searched Tempo again for the hour before the change index rebuild',
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'Could not search Tempo again after the change index rebuild');
    }
  }

  private prune(nowMs: number): void {
    try {
      const pruned = this.store.pruneIndex(nowMs - this.options.retentionMs);
      if (pruned > 0) {
        this.log.info({ changes: pruned }, 'Pruned change index rows past index.retentionDays');
      }
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'Could not prune the change index');
    }
  }
}
