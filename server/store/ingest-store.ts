import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { reviveOpenChange, type OpenChange } from '../mapping/change-mapper.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import { SpanName } from '../../src/review-model/span-schema.ts';
import { changeNumberOf, indexedRootRow, rootGeneration, type IndexedRoot } from './change-index.ts';
import { isSpanId, packedHas, packedSpanIdCount, packSpanIds, unpackSpanIds } from './span-id-set.ts';

// The sidecar's embedded database: only what ingestion needs to be exact (SPEC "Data flow").
// - ledger, closed_traces: ids of every span ever handed to the outbox; a span already there is
//   never enqueued again, so replays, reconciles and backfills cannot export a span twice. The
//   ledger has a row per span; once a change is closed and its spans have left the outbox,
//   compactLedger() folds its rows into one closed_traces row that holds the same ids, packed;
// - outbox: complete spans not yet accepted by Tempo, in order;
// - open_changes: the state of open changes (also the live overlay), and of abandoned ones, which a
//   restore continues (until dropAbandonedChanges(): a later restore is rebuilt from REST);
// - dead_letter: spans Tempo refused, for an operator (pruneDeadLetters() bounds it);
// - meta: the watermark (newest Gerrit event time processed) and resumable cursors;
// - change_summary, change_submit: the change index, derived from the root and submit spans queued
//   for export (change-index.ts) and rebuildable from Tempo; the list reads closed changes there.
// A span enters the ledger and the outbox in the same transaction as the change state it came
// from, so a crash leaves either all of an event's effects or none.

export interface OutboxBatch {
  lastSeq: number;
  spans: SpanRecord[];
  bytes: number;
}

/**
 * An outbox batch on its way to Tempo, recorded before it is sent. `sending`: the outcome is not in
 * yet (found at start, the sidecar stopped in between); `unknown`: the export ended without an
 * answer saying whether Tempo stored it.
 */
export interface ExportInFlight {
  /** The batch is every outbox entry up to and including this seq. */
  lastSeq: number;
  spans: number;
  sentAtMs: number;
  state: 'sending' | 'unknown';
  /** Why the outcome is unknown (timeout, no_answer, http_502). */
  reason?: string;
}

export interface OutboxDepth {
  spans: number;
  bytes: number;
}

/** The ledger's size: per-span rows, and compacted traces with the spans they stand for. */
export interface LedgerRows {
  spanRows: number;
  closedTraces: number;
  closedTraceSpans: number;
}

export interface LedgerCompaction {
  traces: number;
  /** Per-span rows folded into closed_traces rows. */
  spanRows: number;
  /** The outbox was too deep to tell which traces it still holds: compaction waits for Tempo. */
  postponed: boolean;
}

export interface DeadLetterPruning {
  /** Dropped because older than the retention. */
  age: number;
  /** Dropped, oldest first, because the table held more than its bound. */
  count: number;
}

/**
 * Above this many spans in the outbox (Tempo down for long), compaction waits instead of reading
 * every queued span for its trace id on each sweep; the ledger just keeps the rows meanwhile.
 */
const COMPACTION_OUTBOX_SCAN_LIMIT = 50_000;
/** Traces folded per transaction, so a large first compaction does not hold the write lock long. */
const COMPACTION_TRACES_PER_TRANSACTION = 500;
/**
 * Traces folded per call, so the first sweep over a ledger of years (a database of the version
 * before compaction) does not hold the event loop for long; the next sweeps go on from there.
 */
const COMPACTION_TRACES_PER_CALL = 5_000;

/** The `open_changes.status` of an abandoned change whose root span waits for the abandon to be final. */
const PENDING_ABANDON = 'ABANDONED_PENDING';
const LATER_ROOTS_KEY = 'later_generation_roots';
const EXPORT_IN_FLIGHT_KEY = 'export_in_flight';
/** Set once the change index holds every root in Tempo: after its rebuild, which every database needs once. */
const CHANGE_INDEX_KEY = 'change_index';

export interface ChangeIndexState {
  state: 'ready' | 'rebuilding';
  /** When the last rebuild finished (epoch ms); absent for a database that began with the index. */
  builtAtMs?: number;
}

function storedStatus(change: OpenChange): string {
  return change.status === 'ABANDONED' && !change.rootWritten && change.abandonedMs !== undefined
    ? PENDING_ABANDON
    : change.status;
}

