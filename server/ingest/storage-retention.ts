import { traceIdFor } from '../mapping/span-ids.ts';
import type { Logger } from '../observability/logger.ts';
import type { SidecarMetrics } from '../observability/metrics.ts';
import type { DeadLetterPruning, IngestStore, LedgerCompaction } from '../store/ingest-store.ts';

// Keeps the database bounded over years of history (docs/architecture.md, "Bounded storage"):
// the ledger of a closed change shrinks to one row, the state of changes abandoned for good is
// dropped after a retention, and the dead-letter table is bounded by age and count. Run by the
// sidecar's periodic sweep; every step is safe to repeat and to interrupt.

export interface StorageRetentionOptions {
  /** The Gerrit identity of the trace ids (the mapper's), to tell open changes' traces. */
  serverId: string;
  /** storage.abandonedRetentionDays in ms; 0 keeps abandoned changes' state forever. */
  abandonedRetentionMs: number;
  deadLetterMaxSpans: number;
  deadLetterRetentionMs: number;
}

export interface StorageSweep {
  ledger: LedgerCompaction;
  abandonedDropped: number;
  deadLettersDropped: DeadLetterPruning;
}

export class StorageRetention {
  private readonly store: IngestStore;
  private readonly options: StorageRetentionOptions;
  private readonly metrics: SidecarMetrics;
  private readonly log: Logger;
  private postponedLogged = false;
  /** Trace ids of the open changes at the last sweep: most are open at the next one too. */
  private openTraceIds = new Map<number, string>();

  constructor(store: IngestStore, options: StorageRetentionOptions, metrics: SidecarMetrics, log: Logger) {
    this.store = store;
    this.options = options;
    this.metrics = metrics;
    this.log = log;
  }

  /** One pass over the three bounds. `nowMs` is the wall clock (retentions count from Gerrit's times). */
  sweep(nowMs: number): StorageSweep {
    const openTraceIds = new Map<number, string>();
    for (const number of this.store.openChangeNumbers()) {
      openTraceIds.set(number, this.openTraceIds.get(number) ?? traceIdFor(this.options.serverId, number));
    }
    this.openTraceIds = openTraceIds;
    const ledger = this.store.compactLedger(new Set(openTraceIds.values()), nowMs);
    this.metrics.ledgerCompactedSpans.inc(ledger.spanRows);
    if (ledger.traces > 0) {
      this.log.debug({ changes: ledger.traces, spanRows: ledger.spanRows }, 'Compacted the ledger of closed changes');
    }
    if (ledger.postponed && !this.postponedLogged) {
      this.log.info(
        { outboxSpans: this.store.outboxDepth().spans },
        'Ledger compaction waits while the outbox is this deep (Tempo behind); the ledger keeps per-span rows meanwhile',
      );
    }
    this.postponedLogged = ledger.postponed;

    let abandonedDropped = 0;
    if (this.options.abandonedRetentionMs > 0) {
      abandonedDropped = this.store.dropAbandonedChanges(nowMs - this.options.abandonedRetentionMs);
      if (abandonedDropped > 0) {
        this.metrics.abandonedChangesDropped.inc(abandonedDropped);
        this.log.info(
          { changes: abandonedDropped },
          'Dropped the state of changes abandoned for good past storage.abandonedRetentionDays; a later restore rebuilds them from REST',
        );
      }
    }

    const deadLettersDropped = this.store.pruneDeadLetters(
      this.options.deadLetterMaxSpans,
      nowMs - this.options.deadLetterRetentionMs,
    );
    for (const reason of ['age', 'count'] as const) {
      if (deadLettersDropped[reason] > 0) {
        this.metrics.deadLetterDropped.inc({ reason }, deadLettersDropped[reason]);
        this.log.warn(
          { spans: deadLettersDropped[reason], reason },
          reason === 'age'
            ? 'Dropped dead letters older than storage.deadLetterRetentionDays'
            : 'Dropped the oldest dead letters beyond storage.deadLetterMaxSpans',
        );
      }
    }

    const rows = this.store.ledgerRowCounts();
    this.metrics.ledgerRows.set({ table: 'ledger' }, rows.spanRows);
    this.metrics.ledgerRows.set({ table: 'closed_traces' }, rows.closedTraces);
    this.metrics.deadLetterSpans.set(this.store.deadLetterCount());
    return { ledger, abandonedDropped, deadLettersDropped };
  }
}
