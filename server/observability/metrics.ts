import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

// Prometheus metrics served at /metrics. One registry per sidecar instance so tests can run
// several side by side.
export class SidecarMetrics {
  readonly registry = new Registry();
  readonly events = new Counter({
    name: 'reviewtrace_gerrit_events_total',
    help: 'Gerrit stream events received, by type.',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly badLines = new Counter({
    name: 'reviewtrace_gerrit_bad_lines_total',
    help: 'Stream lines skipped, by reason: invalid_json, not_object, missing_field, wrong_type (a field the mapper reads has the wrong type), line_too_long (over gerrit.ssh.maxLineBytes), unknown_type.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly textsTruncated = new Counter({
    name: 'reviewtrace_comments_truncated_total',
    help: 'Comment texts and abandon/restore reasons cut to mapping.commentMaxChars when mapped (a rebuild maps them again).',
    registers: [this.registry],
  });
  readonly spansEnqueued = new Counter({
    name: 'reviewtrace_spans_enqueued_total',
    help: 'Complete spans put into the outbox (each span id once, ever).',
    labelNames: ['name'],
    registers: [this.registry],
  });
  readonly spansDuplicate = new Counter({
    name: 'reviewtrace_spans_duplicate_total',
    help: 'Spans produced again by a replay, reconcile or backfill and dropped because the ledger has them.',
    registers: [this.registry],
  });
  readonly spansExported = new Counter({
    name: 'reviewtrace_spans_exported_total',
    help: 'Spans accepted by Tempo.',
    registers: [this.registry],
  });
  readonly exportsUnknown = new Counter({
    name: 'reviewtrace_export_unknown_outcomes_total',
    help: 'OTLP exports that ended without an answer saying whether Tempo stored them (resolved by reading the traces back), by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly readBackSpans = new Counter({
    name: 'reviewtrace_export_read_back_spans_total',
    help: 'Spans of exports with an unknown outcome, by whether Tempo held them when read back (in_tempo: not sent again; missing: sent again).',
    labelNames: ['found'],
    registers: [this.registry],
  });
  readonly exportFailures = new Counter({
    name: 'reviewtrace_export_failures_total',
    help: 'OTLP export attempts that Tempo did not accept, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly outboxSpans = new Gauge({
    name: 'reviewtrace_outbox_spans',
    help: 'Spans waiting in the outbox for Tempo.',
    registers: [this.registry],
  });
  readonly outboxBytes = new Gauge({
    name: 'reviewtrace_outbox_bytes',
    help: 'Bytes of spans waiting in the outbox.',
    registers: [this.registry],
  });
  readonly outboxFull = new Gauge({
    name: 'reviewtrace_outbox_fill_ratio',
    help: 'Outbox size relative to its configured bound (1 = full: ingestion pauses).',
    registers: [this.registry],
  });
  readonly reconnects = new Counter({
    name: 'reviewtrace_gerrit_reconnects_total',
    help: 'SSH reconnects to Gerrit, by reason.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly connected = new Gauge({
    name: 'reviewtrace_gerrit_connected',
    help: '1 while stream-events is running.',
    registers: [this.registry],
  });
  readonly streamLagSeconds = new Gauge({
    name: 'reviewtrace_stream_lag_seconds',
    help: 'Age of the newest processed event when it was processed (wall clock minus eventCreatedOn).',
    registers: [this.registry],
  });
  readonly liveEventsCoveredByRebuild = new Counter({
    name: 'reviewtrace_live_events_covered_by_rebuild_total',
    help: 'Live events skipped because a rebuild from REST history had just applied them.',
    registers: [this.registry],
  });
  readonly eventsAlreadyApplied = new Counter({
    name: 'reviewtrace_events_already_applied_total',
    help: 'Live events an open change had already applied (a line delivered again: a replay, an events-log playback), skipped.',
    registers: [this.registry],
  });
  readonly heldEvents = new Gauge({
    name: 'reviewtrace_held_events',
    help: 'Live events waiting for the rebuild of their change from Gerrit REST (the other changes flow on).',
    registers: [this.registry],
  });
  readonly heldEventsDropped = new Counter({
    name: 'reviewtrace_held_events_dropped_total',
    help: 'Live events not held because a bound was hit (change_limit, total_limit); their change is rebuilt from REST again.',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly changesAwaitingRebuild = new Gauge({
    name: 'reviewtrace_changes_awaiting_rebuild',
    help: 'Changes waiting for a rebuild from Gerrit REST: being read, or waiting to retry after a failure.',
    registers: [this.registry],
  });
  readonly reconcileFailures = new Counter({
    name: 'reviewtrace_reconcile_failures_total',
    help: 'Failed reads of Gerrit REST history, by kind (walk: the reconcile from the watermark; change: the rebuild of one change) and reason (timeout, unreachable, http_4xx, http_5xx, other).',
    labelNames: ['kind', 'reason'],
    registers: [this.registry],
  });
  readonly reconcileFailing = new Gauge({
    name: 'reviewtrace_reconcile_failing',
    help: '1 while the reconcile from the watermark fails and is being retried with backoff.',
    registers: [this.registry],
  });
  readonly reconciledChanges = new Counter({
    name: 'reviewtrace_reconciled_changes_total',
    help: 'Changes rebuilt from Gerrit history (reconcile and backfill).',
    registers: [this.registry],
  });
  readonly openChanges = new Gauge({
    name: 'reviewtrace_open_changes',
    help: 'Open changes held in the live overlay.',
    registers: [this.registry],
  });
  /** Counts the change index's rows when /metrics is read (set by the ChangeIndexBuilder). */
  changeIndexSize: (() => number) | undefined;
  readonly changeIndexChanges = new Gauge({
    name: 'reviewtrace_change_index_changes',
    help: 'Closed changes in the change index (the list reads them there).',
    registers: [this.registry],
    collect: () => {
      if (this.changeIndexSize) {
        this.changeIndexChanges.set(this.changeIndexSize());
      }
    },
  });
  readonly changeIndexRebuildProgress = new Gauge({
    name: 'reviewtrace_change_index_rebuild_progress',
    help: 'Share of the retention period the change index rebuild from Tempo has covered (1: complete, the list reads the index).',
    registers: [this.registry],
  });
  readonly changeIndexRebuilds = new Counter({
    name: 'reviewtrace_change_index_rebuilds_total',
    help: 'Rebuilds of the change index from Tempo, by outcome (completed, failed).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly ledgerRows = new Gauge({
    name: 'reviewtrace_ledger_rows',
    help: 'Rows of the exported-span ledger, by table: ledger (one per span of a change not compacted yet), closed_traces (one per compacted change). Set by the storage sweep.',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly ledgerCompactedSpans = new Counter({
    name: 'reviewtrace_ledger_compacted_spans_total',
    help: 'Per-span ledger rows folded into one row per closed change.',
    registers: [this.registry],
  });
  readonly abandonedChangesDropped = new Counter({
    name: 'reviewtrace_abandoned_changes_dropped_total',
    help: 'States of changes abandoned for good dropped after storage.abandonedRetentionDays (a later restore rebuilds the change from REST).',
    registers: [this.registry],
  });
  readonly deadLetterSpans = new Gauge({
    name: 'reviewtrace_dead_letter_spans',
    help: 'Spans Tempo refused, kept in the dead-letter table. Set by the storage sweep.',
    registers: [this.registry],
  });
  readonly deadLetterDropped = new Counter({
    name: 'reviewtrace_dead_letter_dropped_total',
    help: 'Dead letters dropped, by reason: age (storage.deadLetterRetentionDays), count (storage.deadLetterMaxSpans).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly verifyTracesChecked = new Counter({
    name: 'reviewtrace_verify_traces_checked_total',
    help: 'Closed changes the periodic consistency check read back from Tempo and compared with the ledger (verify.intervalMs).',
    registers: [this.registry],
  });
  readonly verifySpansMissing = new Counter({
    name: 'reviewtrace_verify_spans_missing_total',
    help: 'Span ids the ledger says were exported that the consistency check did not find in Tempo.',
    registers: [this.registry],
  });
  readonly verifySpansUnexpected = new Counter({
    name: 'reviewtrace_verify_spans_unexpected_total',
    help: "Span ids the consistency check found in a change's trace in Tempo that the ledger does not hold.",
    registers: [this.registry],
  });
  readonly verifySpansDoubled = new Counter({
    name: 'reviewtrace_verify_spans_doubled_total',
    help: 'Spans Tempo stores more than once (copies beyond the first), found by the consistency check with a TraceQL search scoped to the trace.',
    registers: [this.registry],
  });
  readonly verifyFailures = new Counter({
    name: 'reviewtrace_verify_failures_total',
    help: 'Traces the consistency check could not read back, by reason: tempo_unreachable, query_refused (e.g. a trace longer than query_frontend.search.max_duration), tempo_error.',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
    }
  }
}