export class IngestStore {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly stmts: {
    ledgerInsert: StatementSync;
    outboxInsert: StatementSync;
    outboxRead: StatementSync;
    outboxDelete: StatementSync;
    outboxDeleteOne: StatementSync;
    outboxDepth: StatementSync;
    changeUpsert: StatementSync;
    changeDelete: StatementSync;
    changeGet: StatementSync;
    changeList: StatementSync;
    changeListStatus: StatementSync;
    changeCount: StatementSync;
    metaGet: StatementSync;
    metaSet: StatementSync;
    metaDelete: StatementSync;
    ledgerHas: StatementSync;
    ledgerCount: StatementSync;
    deadLetter: StatementSync;
    deadLetterCount: StatementSync;
    deadLetterPruneAge: StatementSync;
    deadLetterPruneCount: StatementSync;
    closedTraceGet: StatementSync;
    closedTraceUpsert: StatementSync;
    closedTraceTotals: StatementSync;
    closedTraceCount: StatementSync;
    closedTracesBefore: StatementSync;
    ledgerTraces: StatementSync;
    ledgerOfTrace: StatementSync;
    ledgerDeleteTrace: StatementSync;
    outboxTraces: StatementSync;
    openChangeNumbers: StatementSync;
    abandonedDrop: StatementSync;
    abandonedCount: StatementSync;
    indexRoot: StatementSync;
    indexSubmit: StatementSync;
    indexedAll: StatementSync;
    dataVersion: StatementSync;
    indexCount: StatementSync;
    indexPruneRoots: StatementSync;
    indexPruneSubmits: StatementSync;
  };
  private depthCache: OutboxDepth | undefined;
  /**
   * The change index in memory, read from the table once and then kept up to date by this
   * process's own writes: reading and parsing 20,000 rows per list request would cost most of it.
   * Reloaded when another process (a backfill beside the sidecar) has written the database.
   */
  private indexCache:
    | {
        dataVersion: number;
        roots: Map<number, IndexedRoot>;
        numberOfTrace: Map<string, number>;
        submits: Map<string, number>;
      }
    | undefined;
  private inTransaction = false;

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') {
      // Owner-only: the database holds names, emails and comment text.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    }
    this.db = new DatabaseSync(path);
    if (path !== ':memory:') {
      // SQLite creates the -wal and -shm files with the database file's mode.
      chmodSync(path, 0o600);
    }
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS ledger (span_id TEXT PRIMARY KEY, trace_id TEXT NOT NULL, at_ms INTEGER NOT NULL) WITHOUT ROWID;
      -- Added with ledger compaction: a database of the version before gets both here, on open, and
      -- its ledger is compacted by the first sweep.
      CREATE INDEX IF NOT EXISTS ledger_trace ON ledger (trace_id);
      CREATE TABLE IF NOT EXISTS closed_traces (trace_id TEXT PRIMARY KEY, span_count INTEGER NOT NULL, first_at_ms INTEGER NOT NULL, compacted_at_ms INTEGER NOT NULL, span_ids BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, span TEXT NOT NULL, bytes INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letter (seq INTEGER PRIMARY KEY, span TEXT NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS open_changes (number INTEGER PRIMARY KEY, status TEXT NOT NULL, state TEXT NOT NULL, last_event_ms INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS open_changes_status ON open_changes (status);
      CREATE TABLE IF NOT EXISTS change_summary (number INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, generation INTEGER NOT NULL, attributes TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS change_summary_end ON change_summary (end_ms);
      CREATE TABLE IF NOT EXISTS change_submit (trace_id TEXT PRIMARY KEY, submitted_ms INTEGER NOT NULL) WITHOUT ROWID;
    `);
    this.stmts = {
      ledgerInsert: this.db.prepare('INSERT OR IGNORE INTO ledger (span_id, trace_id, at_ms) VALUES (?, ?, ?)'),
      ledgerHas: this.db.prepare('SELECT 1 AS found FROM ledger WHERE span_id = ?'),
      ledgerCount: this.db.prepare('SELECT COUNT(*) AS n FROM ledger'),
      outboxInsert: this.db.prepare('INSERT INTO outbox (span, bytes) VALUES (?, ?)'),
      outboxRead: this.db.prepare('SELECT seq, span, bytes FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
      outboxDelete: this.db.prepare('DELETE FROM outbox WHERE seq <= ?'),
      outboxDeleteOne: this.db.prepare('DELETE FROM outbox WHERE seq = ?'),
      outboxDepth: this.db.prepare('SELECT COUNT(*) AS spans, COALESCE(SUM(bytes), 0) AS bytes FROM outbox'),
      changeUpsert: this.db.prepare(
        'INSERT INTO open_changes (number, status, state, last_event_ms) VALUES (?, ?, ?, ?) ON CONFLICT(number) DO UPDATE SET status = excluded.status, state = excluded.state, last_event_ms = excluded.last_event_ms',
      ),
      changeDelete: this.db.prepare('DELETE FROM open_changes WHERE number = ?'),
      changeGet: this.db.prepare('SELECT state FROM open_changes WHERE number = ?'),
      changeList: this.db.prepare("SELECT state FROM open_changes WHERE status = 'NEW' ORDER BY number"),
      changeCount: this.db.prepare("SELECT COUNT(*) AS n FROM open_changes WHERE status = 'NEW'"),
      changeListStatus: this.db.prepare('SELECT state FROM open_changes WHERE status = ? ORDER BY number'),
      deadLetter: this.db.prepare(
        'INSERT OR REPLACE INTO dead_letter (seq, span, reason, at_ms) SELECT seq, span, ?, ? FROM outbox WHERE seq = ?',
      ),
      deadLetterCount: this.db.prepare('SELECT COUNT(*) AS n FROM dead_letter'),
      deadLetterPruneAge: this.db.prepare('DELETE FROM dead_letter WHERE at_ms < ?'),
      // seq is the outbox's: the oldest refusals have the lowest.
      deadLetterPruneCount: this.db.prepare(
        'DELETE FROM dead_letter WHERE seq IN (SELECT seq FROM dead_letter ORDER BY seq LIMIT MAX(0, (SELECT COUNT(*) FROM dead_letter) - ?))',
      ),
      closedTraceGet: this.db.prepare('SELECT span_ids, first_at_ms FROM closed_traces WHERE trace_id = ?'),
      closedTraceUpsert: this.db.prepare(
        `INSERT INTO closed_traces (trace_id, span_count, first_at_ms, compacted_at_ms, span_ids) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(trace_id) DO UPDATE SET span_count = excluded.span_count, first_at_ms = excluded.first_at_ms, compacted_at_ms = excluded.compacted_at_ms, span_ids = excluded.span_ids`,
      ),
      closedTraceCount: this.db.prepare('SELECT COUNT(*) AS n FROM closed_traces'),
      // Closed traces compacted before a time, newest first, without spans added since (a trace
      // that grew again has per-span rows, whose spans may still be on their way to Tempo).
      closedTracesBefore: this.db.prepare(
        `SELECT trace_id FROM closed_traces c WHERE compacted_at_ms <= ?
           AND NOT EXISTS (SELECT 1 FROM ledger l WHERE l.trace_id = c.trace_id)
         ORDER BY compacted_at_ms DESC LIMIT ?`,
      ),
      closedTraceTotals: this.db.prepare(
        'SELECT COUNT(*) AS traces, COALESCE(SUM(span_count), 0) AS spans FROM closed_traces',
      ),
      // The distinct trace ids of the ledger, one index seek each (a skip scan of ledger_trace),
      // rather than a walk over every row.
      ledgerTraces: this.db.prepare(
        `WITH RECURSIVE t(id) AS (
           SELECT MIN(trace_id) FROM ledger
           UNION ALL SELECT (SELECT MIN(trace_id) FROM ledger WHERE trace_id > t.id) FROM t WHERE t.id IS NOT NULL
         ) SELECT id FROM t WHERE id IS NOT NULL`,
      ),
      ledgerOfTrace: this.db.prepare('SELECT span_id, at_ms FROM ledger WHERE trace_id = ?'),
      ledgerDeleteTrace: this.db.prepare('DELETE FROM ledger WHERE trace_id = ?'),
      outboxTraces: this.db.prepare("SELECT DISTINCT json_extract(span, '$.traceId') AS trace_id FROM outbox"),
      // Every change whose trace can still grow by its own course: open, or abandoned and not final.
      openChangeNumbers: this.db.prepare("SELECT number FROM open_changes WHERE status <> 'ABANDONED'"),
      abandonedCount: this.db.prepare("SELECT COUNT(*) AS n FROM open_changes WHERE status = 'ABANDONED'"),
      abandonedDrop: this.db.prepare("DELETE FROM open_changes WHERE status = 'ABANDONED' AND last_event_ms < ?"),
      // One row per change: its latest root (isLaterRoot, here in SQL), as Tempo's search would pick it.
      indexRoot: this.db.prepare(
        `INSERT INTO change_summary (number, trace_id, start_ms, end_ms, generation, attributes) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(number) DO UPDATE SET trace_id = excluded.trace_id, start_ms = excluded.start_ms, end_ms = excluded.end_ms, generation = excluded.generation, attributes = excluded.attributes
         WHERE excluded.generation > change_summary.generation OR (excluded.generation = change_summary.generation AND excluded.end_ms >= change_summary.end_ms)`,
      ),
      indexSubmit: this.db.prepare(
        'INSERT INTO change_submit (trace_id, submitted_ms) VALUES (?, ?) ON CONFLICT(trace_id) DO UPDATE SET submitted_ms = MAX(submitted_ms, excluded.submitted_ms)',
      ),
      indexedAll: this.db.prepare(
        'SELECT s.number, s.trace_id, s.start_ms, s.end_ms, s.attributes FROM change_summary s',
      ),
      // Changes when another connection commits (PRAGMA data_version), not with this one's writes.
      dataVersion: this.db.prepare('PRAGMA data_version'),
      indexCount: this.db.prepare('SELECT COUNT(*) AS n FROM change_summary'),
      indexPruneRoots: this.db.prepare('DELETE FROM change_summary WHERE end_ms < ?'),
      indexPruneSubmits: this.db.prepare('DELETE FROM change_submit WHERE submitted_ms < ?'),
      metaGet: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      metaDelete: this.db.prepare('DELETE FROM meta WHERE key = ?'),
      metaSet: this.db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      ),
    };
  }

  close(): void {
    this.db.close();
  }

  /** Runs fn in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    if (this.inTransaction) {
      return fn();
    }
    this.db.exec('BEGIN IMMEDIATE');
    this.inTransaction = true;
    try {
      const result = fn();
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      this.db.exec('ROLLBACK');
      this.depthCache = undefined;
      this.indexCache = undefined;
      throw err;
    } finally {
      this.inTransaction = false;
    }
  }

  /**
   * Enqueues the spans not in the ledger yet and records them there. Returns the new ones.
   * `nowMs` is only the ledger's bookkeeping time, never a span field.
   */
  enqueueSpans(spans: SpanRecord[], nowMs: number): SpanRecord[] {
    const added: SpanRecord[] = [];
    // The compacted ids of the traces at hand, read once per call (a rebuild brings a whole trace).
    const compacted = new Map<string, Uint8Array | undefined>();
    for (const span of spans) {
      if (!compacted.has(span.traceId)) {
        compacted.set(span.traceId, this.compactedSpanIds(span.traceId));
      }
      const closed = compacted.get(span.traceId);
      if (closed && packedHas(closed, span.spanId)) {
        continue;
      }
      const r = this.stmts.ledgerInsert.run(span.spanId, span.traceId, nowMs);
      if (r.changes === 0) {
        continue;
      }
      const json = JSON.stringify(span);
      this.stmts.outboxInsert.run(json, json.length);
      // Only spans new to the ledger: Tempo keeps the first copy of a span id, and so does the index.
      this.indexSpan(span);
      added.push(span);
      if (this.depthCache) {
        this.depthCache.spans += 1;
        this.depthCache.bytes += json.length;
      }
    }
    return added;
  }

  /**
   * Puts a root or submit span into the change index (other spans are not indexed). Called for
   * every span queued for export, in its transaction, and by the rebuild for Tempo's.
   */
  indexSpan(span: Pick<SpanRecord, 'name' | 'traceId' | 'startMs' | 'endMs' | 'attributes'>): void {
    if (span.name === SpanName.change) {
      this.indexRoot(indexedRootRow(span));
    } else if (span.name === SpanName.submit) {
      this.indexSubmit(span.traceId, span.startMs);
    }
  }

  /** Stores a root row (see change-index.ts) unless the index holds a later root of the change. */
  indexRoot(row: IndexedRoot): void {
    const number = changeNumberOf(row);
    if (number === undefined) {
      return;
    }
    const generation = rootGeneration(row);
    const projected = indexedRootRow(row);
    const written = this.stmts.indexRoot.run(
      number,
      row.traceId,
      row.startMs,
      row.endMs,
      generation,
      JSON.stringify(projected.attributes),
    );
    const cache = this.indexCache;
    if (cache && Number(written.changes) > 0) {
      cache.roots.set(number, { ...projected, submittedMs: cache.submits.get(row.traceId) });
      cache.numberOfTrace.set(row.traceId, number);
    }
    if (generation > 1 && !this.hasLaterGenerationRoots()) {
      // The Tempo search path asks for later roots only once one is known (rebuilds see them first).
      this.markLaterGenerationRoots();
    }
  }

  /** Records that the change of this trace was submitted at `atMs` (a submit span). */
  indexSubmit(traceId: string, atMs: number): void {
    this.stmts.indexSubmit.run(traceId, atMs);
    const cache = this.indexCache;
    if (cache) {
      const submittedMs = Math.max(atMs, cache.submits.get(traceId) ?? atMs);
      cache.submits.set(traceId, submittedMs);
      const number = cache.numberOfTrace.get(traceId);
      const root = number === undefined ? undefined : cache.roots.get(number);
      if (number !== undefined && root) {
        cache.roots.set(number, { ...root, submittedMs });
      }
    }
  }

  /**
   * The indexed closed changes whose life (created → closed) overlaps [fromMs, toMs]. The rows are
   * shared between calls until they change: callers must not modify them.
   */
  indexedRoots(fromMs: number, toMs: number): readonly IndexedRoot[] {
    const out: IndexedRoot[] = [];
    for (const root of this.loadedIndex().roots.values()) {
      if (root.endMs >= fromMs && root.startMs <= toMs) {
        out.push(root);
      }
    }
    return out;
  }

  private loadedIndex(): NonNullable<IngestStore['indexCache']> {
    const dataVersion = Number((this.stmts.dataVersion.get() as { data_version: number }).data_version);
    if (this.indexCache?.dataVersion === dataVersion) {
      return this.indexCache;
    }
    const submits = new Map<string, number>();
    for (const r of this.db.prepare('SELECT trace_id, submitted_ms FROM change_submit').all() as {
      trace_id: string;
      submitted_ms: number;
    }[]) {
      submits.set(r.trace_id, Number(r.submitted_ms));
    }
    const roots = new Map<number, IndexedRoot>();
    const numberOfTrace = new Map<string, number>();
    for (const r of this.stmts.indexedAll.all() as {
      number: number;
      trace_id: string;
      start_ms: number;
      end_ms: number;
      attributes: string;
    }[]) {
      const number = Number(r.number);
      roots.set(number, {
        traceId: r.trace_id,
        startMs: Number(r.start_ms),
        endMs: Number(r.end_ms),
        attributes: JSON.parse(r.attributes) as IndexedRoot['attributes'],
        submittedMs: submits.get(r.trace_id),
      });
      numberOfTrace.set(r.trace_id, number);
    }
    this.indexCache = { dataVersion, roots, numberOfTrace, submits };
    return this.indexCache;
  }

  indexedChangeCount(): number {
    return Number((this.stmts.indexCount.get() as { n: number }).n);
  }

  /** Drops index rows of changes closed before `beforeMs` (index.retentionDays). Returns how many. */
  pruneIndex(beforeMs: number): number {
    return this.transaction(() => {
      const roots = Number(this.stmts.indexPruneRoots.run(beforeMs).changes);
      const submits = Number(this.stmts.indexPruneSubmits.run(beforeMs).changes);
      if (roots + submits > 0) {
        this.indexCache = undefined;
      }
      return roots;
    });
  }

  /**
   * Whether the index holds every root Tempo has: true unless a rebuild is due (a database created
   * without the index by an earlier version, or a new database beside a Tempo that may hold data).
   */
  changeIndexState(): ChangeIndexState {
    const raw = this.getMeta(CHANGE_INDEX_KEY);
    // Absent: a new database (Tempo may hold what a lost one wrote) or one from before the index,
    // which exported spans without indexing them. Either is complete only after a rebuild.
    return raw === undefined ? { state: 'rebuilding' } : (JSON.parse(raw) as ChangeIndexState);
  }

  setChangeIndexState(state: ChangeIndexState): void {
    this.setMeta(CHANGE_INDEX_KEY, JSON.stringify(state));
  }

  /**
   * Indexes the root and submit spans still waiting in the outbox: a database from before the index
   * queued them without indexing them, and Tempo cannot be searched for them yet.
   */
  indexOutbox(): number {
    let afterSeq = 0;
    let indexed = 0;
    for (;;) {
      const batch = this.readOutbox(1000, Number.MAX_SAFE_INTEGER, afterSeq);
      if (!batch) {
        return indexed;
      }
      this.transaction(() => {
        for (const span of batch.spans) {
          if (span.name === SpanName.change || span.name === SpanName.submit) {
            this.indexSpan(span);
            indexed += 1;
          }
        }
      });
      afterSeq = batch.lastSeq;
    }
  }

  /** Whether the span was ever handed to the outbox (its per-span row, or its compacted trace). */
  hasExported(traceId: string, spanId: string): boolean {
    if (this.stmts.ledgerHas.get(spanId) !== undefined) {
      return true;
    }
    const closed = this.compactedSpanIds(traceId);
    return closed !== undefined && packedHas(closed, spanId);
  }

  /** Every span id of the trace ever handed to the outbox, sorted: what Tempo should hold of it. */
  exportedSpanIds(traceId: string): string[] {
    const closed = this.compactedSpanIds(traceId);
    const ids = new Set(closed ? unpackSpanIds(closed) : []);
    for (const row of this.stmts.ledgerOfTrace.all(traceId) as { span_id: string }[]) {
      ids.add(row.span_id);
    }
    return [...ids].sort();
  }

  /**
   * Trace ids of the most recently closed traces whose spans all left the outbox before
   * `compactedBeforeMs` (compaction folds a trace only then), newest first: what the periodic
   * consistency check reads back from Tempo.
   */
  closedTracesBefore(compactedBeforeMs: number, limit: number): string[] {
    return (this.stmts.closedTracesBefore.all(compactedBeforeMs, limit) as { trace_id: string }[]).map(
      (r) => r.trace_id,
    );
  }

  private compactedSpanIds(traceId: string): Uint8Array | undefined {
    const row = this.stmts.closedTraceGet.get(traceId) as { span_ids: Uint8Array } | undefined;
    return row?.span_ids;
  }

  /** How many span ids the ledger holds, per-span rows and compacted ones alike. */
  ledgerSize(): number {
    const rows = this.ledgerRows();
    return rows.spanRows + rows.closedTraceSpans;
  }

  ledgerRows(): LedgerRows {
    const totals = this.stmts.closedTraceTotals.get() as { traces: number; spans: number };
    return {
      spanRows: Number((this.stmts.ledgerCount.get() as { n: number }).n),
      closedTraces: Number(totals.traces),
      closedTraceSpans: Number(totals.spans),
    };
  }

  /** The rows of the ledger's two tables, counted without reading the packed ids (for the metric). */
  ledgerRowCounts(): { spanRows: number; closedTraces: number } {
    return {
      spanRows: Number((this.stmts.ledgerCount.get() as { n: number }).n),
      closedTraces: Number((this.stmts.closedTraceCount.get() as { n: number }).n),
    };
  }

  /** Numbers of the changes whose trace may still grow: open, or abandoned and not final. */
  openChangeNumbers(): number[] {
    return (this.stmts.openChangeNumbers.all() as { number: number }[]).map((r) => Number(r.number));
  }

  /**
   * Folds the per-span ledger rows of every closed trace into one closed_traces row holding the
   * same span ids, packed. A trace is closed when it is not in `openTraceIds` (see
   * openChangeNumbers()) and none of its spans is still in the outbox. The answer of the ledger
   * does not change: a span of a compacted trace counts as exported exactly when its id is in the
   * packed set, so a new span of a trace that grows again (a restore after a final abandon, a
   * comment after the merge) is still enqueued once, gets a row, and is folded in at the next close.
   * Folds at most `maxTraces` traces; the next call goes on with the rest.
   */
  compactLedger(
    openTraceIds: ReadonlySet<string>,
    nowMs: number,
    maxTraces = COMPACTION_TRACES_PER_CALL,
  ): LedgerCompaction {
    const candidates = (this.stmts.ledgerTraces.all() as { id: string }[])
      .map((r) => r.id)
      .filter((id) => !openTraceIds.has(id));
    const result: LedgerCompaction = { traces: 0, spanRows: 0, postponed: false };
    if (candidates.length === 0) {
      return result;
    }
    if (this.outboxDepth().spans > COMPACTION_OUTBOX_SCAN_LIMIT) {
      return { ...result, postponed: true };
    }
    const queued = new Set((this.stmts.outboxTraces.all() as { trace_id: string | null }[]).map((r) => r.trace_id));
    const closed = candidates.filter((id) => !queued.has(id)).slice(0, maxTraces);
    for (let from = 0; from < closed.length; from += COMPACTION_TRACES_PER_TRANSACTION) {
      this.transaction(() => {
        for (const traceId of closed.slice(from, from + COMPACTION_TRACES_PER_TRANSACTION)) {
          const folded = this.compactTrace(traceId, nowMs);
          if (folded > 0) {
            result.traces += 1;
            result.spanRows += folded;
          }
        }
      });
    }
    return result;
  }

  /** Folds one trace's per-span rows into its closed_traces row. Returns how many rows it folded. */
  private compactTrace(traceId: string, nowMs: number): number {
    const rows = this.stmts.ledgerOfTrace.all(traceId) as { span_id: string; at_ms: number }[];
    if (rows.length === 0 || rows.some((r) => !isSpanId(r.span_id))) {
      return 0; // not a span id this sidecar made (nothing should write one): left as rows
    }
    const existing = this.stmts.closedTraceGet.get(traceId) as
      { span_ids: Uint8Array; first_at_ms: number } | undefined;
    const ids = existing ? unpackSpanIds(existing.span_ids) : [];
    let firstAtMs = existing ? Number(existing.first_at_ms) : Number.MAX_SAFE_INTEGER;
    for (const row of rows) {
      ids.push(row.span_id);
      firstAtMs = Math.min(firstAtMs, Number(row.at_ms));
    }
    const packed = packSpanIds(ids);
    this.stmts.closedTraceUpsert.run(traceId, packedSpanIdCount(packed), firstAtMs, nowMs, packed);
    this.stmts.ledgerDeleteTrace.run(traceId);
    return rows.length;
  }

  /**
   * Drops the state of changes abandoned for good (root written) whose last event is older than
   * `beforeMs` (Gerrit's time). A later restore or event of such a change finds no state and
   * rebuilds the change from its REST history, which the ledger then exports nothing old of.
   */
  dropAbandonedChanges(beforeMs: number): number {
    return Number(this.stmts.abandonedDrop.run(beforeMs).changes);
  }

  saveChange(number: number, change: OpenChange | undefined): void {
    if (change) {
      this.stmts.changeUpsert.run(number, storedStatus(change), JSON.stringify(change), change.lastEventMs);
    } else {
      this.stmts.changeDelete.run(number);
    }
  }

  getChange(number: number): OpenChange | undefined {
    const row = this.stmts.changeGet.get(number) as { state: string } | undefined;
    return row ? reviveOpenChange(JSON.parse(row.state) as OpenChange) : undefined;
  }

  /** How many changes listOpenChanges() would return, without reading their state. */
  countOpenChanges(): number {
    return Number((this.stmts.changeCount.get() as { n: number }).n);
  }

  /** Changes abandoned for good whose state is kept for a restore (see dropAbandonedChanges()). */
  countAbandonedChanges(): number {
    return Number((this.stmts.abandonedCount.get() as { n: number }).n);
  }

  /** Changes with status NEW (abandoned ones are kept but not listed). */
  listOpenChanges(): OpenChange[] {
    return (this.stmts.changeList.all() as { state: string }[]).map((r) =>
      reviveOpenChange(JSON.parse(r.state) as OpenChange),
    );
  }

  /** Abandoned changes whose abandon is not final yet: Tempo has no root span for them (the overlay serves them). */
  listPendingAbandoned(): OpenChange[] {
    return (this.stmts.changeListStatus.all(PENDING_ABANDON) as { state: string }[]).map((r) =>
      reviveOpenChange(JSON.parse(r.state) as OpenChange),
    );
  }

  /** Oldest spans first, after `afterSeq`, up to `maxSpans` and about `maxBytes`. */
  readOutbox(maxSpans: number, maxBytes: number, afterSeq = 0): OutboxBatch | undefined {
    const rows = this.stmts.outboxRead.all(afterSeq, maxSpans) as { seq: number; span: string; bytes: number }[];
    if (rows.length === 0) {
      return undefined;
    }
    const spans: SpanRecord[] = [];
    let bytes = 0;
    let lastSeq = afterSeq;
    for (const row of rows) {
      if (spans.length > 0 && bytes + row.bytes > maxBytes) {
        break;
      }
      spans.push(JSON.parse(row.span) as SpanRecord);
      bytes += row.bytes;
      lastSeq = Number(row.seq);
    }
    return { lastSeq, spans, bytes };
  }

  /**
   * Removes every outbox entry up to and including seq, and settles the export in flight: call
   * only after Tempo accepted them.
   */
  ackOutbox(seq: number): void {
    this.transaction(() => {
      this.stmts.outboxDelete.run(seq);
      this.stmts.metaDelete.run(EXPORT_IN_FLIGHT_KEY);
    });
    this.depthCache = undefined;
  }

  /**
   * Records that a batch is about to be sent. Written before the request leaves, so a sidecar
   * killed before it learns the outcome finds the mark at its next start and asks Tempo which
   * spans arrived instead of sending them all again.
   */
  markExportInFlight(mark: ExportInFlight): void {
    this.setMeta(EXPORT_IN_FLIGHT_KEY, JSON.stringify(mark));
  }

  exportInFlight(): ExportInFlight | undefined {
    const value = this.getMeta(EXPORT_IN_FLIGHT_KEY);
    return value === undefined ? undefined : (JSON.parse(value) as ExportInFlight);
  }

  /** The export in flight is over and nothing of it reached Tempo (or it was dealt with otherwise). */
  settleExportInFlight(): void {
    this.stmts.metaDelete.run(EXPORT_IN_FLIGHT_KEY);
  }

  /** The outbox entries up to and including seq, oldest first: the batch of an export in flight. */
  outboxThrough(seq: number): { seq: number; span: SpanRecord }[] {
    const rows: { seq: number; span: SpanRecord }[] = [];
    let after = 0;
    for (;;) {
      const page = this.stmts.outboxRead.all(after, 1000) as { seq: number; span: string }[];
      for (const row of page) {
        if (Number(row.seq) > seq) {
          return rows;
        }
        rows.push({ seq: Number(row.seq), span: JSON.parse(row.span) as SpanRecord });
      }
      if (page.length < 1000) {
        return rows;
      }
      after = Number(page[page.length - 1].seq);
    }
  }

  /**
   * Settles an export whose outcome was unknown once Tempo was asked: the entries whose spans
   * Tempo holds leave the outbox, the others stay to be sent again, in one transaction.
   */
  settleFoundInTempo(seqs: readonly number[]): void {
    this.transaction(() => {
      for (const seq of seqs) {
        this.stmts.outboxDeleteOne.run(seq);
      }
      this.stmts.metaDelete.run(EXPORT_IN_FLIGHT_KEY);
    });
    this.depthCache = undefined;
  }

  /**
   * Moves one outbox entry that Tempo refused outright to the dead-letter table, where it is kept
   * (with Tempo's answer) for an operator instead of blocking the outbox forever.
   */
  deadLetter(seq: number, reason: string, nowMs: number): void {
    this.transaction(() => {
      this.stmts.deadLetter.run(reason, nowMs, seq);
      this.stmts.outboxDeleteOne.run(seq);
      this.stmts.metaDelete.run(EXPORT_IN_FLIGHT_KEY);
    });
    this.depthCache = undefined;
  }

  deadLetterCount(): number {
    return Number((this.stmts.deadLetterCount.get() as { n: number }).n);
  }

  /** Drops dead letters set aside before `beforeMs`, then the oldest beyond `maxSpans`. */
  pruneDeadLetters(maxSpans: number, beforeMs: number): DeadLetterPruning {
    return this.transaction(() => ({
      age: Number(this.stmts.deadLetterPruneAge.run(beforeMs).changes),
      count: Number(this.stmts.deadLetterPruneCount.run(maxSpans).changes),
    }));
  }

  outboxDepth(): OutboxDepth {
    if (!this.depthCache) {
      const row = this.stmts.outboxDepth.get() as { spans: number; bytes: number };
      this.depthCache = { spans: Number(row.spans), bytes: Number(row.bytes) };
    }
    return { ...this.depthCache };
  }

  getMeta(key: string): string | undefined {
    const row = this.stmts.metaGet.get(key) as { value: string } | undefined;
    return row?.value;
  }

  /**
   * Whether a root of a later generation (a change restored after its abandon was final) was ever
   * written: only then does the query API search Tempo for such roots.
   */
  hasLaterGenerationRoots(): boolean {
    return this.getMeta(LATER_ROOTS_KEY) === 'true';
  }

  markLaterGenerationRoots(): void {
    this.setMeta(LATER_ROOTS_KEY, 'true');
  }

  setMeta(key: string, value: string): void {
    this.stmts.metaSet.run(key, value);
  }

  /**
   * Takes or renews the right to drain the outbox. Two processes may share this database (a
   * backfill beside the running sidecar); only the lease holder sends, so no batch goes out twice.
   */
  claimDrainLease(owner: string, nowMs: number, ttlMs: number): boolean {
    return this.transaction(() => {
      const current = this.getMeta('drain_lease');
      if (current) {
        const lease = JSON.parse(current) as { owner: string; untilMs: number };
        if (lease.owner !== owner && lease.untilMs > nowMs) {
          return false;
        }
      }
      this.setMeta('drain_lease', JSON.stringify({ owner, untilMs: nowMs + ttlMs }));
      return true;
    });
  }

  releaseDrainLease(owner: string): void {
    this.transaction(() => {
      const current = this.getMeta('drain_lease');
      if (current && (JSON.parse(current) as { owner: string }).owner === owner) {
        this.setMeta('drain_lease', JSON.stringify({ owner, untilMs: 0 }));
      }
    });
  }

  /** Newest Gerrit event time (ms) whose effects are stored. */
  getWatermark(): number | undefined {
    const v = this.getMeta('watermark_ms');
    return v === undefined ? undefined : Number(v);
  }

  advanceWatermark(ms: number): void {
    const current = this.getWatermark();
    if (current === undefined || ms > current) {
      this.setMeta('watermark_ms', String(ms));
    }
  }
}
