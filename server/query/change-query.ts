import type {
  ChangeDetailResponse,
  ChangeListQuery,
  ChangeListResponse,
  ChangeStatus,
  ChangeSummary,
  Facets,
  SortKey,
  TrendsResponse,
  WaitingResponse,
} from '../../src/review-model/code-review-api.ts';
import { buildChangeTimeline, latestRoot, type OpenChangeView } from '../../src/review-model/change-timeline.ts';
import { headlineStats } from '../../src/review-model/review-metrics.ts';
import { reviewTrends } from '../../src/review-model/trends.ts';
import { waitingQueues } from '../../src/review-model/waiting-on.ts';
import { Attr } from '../../src/review-model/span-schema.ts';
import { reviewerKeys, timeToFirstReviewMs, type ChangeMapper, type OpenChange } from '../mapping/change-mapper.ts';
import { traceIdFor } from '../mapping/span-ids.ts';
import type { IngestStore } from '../store/ingest-store.ts';
import { LIST_ROOT_ATTRIBUTES, isLaterRoot, type IndexedRoot } from '../store/change-index.ts';
import type { SpanRow, TempoReader } from './tempo-reader.ts';

type AttributeValue = SpanRow['attributes'][string];

// The query API's logic: closed changes come from the change index (their root spans as Tempo holds
// them, kept in the sidecar's database; docs/architecture.md, "Change index") or, while the index is
// rebuilt, disabled, or the range reaches past its retention, from Tempo (a search for the root spans
// in range); open ones from the sidecar's own overlay. The merged set is filtered, sorted, paged and
// summarised. The Tempo search result is cached briefly, so paging through 5,000 changes costs one
// search.

/** Waits before asking Tempo again when a whole range came back without a closed change. */
const EMPTY_RETRY_MS = [250, 750];

export interface QueryOptions {
  serverId: string;
  serviceName: string;
  /** At most this many closed changes are read from Tempo for one range. */
  maxChanges: number;
  cacheTtlMs: number;
  /** The range's root-span search is split into this many time slices, searched in parallel. */
  searchSlices?: number;
  /** The change index (index.*): off, closed changes always come from Tempo. */
  index?: { enabled: boolean; retentionMs: number };
}

/** Closed changes' rows from Tempo: the roots (latest per trace) and the submit spans. */
export interface ClosedRows {
  roots: SpanRow[];
  submits: SpanRow[];
  /** Some search answered as many rows as it may (query.maxChanges): the range holds more. */
  full: boolean;
}

const STATUSES = new Set<ChangeStatus>(['NEW', 'MERGED', 'ABANDONED', 'DELETED']);
const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
const num = (v: unknown): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

export class ChangeQueryService {
  private readonly tempo: TempoReader;
  private readonly store: IngestStore;
  private readonly mapper: ChangeMapper;
  private readonly options: QueryOptions;
  private readonly cache = new Map<string, { atMs: number; rows: Promise<ClosedRows> }>();
  /** List rows of the index's rows, which the store shares between requests until they change. */
  private readonly indexedSummaries = new WeakMap<IndexedRoot, ChangeSummary | null>();

  constructor(tempo: TempoReader, store: IngestStore, mapper: ChangeMapper, options: QueryOptions) {
    this.tempo = tempo;
    this.store = store;
    this.mapper = mapper;
    this.options = options;
  }

  /**
   * Root spans of the closed changes in range, and the `submit` spans there: a change abandoned,
   * restored and then merged keeps the root from its first close (Tempo keeps the first copy),
   * so its final outcome is read from its submit span.
   */
  private closedRows(fromMs: number, toMs: number, nowMs: number): Promise<ClosedRows> {
    const key = `${fromMs}:${toMs}`;
    const hit = this.cache.get(key);
    if (hit && nowMs - hit.atMs < this.options.cacheTtlMs) {
      return hit.rows;
    }
    for (const [k, v] of this.cache) {
      if (nowMs - v.atMs >= this.options.cacheTtlMs) {
        this.cache.delete(k);
      }
    }
    const rows = this.searchClosedRows(fromMs, toMs, {
      retryEmpty: true,
      laterRoots: this.store.hasLaterGenerationRoots(),
    });
    // Not kept when it failed, or came back empty: Tempo can briefly answer nothing while it flushes
    // a block, and an empty answer costs little to ask again.
    rows.then(
      (r) => {
        if (r.roots.length === 0) {
          this.cache.delete(key);
        }
      },
      () => this.cache.delete(key),
    );
    this.cache.set(key, { atMs: nowMs, rows });
    return rows;
  }

