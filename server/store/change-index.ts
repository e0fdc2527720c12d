import { Attr } from '../../src/review-model/span-schema.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import type { SpanRow } from '../query/tempo-reader.ts';

// The change index's rows (docs/architecture.md, "Change index"): a closed change's root span as the
// list reads it from a Tempo search, cut to the attributes that search returns. The live path
// (a root span queued for export) and the rebuild (a Tempo search) both store this projection, and
// the query API turns it into a list row with the same function (ChangeQueryService.fromRoot) as
// Tempo's own answer, so the index and Tempo cannot disagree on a figure.

/**
 * Root span attributes the list needs, in one TraceQL select. Tempo's answer grows with every
 * selected attribute (about 2.4 kB a change with 13), and so does its time (≈ 0.1 s per attribute
 * for 5,000 changes here). Left out: the change URL and the owner's display name (the timeline has
 * both, from the whole trace) and the time to merge (the root span's duration).
 */
export const LIST_ROOT_ATTRIBUTES: readonly string[] = [
  Attr.changeNumber,
  Attr.changeTitle,
  Attr.project,
  Attr.branch,
  Attr.owner,
  Attr.changeStatus,
  Attr.patchSetCount,
  Attr.reviewRounds,
  // As one JSON string: Tempo 2.8 answers array attributes of a many-trace search mixed up.
  Attr.reviewersJson,
  Attr.timeToFirstReviewMs,
];

/**
 * What the index keeps of a root: the list's attributes, the two Tempo is asked for in searches of
 * their own, and the review log the review load reads (kept from the live path; a rebuild from
 * Tempo does not search for it, and the load then reads it from Tempo).
 */
export const INDEXED_ROOT_ATTRIBUTES: readonly string[] = [
  ...LIST_ROOT_ATTRIBUTES,
  Attr.rootGeneration,
  Attr.unreviewedWaitMs,
  Attr.reviewsJson,
];

/** A root row as the index stores it, with the time its change was submitted when a submit span says so. */
export interface IndexedRoot extends SpanRow {
  submittedMs?: number;
}

/** The root's generation: 1 unless the change was restored after a final abandon. */
export function rootGeneration(row: SpanRow): number {
  const g = row.attributes[Attr.rootGeneration];
  return g === undefined || g === '' ? 1 : Number(g);
}

/** Whether `candidate` replaces `current` as a trace's root: a later generation, else a later end. */
export function isLaterRoot(candidate: SpanRow, current: SpanRow): boolean {
  const a = rootGeneration(candidate);
  const b = rootGeneration(current);
  return a > b || (a === b && candidate.endMs > current.endMs);
}

/** The change number of a root row, when it has a usable one (else the list skips it too). */
export function changeNumberOf(row: SpanRow): number | undefined {
  const raw = row.attributes[Attr.changeNumber];
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isInteger(n) ? n : undefined;
}

/** The row cut to INDEXED_ROOT_ATTRIBUTES: from Tempo's answer or from the span queued for export alike. */
export function indexedRootRow(row: {
  traceId: string;
  startMs: number;
  endMs: number;
  attributes: SpanRecord['attributes'];
}): SpanRow {
  const attributes: SpanRow['attributes'] = {};
  for (const key of INDEXED_ROOT_ATTRIBUTES) {
    const v = row.attributes[key];
    if (v !== undefined) {
      attributes[key] = v;
    }
  }
  return { traceId: row.traceId, startMs: row.startMs, endMs: row.endMs, attributes };
}
