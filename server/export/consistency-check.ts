import { Attr } from '../../src/review-model/span-schema.ts';
import type { SearchResponseJson } from '../../src/review-model/tempo-spans.ts';
import { traceqlString } from '../../src/review-model/traceql-filter.ts';
import type { Logger } from '../observability/logger.ts';
import type { SidecarMetrics } from '../observability/metrics.ts';
import { TempoQueryError, type TempoReader } from '../query/tempo-reader.ts';
import type { IngestStore } from '../store/ingest-store.ts';

// Reads traces back from Tempo and compares their span ids with what should be there: the
// sidecar's ledger (the periodic check below) or the spans the mapper makes of Gerrit's history
// (`reviewtrace-server verify`). Tempo's trace by id merges spans with the same id (only not yet
// for data still in its ingester), so a span stored twice shows in a TraceQL search scoped to the
// trace: its `matched` count exceeds the distinct ids.

/** What Tempo holds of one trace. */
export interface TempoCopy {
  /** Span ids as the trace by id returned them, repeats kept. */
  spanIds: string[];
  /** Spans a search scoped to the trace matched (each stored copy counts); undefined: not searched. */
  matched: number | undefined;
  /** The change number, from the spans' vcs.change.id, when Tempo has any. */
  change: string | undefined;
  /** Why the search was not answered (Tempo refused it): doubled spans are then seen only by id. */
  searchRefused?: string;
}

export interface SpanComparison {
  traceId: string;
  change: string | undefined;
  expected: number;
  /** Distinct expected span ids Tempo holds. */
  found: number;
  /** Expected, not in Tempo. */
  missing: string[];
  /** In Tempo, not expected. */
  unexpected: string[];
  /** Stored copies beyond the first, over all span ids of the trace. */
  doubled: number;
  /** The ids seen more than once in the trace by id (a search count names no ids). */
  doubledSpanIds: string[];
}

/** Compares the span ids Tempo holds of a trace with the ones expected there. */
export function compareSpans(traceId: string, expected: Iterable<string>, tempo: TempoCopy): SpanComparison {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const id of tempo.spanIds) {
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const missing = [...want].filter((id) => !seen.has(id)).sort();
  const unexpected = [...seen.keys()].filter((id) => !want.has(id)).sort();
  const doubledSpanIds = [...seen]
    .filter(([, n]) => n > 1)
    .map(([id]) => id)
    .sort();
  const byId = tempo.spanIds.length - seen.size;
  const bySearch = tempo.matched === undefined ? 0 : tempo.matched - seen.size;
  return {
    traceId,
    change: tempo.change,
    expected: want.size,
    found: want.size - missing.length,
    missing,
    unexpected,
    doubled: Math.max(0, byId, bySearch),
    doubledSpanIds,
  };
}

/** Whether a comparison found anything wrong. */
export function hasProblem(c: SpanComparison): boolean {
  return c.missing.length > 0 || c.unexpected.length > 0 || c.doubled > 0;
}

/** Searched around the trace's own time span: Tempo finds a trace only in a range overlapping it. */
const SEARCH_MARGIN_MS = 3_600_000;

/**
 * Reads one trace by id, then counts its stored spans with `{ trace:id = "…" }` over the trace's
 * time range (Tempo 2.8 answers this only with start and end; without them it searches nothing
 * but recent data). Throws TempoQueryError when Tempo cannot be read; a search Tempo refuses (a
 * range longer than its query_frontend.search.max_duration) leaves `matched` undefined.
 */
export async function readTempoCopy(reader: TempoReader, traceId: string): Promise<TempoCopy> {
  const spans = await reader.trace(traceId);
  if (spans.length === 0) {
    return { spanIds: [], matched: 0, change: undefined };
  }
  const from = Math.min(...spans.map((s) => s.startMs)) - SEARCH_MARGIN_MS;
  const to = Math.max(...spans.map((s) => s.endMs)) + SEARCH_MARGIN_MS;
  const change = spans.map((s) => s.attributes[Attr.changeNumber]).find((v) => v !== undefined);
  const copy: TempoCopy = {
    spanIds: spans.map((s) => s.spanId),
    matched: undefined,
    change: change === undefined ? undefined : String(change),
  };
  try {
    const answer = await reader.search(traceIdFilter(traceId), from, to, 20, 1);
    return { ...copy, matched: matchedSpans(answer, traceId) };
  } catch (err) {
    if (err instanceof TempoQueryError && err.badQuery) {
      return { ...copy, searchRefused: err.message };
    }
    throw err;
  }
}

/**
 * TraceQL selecting every span of one trace. Tempo 2.8 compares `trace:id` with the id as it
 * prints it, without leading zeros ("04f4…" matches nothing, "4f4…" does): both forms are asked
 * for, and a span matching both still counts once.
 */
export function traceIdFilter(traceId: string): string {
  const short = traceId.replace(/^0+(?=.)/, '');
  return short === traceId
    ? `{ trace:id = ${traceqlString(traceId)} }`
    : `{ trace:id = ${traceqlString(traceId)} || trace:id = ${traceqlString(short)} }`;
}