  /**
   * The closed changes' rows in [fromMs, toMs] from Tempo's search: what the list reads while the
   * index cannot serve, and what a rebuild of the index stores. `retryEmpty`: ask again when the
   * whole range came back empty (see searchRoots); `laterRoots`: search for roots of a later
   * generation too (needed once one may exist).
   */
  async searchClosedRows(
    fromMs: number,
    toMs: number,
    options: { retryEmpty: boolean; laterRoots: boolean },
  ): Promise<ClosedRows> {
    const [roots, submits, later, unreviewed] = await Promise.all([
      this.searchRoots(fromMs, toMs, options.retryEmpty),
      this.searchSubmits(fromMs, toMs),
      options.laterRoots ? this.searchLaterRoots(fromMs, toMs) : [],
      this.searchUnreviewedWaits(fromMs, toMs),
    ]);
    const limit = this.options.maxChanges;
    return {
      roots: withUnreviewedWaits(latestPerTrace([...roots.rows, ...later]), unreviewed),
      submits,
      full: roots.full || [submits, later, unreviewed].some((rows) => rows.length >= limit),
    };
  }

  /** Whether Tempo holds any root span in [fromMs, toMs] (one search for one row). */
  async anyRootInTempo(fromMs: number, toMs: number): Promise<boolean> {
    const rows = await this.tempo.searchSpans('change', fromMs, toMs, [], 1, this.options.serviceName);
    return rows.length > 0;
  }

  /**
   * Root spans in range. Tempo's time to answer grows with the result, and it answers parts of a
   * range in parallel (bench:ui: 5,000 changes in 0.95 s as one search, 0.65 to 0.8 s as two
   * halves), so the range is searched in `searchSlices` slices. A trace overlapping two slices
   * comes back from both: it is kept once.
   */
  private async searchRoots(
    fromMs: number,
    toMs: number,
    retryEmpty: boolean,
  ): Promise<{ rows: SpanRow[]; full: boolean }> {
    const { maxChanges, serviceName } = this.options;
    const slices = timeSlices(fromMs, toMs, this.options.searchSlices ?? 1);
    const searchAll = () =>
      Promise.all(
        slices.map(([from, to]) =>
          this.tempo.searchSpans('change', from, to, LIST_ROOT_ATTRIBUTES, maxChanges, serviceName),
        ),
      );
    let answers = await searchAll();
    // Tempo can answer nothing for a moment while it moves a block out of the ingester (bench:ui
    // saw it in 1 to 2 of 9 page loads). A range with no closed change at all is asked again, a
    // little later, twice: a range that is really empty answers fast, and costs only the waits.
    for (const waitMs of retryEmpty ? EMPTY_RETRY_MS : []) {
      if (answers.some((rows) => rows.length > 0)) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      answers = await searchAll();
    }
    return {
      rows: latestPerTrace(answers.flat()).slice(0, maxChanges),
      full: answers.some((rows) => rows.length >= maxChanges),
    };
  }

  /**
   * Roots of a later generation (a change restored after its abandon was final has two `change`
   * spans). One search may hand back either root of such a trace, when they sit in different
   * blocks; this small search finds the later ones, which win (see latestPerTrace). Asked only
   * once the sidecar has written or indexed such a root (they are rare), and by every rebuild.
   */
  private searchLaterRoots(fromMs: number, toMs: number): Promise<SpanRow[]> {
    const { maxChanges, serviceName } = this.options;
    return this.tempo.searchSpans(
      'change',
      fromMs,
      toMs,
      [...LIST_ROOT_ATTRIBUTES, Attr.rootGeneration],
      maxChanges,
      serviceName,
      `span.${Attr.rootGeneration} > 1`,
    );
  }

