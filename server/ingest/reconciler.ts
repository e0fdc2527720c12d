import { changeHistoryEvents } from '../gerrit/change-history.ts';
import { gerritQueryTime, parseGerritTimestamp, type GerritRest, type RestChange } from '../gerrit/rest-client.ts';
import type { Logger } from '../observability/logger.ts';
import type { IngestStore } from '../store/ingest-store.ts';
import type { Ingestor } from './ingestor.ts';
import type { OpenRead } from './live-activity.ts';

// Rebuilds changes from Gerrit's REST history: after a (re)connect and on dropped-output from the
// watermark minus an overlap, and for `backfill --since`. Changes are walked newest-updated first
// with a time cursor (`before:` is inclusive), not an offset, so changes updated meanwhile cannot
// shift a page and be skipped; a change seen twice is harmless because spans go through the ledger.

export interface WalkProgress {
  changes: number;
  spans: number;
  /** 0..1 share of the time window covered. */
  fraction: number;
}

export interface WalkCursor {
  sinceMs: number;
  untilMs: number;
  /** Newest `updated` still to visit (inclusive). */
  cursorMs: number;
  /** Changes already visited whose `updated` second equals cursorMs. */
  skip: number;
  changes: number;
  spans: number;
}

export class Reconciler {
  private readonly rest: GerritRest;
  private readonly ingestor: Ingestor;
  private readonly store: IngestStore;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly canonicalUrl: string;

  constructor(
    rest: GerritRest,
    ingestor: Ingestor,
    store: IngestStore,
    log: Logger,
    pageSize: number,
    canonicalUrl: string,
  ) {
    this.rest = rest;
    this.ingestor = ingestor;
    this.store = store;
    this.log = log;
    this.pageSize = pageSize;
    this.canonicalUrl = canonicalUrl;
  }

  rebuild(rc: RestChange): number {
    return this.ingestor.rebuildChange(rc._number, changeHistoryEvents(rc, this.canonicalUrl)).spans;
  }

  async reconcileChange(number: number): Promise<number> {
    const rc = await this.rest.getChange(number);
    return this.rebuild(rc);
  }

  /**
   * Visits every change updated in [sinceMs, untilMs]. When `cursorKey` is given the cursor is
   * saved after every page, and a walk with the same window resumes where it stopped.
   */
  async walk(
    sinceMs: number,
    untilMs: number,
    options: {
      cursorKey?: string;
      onProgress?: (p: WalkProgress) => void;
      signal?: AbortSignal;
      /** Collects the numbers of the changes visited. */
      visited?: Set<number>;
      /**
       * The live stream's activity during each page's read (see LiveActivity): a change it touched
       * meanwhile is not set back to the page's older history but handed to `onSkipped`.
       */
      beginRead?: () => OpenRead;
      onSkipped?: (changeNumber: number) => void;
      /**
       * Done with each change instead of rebuilding it (`verify` reads, writes nothing); returns
       * the number counted as `spans` in the progress.
       */
      visit?: (rc: RestChange) => Promise<number>;
    } = {},
  ): Promise<WalkCursor> {
    let cursor: WalkCursor = { sinceMs, untilMs, cursorMs: untilMs, skip: 0, changes: 0, spans: 0 };
    if (options.cursorKey) {
      const saved = this.store.getMeta(options.cursorKey);
      if (saved) {
        const parsed = JSON.parse(saved) as WalkCursor & { done?: boolean };
        if (parsed.sinceMs === sinceMs && !parsed.done) {
          const { done: _done, ...rest } = parsed;
          cursor = rest;
          this.log.info(
            { resumeFrom: new Date(cursor.cursorMs).toISOString(), changesDone: cursor.changes },
            'Resuming an interrupted walk',
          );
        }
      }
    }
    const report = () =>
      options.onProgress?.({
        changes: cursor.changes,
        spans: cursor.spans,
        fraction:
          cursor.untilMs > cursor.sinceMs
            ? Math.min(1, (cursor.untilMs - cursor.cursorMs) / (cursor.untilMs - cursor.sinceMs))
            : 1,
      });
    report();
    for (;;) {
      if (options.signal?.aborted) {
        break;
      }
      const query = `since:"${gerritQueryTime(cursor.sinceMs)}" before:"${gerritQueryTime(cursor.cursorMs)}"`;
      const read = options.beginRead?.();
      let page: RestChange[];
      try {
        page = await this.rest.queryChanges(query, cursor.skip, this.pageSize);
        for (const rc of page) {
          if (options.visit) {
            cursor.spans += await options.visit(rc);
          } else if (read?.touched(rc._number)) {
            options.onSkipped?.(rc._number);
          } else {
            cursor.spans += this.rebuild(rc);
          }
          cursor.changes += 1;
          options.visited?.add(rc._number);
        }
      } finally {
        read?.end();
      }
      const oldest = Math.floor((parseGerritTimestamp(page[page.length - 1]?.updated) ?? cursor.sinceMs) / 1000) * 1000;
      const more = page.length > 0 && page[page.length - 1]._more_changes === true;
      if (!more) {
        cursor.cursorMs = cursor.sinceMs;
        report();
        break;
      }
      if (oldest === cursor.cursorMs) {
        cursor.skip += page.length;
      } else {
        cursor.skip = page.filter(
          (rc) => Math.floor((parseGerritTimestamp(rc.updated) ?? 0) / 1000) * 1000 === oldest,
        ).length;
        cursor.cursorMs = oldest;
      }
      if (options.cursorKey) {
        this.store.setMeta(options.cursorKey, JSON.stringify(cursor));
      }
      report();
    }
    if (options.cursorKey && !options.signal?.aborted) {
      this.store.setMeta(options.cursorKey, JSON.stringify({ ...cursor, done: true }));
    }
    return cursor;
  }

  /**
   * Closes open changes that Gerrit no longer has. REST never lists a deleted change, so a deletion
   * missed while disconnected is found by asking for the open changes the walk did not visit.
   * Gerrit keeps no record of when a change was deleted: it is closed at its last known event.
   */
  async closeDeletedChanges(visited: Set<number>): Promise<number[]> {
    const candidates = this.store
      .listOpenChanges()
      .map((c) => c.number)
      .filter((n) => !visited.has(n));
    const deleted: number[] = [];
    for (let i = 0; i < candidates.length; i += BATCH) {
      const batch = candidates.slice(i, i + BATCH);
      const found = await this.rest.findChanges(batch);
      for (const n of batch.filter((x) => !found.has(x))) {
        if (!(await this.rest.exists(n))) {
          this.ingestor.closeDeletedChange(n);
          deleted.push(n);
        }
      }
    }
    return deleted;
  }
}

/** Change numbers asked for in one query. */
const BATCH = 50;
