import { Attr, SpanName } from '../../src/review-model/span-schema.ts';
import { malformedLogKey, type ChangeEvent, type ParseResult } from '../gerrit/stream-events.ts';
import { appliedState, type ChangeMapper, type OpenChange } from '../mapping/change-mapper.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import type { Logger } from '../observability/logger.ts';
import { RateLimitedLog } from '../observability/logger.ts';
import type { SidecarMetrics } from '../observability/metrics.ts';
import type { IngestStore } from '../store/ingest-store.ts';

// From events to stored spans: parse → open-change state → complete spans → ledger + outbox, in one
// transaction per event (or per batch of events during replays). Used by the live stream, the
// reconcile, the backfill and the demo alike, so they cannot disagree.

export interface IngestorHooks {
  /** New spans are in the outbox. */
  onEnqueued?: () => void;
  /** Gerrit reported dropped-output: some events of this session are lost and must be reconciled. */
  onDroppedOutput?: () => void;
  /**
   * The change needs rebuilding from its REST history: an event named a change this sidecar holds
   * no state for (and it is not the change's first), or the stream looked wrong. Returns true when a
   * rebuild is scheduled; `event`, if given, is then left to the rebuild (its history includes it)
   * and handed back through applyLive(event, { mayRebuild: false }) after it (skipped if covered).
   */
  requestRebuild?: (changeNumber: number, event?: ChangeEvent) => boolean;
  /** A change was rebuilt from this history. */
  onRebuilt?: (changeNumber: number, history: ChangeEvent[]) => void;
}

/**
 * A change's complete spans as its whole history maps to them at `nowMs`, and the state it leaves:
 * what a rebuild exports (new spans only), and what `verify` expects in Tempo. Writes nothing.
 */
export function replayHistory(
  mapper: ChangeMapper,
  history: readonly ChangeEvent[],
  nowMs: number,
): { change: OpenChange | undefined; spans: SpanRecord[] } {
  let change: OpenChange | undefined;
  const spans: SpanRecord[] = [];
  for (const event of history) {
    const result = mapper.applyEvent(change, event);
    change = result.change;
    spans.push(...result.spans);
  }
  if (change) {
    spans.push(...mapper.finalizeAbandoned(change, nowMs));
  }
  return { change, spans };
}

export class Ingestor {
  private readonly store: IngestStore;
  private readonly mapper: ChangeMapper;
  private readonly metrics: SidecarMetrics;
  private readonly log: Logger;
  private readonly warnOnce: RateLimitedLog;
  private readonly hooks: IngestorHooks;
  private laterRootsMarked = false;

  constructor(
    store: IngestStore,
    mapper: ChangeMapper,
    metrics: SidecarMetrics,
    log: Logger,
    hooks: IngestorHooks = {},
  ) {
    this.store = store;
    this.mapper = mapper;
    this.metrics = metrics;
    this.log = log;
    this.warnOnce = new RateLimitedLog(log);
    this.hooks = hooks;
  }

  /** One parsed stream line. Never throws on bad input: it is counted and skipped. */
  handleParsed(result: ParseResult, line = ''): void {
    switch (result.kind) {
      case 'malformed':
        this.metrics.badLines.inc({ reason: result.reason });
        this.warnOnce.warn(
          malformedLogKey(result),
          { reason: result.reason, detail: result.detail, change: result.changeNumber, sample: line.slice(0, 200) },
          'Skipped a malformed stream-events line',
        );
        if (result.changeNumber !== undefined) {
          this.hooks.requestRebuild?.(result.changeNumber);
        }
        return;
      case 'unknown-type':
        this.metrics.badLines.inc({ reason: 'unknown_type' });
        this.metrics.events.inc({ type: 'unknown' });
        this.warnOnce.warn(
          `unknown:${result.type}`,
          { type: result.type },
          'Skipped an event of a type ReviewTrace does not map',
        );
        return;
      case 'changeless':
        this.metrics.events.inc({ type: result.type });
        return;
      case 'dropped-output':
        this.metrics.events.inc({ type: 'dropped-output' });
        this.log.warn('Gerrit dropped stream events for this session (dropped-output); reconciling');
        this.hooks.onDroppedOutput?.();
        return;
      case 'change':
        this.metrics.events.inc({ type: result.event.type });
        this.applyLive(result.event);
        return;
    }
  }