  /**
   * The roots that carry `gerrit.review.unreviewed_wait_ms` (changes closed without a review: few).
   * A search of their own, in parallel with the others, rather than one more attribute selected for
   * every root, which would cost the main search time for every change in range.
   */
  private searchUnreviewedWaits(fromMs: number, toMs: number): Promise<SpanRow[]> {
    const { maxChanges, serviceName } = this.options;
    return this.tempo.searchSpans(
      'change',
      fromMs,
      toMs,
      [Attr.unreviewedWaitMs],
      maxChanges,
      serviceName,
      `span.${Attr.unreviewedWaitMs} >= 0`,
    );
  }

  /**
   * The `submit` spans in range: a change abandoned, restored and merged keeps the root from its
   * first close (Tempo keeps the first copy of a span), so its outcome is read from its submit.
   * (A query for just the traces with an abandoned root and a submit would answer less, but Tempo
   * misses such a trace when its spans sit in different blocks.)
   */
  private searchSubmits(fromMs: number, toMs: number): Promise<SpanRow[]> {
    return this.tempo.searchSpans('submit', fromMs, toMs, [], this.options.maxChanges, this.options.serviceName);
  }

  /** A closed change from its root span; `submittedMs` when a submit span says it merged after all. */
  fromRoot(row: SpanRow, submittedMs?: number): ChangeSummary | undefined {
    const a = row.attributes;
    const number = num(a[Attr.changeNumber]);
    if (number === undefined || !Number.isInteger(number)) {
      return undefined;
    }
    const status = str(a[Attr.changeStatus]) as ChangeStatus | undefined;
    const owner = str(a[Attr.owner]) ?? 'unknown';
    const ownerName = str(a[Attr.ownerName]);
    return {
      number,
      subject: str(a[Attr.changeTitle]) ?? '',
      project: str(a[Attr.project]) ?? 'unknown',
      branch: str(a[Attr.branch]) ?? 'unknown',
      owner,
      ownerName,
      ownerIsBot: this.mapper.isBot({ key: owner, username: owner, name: ownerName }),
      status: submittedMs !== undefined ? 'MERGED' : status && STATUSES.has(status) ? status : 'MERGED',
      wip: false,
      createdMs: row.startMs,
      closedMs: submittedMs ?? row.endMs,
      patchSets: num(a[Attr.patchSetCount]) ?? 0,
      rounds: num(a[Attr.reviewRounds]) ?? 0,
      reviewers: reviewersOf(a),
      timeToFirstReviewMs: num(a[Attr.timeToFirstReviewMs]),
      timeToMergeMs:
        submittedMs !== undefined
          ? submittedMs - row.startMs
          : (num(a[Attr.timeToMergeMs]) ?? (status === 'MERGED' ? row.endMs - row.startMs : undefined)),
      traceId: row.traceId,
      url: str(a[Attr.changeUrl]),
      firstSeenMs: num(a[Attr.historyFirstSeenMs]),
      unreviewedWaitMs: num(a[Attr.unreviewedWaitMs]),
      source: 'tempo',
    };
  }

  /**
   * A change from the sidecar's state: open, or abandoned with its root not written yet (the
   * abandon is not final, so Tempo has no root span for it).
   */
  fromOpen(c: OpenChange, nowMs: number): ChangeSummary {
    const abandoned = c.status === 'ABANDONED';
    const waiting = abandoned ? undefined : waitingOf(c, nowMs);
    return {
      number: c.number,
      subject: c.subject ?? '',
      project: c.project,
      branch: c.branch,
      owner: c.owner?.key ?? 'unknown',
      ownerName: c.owner?.name,
      ownerIsBot: this.mapper.isBot(c.owner),
      status: abandoned ? 'ABANDONED' : 'NEW',
      wip: c.wip,
      createdMs: c.createdMs,
      closedMs: abandoned ? c.abandonedMs : undefined,
      patchSets: c.patchSetCount,
      rounds: c.reviewedPatchSets.length,
      reviewers: reviewerKeys(c, (a) => this.mapper.isBot(a)),
      timeToFirstReviewMs: timeToFirstReviewMs(c),
      ...waiting,
      readyMs: c.firstSeenMs === undefined && !abandoned ? c.readyMs : undefined,
      unreviewedWaitMs:
        abandoned && c.readyMs !== undefined && c.firstReviewMs === undefined && c.firstSeenMs === undefined
          ? Math.max(0, (c.abandonedMs ?? nowMs) - c.readyMs)
          : undefined,
      traceId: traceIdFor(this.options.serverId, c.number),
      url: c.url,
      firstSeenMs: c.firstSeenMs,
      source: 'overlay',
    };
  }

