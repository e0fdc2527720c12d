import type { ChangeSummary, TrendBucket, TrendsResponse } from './code-review-api.ts';
import { distribution, firstReviewDistribution, quantile } from './review-metrics.ts';

// Review figures over time, per day or week (GET /api/trends): the same definitions as the headline
// (docs/span-schema.md, "Review figures"), each bucket a cohort. Pure; used by the sidecar.

const DAY_MS = 86_400_000;
/** Ranges up to this long are shown per day, longer ones per week. */
export const DAILY_UP_TO_MS = 14 * DAY_MS;
/** 1970-01-01 was a Thursday: weeks start on Monday, 00:00 UTC. */
const MONDAY_OFFSET_MS = 4 * DAY_MS;

/** The start of the day or week (Monday, UTC) holding `ms`. */
export function bucketStart(ms: number, size: 'day' | 'week'): number {
  if (size === 'day') {
    return Math.floor(ms / DAY_MS) * DAY_MS;
  }
  const week = 7 * DAY_MS;
  return Math.floor((ms - MONDAY_OFFSET_MS) / week) * week + MONDAY_OFFSET_MS;
}

/**
 * Per bucket: time to first review over the changes created in it (the headline's Kaplan–Meier
 * estimate, so changes still waiting count), and time to merge and rounds over the changes merged in
 * it. Every bucket of the range is present, empty ones too, so a quiet week shows as one.
 */
export function reviewTrends(
  changes: ChangeSummary[],
  range: { from: number; to: number },
  nowMs: number,
): TrendsResponse {
  const size = range.to - range.from <= DAILY_UP_TO_MS ? 'day' : 'week';
  const step = size === 'day' ? DAY_MS : 7 * DAY_MS;
  const buckets = new Map<number, { created: ChangeSummary[]; merged: ChangeSummary[] }>();
  for (let t = bucketStart(range.from, size); t <= range.to; t += step) {
    buckets.set(t, { created: [], merged: [] });
  }
  for (const c of changes) {
    buckets.get(bucketStart(c.createdMs, size))?.created.push(c);
    if (c.status === 'MERGED' && c.closedMs !== undefined) {
      buckets.get(bucketStart(c.closedMs, size))?.merged.push(c);
    }
  }
  const out: TrendBucket[] = [...buckets].map(([startMs, b]) => {
    const firstReview = firstReviewDistribution(b.created, nowMs);
    const merge = distribution(b.merged.flatMap((c) => (c.timeToMergeMs === undefined ? [] : [c.timeToMergeMs])));
    return {
      startMs,
      created: b.created.length,
      merged: b.merged.length,
      timeToFirstReview: {
        medianMs: firstReview.medianMs,
        medianAtLeastMs: firstReview.medianAtLeastMs,
        n: firstReview.n,
        waiting: firstReview.waiting,
      },
      timeToMerge: { medianMs: merge.medianMs, n: merge.n },
      rounds: {
        median: quantile(
          b.merged.map((c) => c.rounds),
          0.5,
        ),
        n: b.merged.length,
      },
    };
  });
  return { bucket: size, buckets: out, asOfMs: nowMs };
}