  /** Applies one live event in its own transaction and advances the watermark. */
  applyLive(event: ChangeEvent, options: { mayRebuild?: boolean } = {}): void {
    const number = event.change.number;
    const known = this.store.getChange(number);
    const isFirst = event.type === 'patchset-created' && event.patchSet?.number === 1;
    const applied = known ? appliedState(known, event) : 'new';
    // Without its history the change's ordinals and intervals would be wrong; and a figure's time
    // (first review, ready, merge, abandon) is taken from Gerrit's record, whose time for the same
    // fact can be a second earlier than the stream's: the rebuild from REST covers this event too.
    // So it does an event older than the facts the change remembers: only the history can tell
    // whether it was applied already.
    const rebuild = known
      ? applied === 'unknown' || (applied === 'new' && this.mapper.definesFigure(known, event))
      : !isFirst;
    if (rebuild && options.mayRebuild !== false && this.hooks.requestRebuild?.(number, event)) {
      this.store.advanceWatermark(event.timeMs);
      return;
    }
    const result = this.mapper.applyEvent(known, event);
    if (result.alreadyApplied) {
      // The same line again (a replay, an events-log playback): applied twice, its spans would get
      // new ordinals, hence new ids.
      this.metrics.eventsAlreadyApplied.inc();
      this.log.debug({ change: number, type: event.type, timeMs: event.timeMs }, 'Skipped an event applied already');
      if (result.needsRebuild) {
        this.hooks.requestRebuild?.(number);
      }
      return;
    }
    this.log.debug(
      { change: number, type: event.type, timeMs: event.timeMs, spans: result.spans.length },
      'Applied a live event',
    );
    if (result.needsRebuild) {
      this.hooks.requestRebuild?.(number);
    }
    this.store.transaction(() => {
      this.enqueue(result.spans);
      this.store.saveChange(number, result.change);
      this.store.advanceWatermark(event.timeMs);
    });
    this.metrics.streamLagSeconds.set(Math.max(0, (Date.now() - event.timeMs) / 1000));
    if (result.spans.length > 0) {
      this.hooks.onEnqueued?.();
    }
  }

  /** Closes an open change Gerrit no longer has (deleted while the stream was not followed). */
  closeDeletedChange(number: number): void {
    const state = this.store.getChange(number);
    if (!state) {
      return;
    }
    const change = {
      number,
      project: state.project,
      branch: state.branch,
      changeId: state.changeId,
      subject: state.subject,
      url: state.url,
      owner: state.owner,
      createdOnMs: state.createdMs,
    };
    this.applyLive(
      { type: 'change-deleted', change, timeMs: state.lastEventMs, deleter: undefined },
      { mayRebuild: false },
    );
  }

  /**
   * Rebuilds one change from its full history (reconcile, backfill): the stored state is replaced by
   * the replayed one, and only spans the ledger has not seen are enqueued.
   */
  rebuildChange(number: number, history: ChangeEvent[]): { spans: number; open: boolean } {
    const { change, spans } = replayHistory(this.mapper, history, Date.now());
    let added = 0;
    this.store.transaction(() => {
      added = this.enqueue(spans);
      this.store.saveChange(number, change);
    });
    this.metrics.reconciledChanges.inc();
    this.hooks.onRebuilt?.(number, history);
    if (added > 0) {
      this.hooks.onEnqueued?.();
    }
    return { spans: added, open: change !== undefined };
  }

  /**
   * Writes the root spans of changes whose abandon has become final (mapping.abandonFinalAfterMs).
   * Returns how many changes it closed.
   */
  finalizeAbandonedChanges(nowMs: number): number {
    let closed = 0;
    for (const change of this.store.listPendingAbandoned()) {
      const spans = this.mapper.finalizeAbandoned(change, nowMs);
      if (spans.length === 0) {
        continue;
      }
      this.store.transaction(() => {
        this.enqueue(spans);
        this.store.saveChange(change.number, change);
      });
      closed += 1;
    }
    if (closed > 0) {
      this.log.info({ changes: closed }, 'Abandons became final: wrote their root spans');
      this.hooks.onEnqueued?.();
    }
    return closed;
  }

  private enqueue(spans: SpanRecord[]): number {
    if (!this.laterRootsMarked) {
      for (const span of spans) {
        if (span.name === SpanName.change && span.attributes[Attr.rootGeneration] !== undefined) {
          this.store.markLaterGenerationRoots();
          this.laterRootsMarked = true;
        }
      }
    }
    const added = this.store.enqueueSpans(spans, Date.now());
    if (added.length < spans.length) {
      this.metrics.spansDuplicate.inc(spans.length - added.length);
    }
    for (const span of added) {
      this.metrics.spansEnqueued.inc({ name: span.name });
    }
    return added.length;
  }
}