  /**
   * Whether the change index serves a range starting at `fromMs`: it is on, complete (not being
   * rebuilt), and the range starts within its retention (older summaries are pruned; Tempo may
   * keep more).
   */
  indexServes(fromMs: number, nowMs: number): boolean {
    const index = this.options.index;
    return (
      index !== undefined &&
      index.enabled &&
      fromMs >= nowMs - index.retentionMs &&
      this.store.changeIndexState().state === 'ready'
    );
  }

  /** Closed changes in range from the index (else Tempo), open ones created before the range's end from the overlay. */
  async changesInRange(
    fromMs: number,
    toMs: number,
    nowMs: number,
  ): Promise<{
    changes: ChangeSummary[];
    tempoError?: string;
    overlay: number;
    closedFrom: 'index' | 'tempo';
    truncated: boolean;
  }> {
    const byNumber = new Map<number, ChangeSummary>();
    let tempoError: string | undefined;
    let truncated = false;
    const closedFrom = this.indexServes(fromMs, nowMs) ? 'index' : 'tempo';
    if (closedFrom === 'index') {
      for (const row of this.store.indexedRoots(fromMs, toMs)) {
        let summary = this.indexedSummaries.get(row);
        if (summary === undefined) {
          summary = this.fromRoot(row, row.submittedMs) ?? null;
          this.indexedSummaries.set(row, summary);
        }
        if (summary) {
          byNumber.set(summary.number, summary);
        }
      }
    } else {
      try {
        const { roots, submits, full } = await this.closedRows(fromMs, toMs, nowMs);
        truncated = full;
        const submittedAt = new Map(submits.map((r) => [r.traceId, r.startMs]));
        for (const row of roots) {
          const summary = this.fromRoot(row, submittedAt.get(row.traceId));
          if (summary) {
            byNumber.set(summary.number, summary);
          }
        }
      } catch (err) {
        tempoError = (err as Error).message;
      }
    }
    const open = [
      ...this.store.listOpenChanges(),
      ...this.store.listPendingAbandoned().filter((c) => (c.abandonedMs ?? c.lastEventMs) >= fromMs),
    ].filter((c) => c.createdMs <= toMs);
    for (const c of open) {
      // The overlay wins: a change abandoned (root exported) and later restored is open now.
      byNumber.set(c.number, this.fromOpen(c, nowMs));
    }
    return { changes: [...byNumber.values()], tempoError, overlay: open.length, closedFrom, truncated };
  }

  /** What the answer says about where its closed changes came from. */
  private sourcesOf(r: {
    tempoError?: string;
    overlay: number;
    closedFrom: 'index' | 'tempo';
    truncated: boolean;
  }): ChangeListResponse['sources'] {
    const index = this.options.index;
    return {
      tempo: r.tempoError ? 'error' : 'ok',
      tempoError: r.tempoError,
      overlay: r.overlay,
      closed: r.closedFrom,
      ...(r.truncated ? { truncated: true } : {}),
      index: !index?.enabled ? 'disabled' : this.store.changeIndexState().state,
    };
  }

  /**
   * The open changes' waits by person, under the list's filters. Open changes live in the sidecar's
   * own state, so this never searches Tempo.
   */
  waiting(q: ChangeListQuery, nowMs: number): WaitingResponse {
    const open = this.store
      .listOpenChanges()
      .filter((c) => c.createdMs <= q.to)
      .map((c) => this.fromOpen(c, nowMs));
    return waitingQueues(filterChanges(open, { ...q, status: 'open' }), nowMs);
  }

  /** The review figures per day or week, under the list's filters (closed changes read as the list reads them). */
  async trends(q: ChangeListQuery, nowMs: number): Promise<TrendsResponse> {
    const { changes } = await this.changesInRange(q.from, q.to, nowMs);
    return reviewTrends(filterChanges(changes, q), q, nowMs);
  }

