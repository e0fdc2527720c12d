import type { ChangeListQuery, ReviewLoadResponse } from '../../src/review-model/code-review-api.ts';
import { reviewLoad, type ReviewDone } from '../../src/review-model/review-load.ts';
import { Attr } from '../../src/review-model/span-schema.ts';
import { traceIdFor } from '../mapping/span-ids.ts';
import type { IngestStore } from '../store/ingest-store.ts';
import { filterChanges, latestPerTrace, type ChangeQueryService } from './change-query.ts';
import type { TempoReader } from './tempo-reader.ts';

// GET /api/load: per reviewer, the reviews given in the range and those pending now, under the
// list's filters. A change's reviews are listed on its root span (`gerrit.reviews.json`, one string
// per change: exact in any search, unlike child spans, which a Tempo search can answer only in part
// when a trace's spans sit in different blocks), read from the change index where it has the root
// (else from a search of Tempo's roots), and, for open changes, from the sidecar's state.

export interface ReviewLoadOptions {
  serverId: string;
  serviceName: string;
  /** At most this many closed changes are read from Tempo for one range (the list's `maxChanges`). */
  maxChanges: number;
  cacheTtlMs: number;
}

export class ReviewLoadService {
  private readonly tempo: TempoReader;
  private readonly store: IngestStore;
  private readonly changes: ChangeQueryService;
  private readonly options: ReviewLoadOptions;
  private readonly cache = new Map<string, { atMs: number; logs: Promise<Map<string, unknown>> }>();

  constructor(tempo: TempoReader, store: IngestStore, changes: ChangeQueryService, options: ReviewLoadOptions) {
    this.tempo = tempo;
    this.store = store;
    this.changes = changes;
    this.options = options;
  }

  async load(q: ChangeListQuery, nowMs: number): Promise<ReviewLoadResponse> {
    const { changes, tempoError, closedFrom } = await this.changes.changesInRange(q.from, q.to, nowMs);
    const logs = new Map<string, unknown>();
    // The change index holds the review log of every root the sidecar wrote itself, at once (Tempo
    // may show a root only seconds later, or an earlier generation's first). Tempo's roots are
    // searched only for what the index lacks (a range it does not serve, roots it rebuilt from Tempo).
    let lacking = closedFrom !== 'index';
    if (closedFrom === 'index') {
      for (const row of this.store.indexedRoots(q.from, q.to)) {
        const log = row.attributes[Attr.reviewsJson];
        if (log === undefined) {
          lacking = true;
        } else {
          logs.set(row.traceId, parseLog(log));
        }
      }
    }
    if (lacking) {
      const fromTempo = await this.closedReviewLogs(q.from, q.to, nowMs).catch(() => new Map<string, unknown>());
      for (const [traceId, log] of fromTempo) {
        if (!logs.has(traceId)) {
          logs.set(traceId, log);
        }
      }
    }
    // The sidecar's state wins: a change restored after its abandon was final is open again.
    for (const c of [...this.store.listOpenChanges(), ...this.store.listPendingAbandoned()]) {
      logs.set(traceIdFor(this.options.serverId, c.number), c.reviews ?? []);
    }
    const reviews: ReviewDone[] = [];
    for (const [traceId, log] of logs) {
      for (const entry of Array.isArray(log) ? log : []) {
        if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number') {
          reviews.push({ traceId, who: entry[0], atMs: entry[1] });
        }
      }
    }
    const answer = reviewLoad(reviews, filterChanges(changes, q), q, nowMs);
    return tempoError ? { ...answer, tempoError } : answer;
  }

  /** Each closed change's review list in the range, by trace id, from its (latest) root span; cached briefly. */
  private closedReviewLogs(fromMs: number, toMs: number, nowMs: number): Promise<Map<string, unknown>> {
    for (const [k, v] of this.cache) {
      if (nowMs - v.atMs >= this.options.cacheTtlMs) {
        this.cache.delete(k);
      }
    }
    const key = `${fromMs}:${toMs}`;
    const hit = this.cache.get(key);
    if (hit) {
      return hit.logs;
    }
    const { maxChanges, serviceName } = this.options;
    const select = [Attr.reviewsJson, Attr.rootGeneration];
    // As the list does: roots of a later generation (rare) are searched for apart, and win.
    const logs = Promise.all([
      this.tempo.searchSpans('change', fromMs, toMs, select, maxChanges, serviceName),
      this.store.hasLaterGenerationRoots()
        ? this.tempo.searchSpans(
            'change',
            fromMs,
            toMs,
            select,
            maxChanges,
            serviceName,
            `span.${Attr.rootGeneration} > 1`,
          )
        : [],
    ])
      .then((answers) => answers.flat())
      .then((rows) => {
        const out = new Map<string, unknown>();
        for (const row of latestPerTrace(rows)) {
          out.set(row.traceId, parseLog(row.attributes[Attr.reviewsJson]));
        }
        return out;
      });
    logs.catch(() => this.cache.delete(key));
    this.cache.set(key, { atMs: nowMs, logs });
    return logs;
  }
}

function parseLog(v: unknown): unknown {
  if (typeof v !== 'string') {
    return [];
  }
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return [];
  }
}
