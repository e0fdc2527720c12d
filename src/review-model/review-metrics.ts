import type { ChangeSummary, Distribution, HeadlineStats } from './code-review-api.ts';

// Headline review metrics over a set of changes. Pure; used by the sidecar's query API.

/** The q-quantile (0..1) by linear interpolation between closest ranks; undefined for no values. */
export function quantile(values: number[], q: number): number | undefined {
  if (values.length === 0) {
    return undefined;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lower = Math.floor(pos);
  const upper = Math.ceil(pos);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (pos - lower);
}

export function distribution(values: number[]): Distribution {
  return { medianMs: quantile(values, 0.5), p90Ms: quantile(values, 0.9) };
}

function defined<T>(xs: (T | undefined)[]): T[] {
  return xs.filter((x): x is T => x !== undefined);
}

export function headlineStats(changes: ChangeSummary[]): HeadlineStats {
  const merged = changes.filter((c) => c.status === 'MERGED').length;
  const abandoned = changes.filter((c) => c.status === 'ABANDONED').length;
  const open = changes.filter((c) => c.status === 'NEW').length;
  const reviewed = changes.filter((c) => c.status === 'MERGED' || c.rounds > 0);
  return {
    count: changes.length,
    open,
    merged,
    abandoned,
    timeToFirstReview: distribution(defined(changes.map((c) => c.timeToFirstReviewMs))),
    timeToMerge: distribution(defined(changes.map((c) => c.timeToMergeMs))),
    medianRounds: quantile(
      reviewed.map((c) => c.rounds),
      0.5,
    ),
    abandonedShare: merged + abandoned > 0 ? abandoned / (merged + abandoned) : undefined,
  };
}