  async list(q: ChangeListQuery, nowMs: number): Promise<ChangeListResponse> {
    const inRange = await this.changesInRange(q.from, q.to, nowMs);
    const { changes } = inRange;
    const filtered = filterChanges(changes, q);
    sortChanges(filtered, q.sort ?? 'created', q.dir ?? 'desc', nowMs);
    const offset = q.offset ?? 0;
    const limit = Math.min(q.limit ?? 200, 1000);
    return {
      changes: filtered.slice(offset, offset + limit),
      total: filtered.length,
      offset,
      stats: headlineStats(filtered, nowMs),
      facets: facetsOf(changes),
      sources: this.sourcesOf(inRange),
      asOfMs: nowMs,
    };
  }

  async detail(number: number, nowMs: number): Promise<ChangeDetailResponse | undefined> {
    const traceId = traceIdFor(this.options.serverId, number);
    const spans = await this.tempo.trace(traceId);
    const stored = this.store.getChange(number);
    const open =
      stored && (stored.status === 'NEW' || this.mapper.abandonFinalAtMs(stored) !== undefined) ? stored : undefined;
    const root = latestRoot(spans);
    const submit = spans.find((s) => s.name === 'submit');
    const summary = open
      ? this.fromOpen(open, nowMs)
      : root
        ? this.fromRoot(
            { traceId, startMs: root.startMs, endMs: root.endMs, attributes: root.attributes },
            submit?.startMs,
          )
        : undefined;
    if (!summary) {
      return undefined;
    }
    const view: OpenChangeView | undefined = open
      ? {
          createdMs: open.createdMs,
          abandonedMs: open.status === 'ABANDONED' ? open.abandonedMs : undefined,
          currentPatchSet: open.current
            ? { number: open.current.number, createdMs: open.current.createdMs }
            : undefined,
          firstSeenMs: open.firstSeenMs,
          // As waitingOf() does: a change in progress waits on its author.
          wipSinceMs: open.wip ? (open.wipSinceMs ?? open.createdMs) : undefined,
          pendingReviews: Object.values(open.status === 'NEW' ? open.pendingReviews : {}).map((p) => ({
            reviewer: p.reviewer.key,
            startMs: p.startMs,
          })),
        }
      : undefined;
    return { change: summary, timeline: buildChangeTimeline(spans, view, nowMs), asOfMs: nowMs };
  }
}

/**
 * Whom an open change waits on now, and since when (docs/span-schema.md, "Waiting on"): the author
 * while it is work in progress; else the reviewers whose review of the current patch set is pending;
 * else the author (every reviewer has answered, or none was asked). Nothing before the sidecar first
 * saw the change is counted.
 */
export function waitingOf(
  c: OpenChange,
  nowMs: number,
): Pick<ChangeSummary, 'waitingOn' | 'waitingOnReviewers' | 'waitingSinceMs'> {
  const clamp = (ms: number) => Math.min(Math.max(ms, c.firstSeenMs ?? 0), nowMs);
  const pending = Object.values(c.pendingReviews);
  if (!c.wip && pending.length > 0) {
    const waitingOnReviewers = pending
      .map((p) => ({ reviewer: p.reviewer.key, sinceMs: clamp(p.startMs) }))
      .sort((a, b) => a.sinceMs - b.sinceMs || a.reviewer.localeCompare(b.reviewer));
    return { waitingOn: 'reviewers', waitingOnReviewers, waitingSinceMs: waitingOnReviewers[0].sinceMs };
  }
  const since = Math.max(c.current?.createdMs ?? c.createdMs, c.lastReviewMs ?? 0, c.wip ? (c.wipSinceMs ?? 0) : 0);
  return { waitingOn: 'author', waitingSinceMs: clamp(since) };
}

/** One root span per trace: the one of the latest generation, else the one that ends last. */
export function latestPerTrace(rows: SpanRow[]): SpanRow[] {
  const byTrace = new Map<string, SpanRow>();
  for (const row of rows) {
    const seen = byTrace.get(row.traceId);
    if (!seen || isLaterRoot(row, seen)) {
      byTrace.set(row.traceId, row);
    }
  }
  return [...byTrace.values()];
}

/** The roots, each with its unreviewed wait when the small search found one for its trace. */
export function withUnreviewedWaits(roots: SpanRow[], unreviewed: SpanRow[]): SpanRow[] {
  const waits = new Map<string, AttributeValue>();
  for (const r of unreviewed) {
    const wait = r.attributes[Attr.unreviewedWaitMs];
    if (wait !== undefined) {
      waits.set(r.traceId, wait);
    }
  }
  return roots.map((r) => {
    const wait = waits.get(r.traceId);
    return wait === undefined ? r : { ...r, attributes: { ...r.attributes, [Attr.unreviewedWaitMs]: wait } };
  });
}