/** The spans a search matched in one trace, over all its span sets. */
export function matchedSpans(answer: SearchResponseJson, traceId: string): number {
  let matched = 0;
  for (const t of answer.traces ?? []) {
    if ((t.traceID ?? '').padStart(32, '0') !== traceId) {
      continue;
    }
    for (const set of t.spanSets ?? (t.spanSet ? [t.spanSet] : [])) {
      matched += set.matched ?? set.spans?.length ?? 0;
    }
  }
  return matched;
}

/** Why a read-back failed, as a metric label. */
export function readBackFailure(err: unknown): 'tempo_unreachable' | 'query_refused' | 'tempo_error' {
  if (err instanceof TempoQueryError) {
    if (err.badQuery) {
      return 'query_refused';
    }
    return /^cannot reach/.test(err.message) ? 'tempo_unreachable' : 'tempo_error';
  }
  return 'tempo_error';
}

export interface ConsistencyCheckOptions {
  /** 0 disables the periodic check. */
  intervalMs: number;
  /** Traces read back per run. */
  sampleTraces: number;
  /** Only traces whose spans all left the outbox at least this long ago (Tempo's visibility delay). */
  minAgeMs: number;
}

export interface CheckRun {
  checked: SpanComparison[];
  failed: number;
}

/**
 * The periodic check (like Tempo's vulture): every intervalMs, a random sample of recently closed
 * traces is read back from Tempo and compared with the ledger; the result goes to the
 * reviewtrace_verify_* metrics, and a warning names each change that is off. It never throws: a
 * Tempo that cannot be read is counted and tried again at the next run.
 */
export class ConsistencyCheck {
  private readonly store: IngestStore;
  private readonly reader: TempoReader;
  private readonly metrics: SidecarMetrics;
  private readonly log: Logger;
  private readonly options: ConsistencyCheckOptions;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CheckRun> | undefined;

  constructor(
    store: IngestStore,
    reader: TempoReader,
    metrics: SidecarMetrics,
    log: Logger,
    options: ConsistencyCheckOptions,
    random: () => number = Math.random,
  ) {
    this.store = store;
    this.reader = reader;
    this.metrics = metrics;
    this.log = log;
    this.options = options;
    this.random = random;
  }

  start(): void {
    if (this.options.intervalMs === 0 || this.timer) {
      return;
    }
    this.timer = setInterval(() => void this.run(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run now (a run still going is joined, not doubled). */
  run(nowMs = Date.now()): Promise<CheckRun> {
    this.running ??= this.runOnce(nowMs).finally(() => (this.running = undefined));
    return this.running;
  }

  private async runOnce(nowMs: number): Promise<CheckRun> {
    const result: CheckRun = { checked: [], failed: 0 };
    let candidates: string[];
    try {
      // The newest few times the sample, so successive runs do not read the same traces.
      candidates = this.store.closedTracesBefore(nowMs - this.options.minAgeMs, this.options.sampleTraces * 5);
    } catch (err) {
      // The database is closing (a stop during a run): nothing to check.
      this.log.debug({ err: (err as Error).message }, 'Consistency check: cannot read the ledger');
      return result;
    }
    let lastError: string | undefined;
    for (const traceId of sample(candidates, this.options.sampleTraces, this.random)) {
      let copy: TempoCopy;
      let expected: string[];
      try {
        expected = this.store.exportedSpanIds(traceId);
        copy = await readTempoCopy(this.reader, traceId);
      } catch (err) {
        result.failed += 1;
        lastError = (err as Error).message;
        this.metrics.verifyFailures.inc({ reason: readBackFailure(err) });
        continue;
      }
      if (copy.searchRefused) {
        // Compared by id all the same; only doubled copies the trace by id merged go unseen.
        this.metrics.verifyFailures.inc({ reason: 'query_refused' });
        lastError = copy.searchRefused;
      }
      const c = compareSpans(traceId, expected, copy);
      result.checked.push(c);
      this.metrics.verifyTracesChecked.inc();
      this.metrics.verifySpansMissing.inc(c.missing.length);
      this.metrics.verifySpansUnexpected.inc(c.unexpected.length);
      this.metrics.verifySpansDoubled.inc(c.doubled);
      if (hasProblem(c)) {
        this.log.warn(
          {
            change: c.change,
            traceId,
            expected: c.expected,
            missing: c.missing.length,
            unexpected: c.unexpected.length,
            doubled: c.doubled,
            missingSpanIds: c.missing.slice(0, 10),
            doubledSpanIds: c.doubledSpanIds.slice(0, 10),
          },
          `Consistency check: Tempo's copy of change ${c.change ?? '?'} differs from what the sidecar exported`,
        );
      }
    }
    if (result.failed > 0) {
      this.log.warn(
        { failed: result.failed, checked: result.checked.length, err: lastError },
        'Consistency check: could not read traces back from Tempo; trying again at the next run',
      );
    }
    return result;
  }
}

/** Up to n items of `items`, picked at random without repeats. */
export function sample<T>(items: readonly T[], n: number, random: () => number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) {
    const i = Math.floor(random() * pool.length);
    out.push(pool[i]);
    pool.splice(i, 1);
  }
  return out;
}