/** The reviewers of a root span, from the JSON string (exact in any search), else the array attribute. */
function reviewersOf(a: SpanRow['attributes']): string[] {
  const json = a[Attr.reviewersJson];
  if (typeof json === 'string') {
    try {
      const parsed: unknown = JSON.parse(json);
      if (Array.isArray(parsed)) {
        return parsed.map(String);
      }
    } catch {
      // Not JSON: fall through to the array attribute.
    }
  }
  const list = a[Attr.reviewers];
  return Array.isArray(list) ? list : typeof list === 'string' ? [list] : [];
}

/** [from, to] cut into `count` consecutive slices of whole milliseconds (fewer when it is too short). */
export function timeSlices(fromMs: number, toMs: number, count: number): Array<[number, number]> {
  const n = Math.max(1, Math.min(count, Math.floor((toMs - fromMs) / 1000)));
  const edges = Array.from({ length: n + 1 }, (_, i) => Math.round(fromMs + ((toMs - fromMs) * i) / n));
  return edges.slice(1).map((to, i) => [edges[i], to]);
}

const STATUS_FILTER: Record<string, ChangeStatus[]> = {
  open: ['NEW'],
  merged: ['MERGED'],
  abandoned: ['ABANDONED'],
};

export function filterChanges(changes: ChangeSummary[], q: ChangeListQuery): ChangeSummary[] {
  const inList = (list: string[] | undefined, value: string) => !list || list.length === 0 || list.includes(value);
  const statuses = q.status && q.status !== 'all' ? STATUS_FILTER[q.status] : undefined;
  return changes.filter(
    (c) =>
      inList(q.project, c.project) &&
      inList(q.branch, c.branch) &&
      inList(q.owner, c.owner) &&
      (!q.reviewer || q.reviewer.length === 0 || c.reviewers.some((r) => q.reviewer?.includes(r))) &&
      (!statuses || statuses.includes(c.status)) &&
      (q.includeBots === true || !c.ownerIsBot),
  );
}

/** Time to merge for merged changes, open age for open ones, time to close otherwise. */
export function mergeOrAgeMs(c: ChangeSummary, nowMs: number): number {
  if (c.status === 'MERGED' && c.timeToMergeMs !== undefined) {
    return c.timeToMergeMs;
  }
  return (c.closedMs ?? nowMs) - c.createdMs;
}

export function sortChanges(changes: ChangeSummary[], key: SortKey, dir: 'asc' | 'desc', nowMs: number): void {
  const value = (c: ChangeSummary): number | string | undefined => {
    switch (key) {
      case 'number':
        return c.number;
      case 'subject':
        return c.subject.toLowerCase();
      case 'project':
        return c.project;
      case 'owner':
        return c.owner;
      case 'status':
        return c.status;
      case 'patchSets':
        return c.patchSets;
      case 'timeToFirstReview':
        // A change still waiting sorts by its wait so far: the figure is at least that.
        return c.timeToFirstReviewMs ?? (c.readyMs !== undefined ? nowMs - c.readyMs : undefined);
      case 'timeToMergeOrAge':
        return mergeOrAgeMs(c, nowMs);
      case 'created':
        return c.createdMs;
      case 'waiting':
        return c.waitingSinceMs === undefined ? undefined : nowMs - c.waitingSinceMs;
    }
  };
  const sign = dir === 'asc' ? 1 : -1;
  changes.sort((a, b) => {
    const va = value(a);
    const vb = value(b);
    // Missing values (no review yet) sort last in both directions.
    if (va === undefined || vb === undefined) {
      return va === vb ? b.number - a.number : va === undefined ? 1 : -1;
    }
    const cmp = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va).localeCompare(String(vb));
    return cmp * sign || b.number - a.number;
  });
}

export function facetsOf(changes: ChangeSummary[]): Facets {
  const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
  return {
    projects: sorted(changes.map((c) => c.project)),
    branches: sorted(changes.map((c) => c.branch)),
    owners: sorted(changes.map((c) => c.owner)),
    reviewers: sorted(changes.flatMap((c) => c.reviewers)),
  };
}
