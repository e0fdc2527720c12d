import type { ChangeSummary, Distribution, FirstReviewDistribution, HeadlineStats } from './code-review-api.ts';

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
  return { medianMs: quantile(values, 0.5), p90Ms: quantile(values, 0.9), n: values.length };
}

/** A wait: `ended` when it ended in the event (a first review), else censored (still waiting, or left unreviewed). */
export interface Wait {
  ms: number;
  ended: boolean;
}

/**
 * The q-quantile of a wait under the Kaplan–Meier estimate: the smallest observed time at which the
 * estimated share still waiting falls to 1 − q or below. Censored waits stay in the risk set up to
 * their time (a censored wait tied with an ended one counts as at risk at that time, the usual
 * convention). Undefined when the estimate never falls that far: too many waits are unfinished to
 * know the quantile, only that it is longer than the longest wait seen.
 */
export function kaplanMeierQuantile(waits: Wait[], q: number): number | undefined {
  const sorted = [...waits].sort((a, b) => a.ms - b.ms || Number(b.ended) - Number(a.ended));
  let atRisk = sorted.length;
  let surviving = 1;
  for (let i = 0; i < sorted.length;) {
    const t = sorted[i].ms;
    let ended = 0;
    let leaving = 0;
    while (i < sorted.length && sorted[i].ms === t) {
      ended += sorted[i].ended ? 1 : 0;
      leaving += 1;
      i += 1;
    }
    if (ended > 0) {
      surviving *= 1 - ended / atRisk;
      // The tolerance keeps 1 − 0.5 from missing 0.5 by a rounding error.
      if (surviving <= 1 - q + 1e-12) {
        return t;
      }
    }
    atRisk -= leaving;
  }
  return undefined;
}

/**
 * Time to first review over a set of changes, with the changes still waiting counted (docs/span-
 * schema.md, "Review figures"): reviewed changes give ended waits; open changes ready for review
 * and not reviewed give censored waits up to `nowMs`; changes closed without a review give censored
 * waits up to their close. Changes seen only from the middle of their life are left out and counted.
 */
export function firstReviewDistribution(changes: ChangeSummary[], nowMs: number): FirstReviewDistribution {
  const waits: Wait[] = [];
  let reviewed = 0;
  let waiting = 0;
  let oldestWaitMs: number | undefined;
  let closedUnreviewed = 0;
  let unknown = 0;
  for (const c of changes) {
    if (c.timeToFirstReviewMs !== undefined) {
      waits.push({ ms: c.timeToFirstReviewMs, ended: true });
      reviewed += 1;
    } else if (c.firstSeenMs !== undefined) {
      unknown += 1;
    } else if (c.status === 'NEW' && c.readyMs !== undefined) {
      const ms = Math.max(0, nowMs - c.readyMs);
      waits.push({ ms, ended: false });
      waiting += 1;
      oldestWaitMs = Math.max(oldestWaitMs ?? 0, ms);
    } else if (c.unreviewedWaitMs !== undefined) {
      waits.push({ ms: c.unreviewedWaitMs, ended: false });
      closedUnreviewed += 1;
    }
  }
  const longest = waits.reduce((m, w) => Math.max(m, w.ms), 0);
  const medianMs = kaplanMeierQuantile(waits, 0.5);
  const p90Ms = kaplanMeierQuantile(waits, 0.9);
  return {
    medianMs,
    p90Ms,
    n: waits.length,
    reviewed,
    waiting,
    oldestWaitMs,
    closedUnreviewed,
    unknown,
    medianAtLeastMs: medianMs === undefined && waits.length > 0 ? longest : undefined,
    p90AtLeastMs: p90Ms === undefined && waits.length > 0 ? longest : undefined,
  };
}

function defined<T>(xs: (T | undefined)[]): T[] {
  return xs.filter((x): x is T => x !== undefined);
}

export function headlineStats(changes: ChangeSummary[], nowMs: number): HeadlineStats {
  const merged = changes.filter((c) => c.status === 'MERGED').length;
  const abandoned = changes.filter((c) => c.status === 'ABANDONED').length;
  const open = changes.filter((c) => c.status === 'NEW').length;
  const reviewed = changes.filter((c) => c.status === 'MERGED' || c.rounds > 0);
  return {
    count: changes.length,
    open,
    merged,
    abandoned,
    timeToFirstReview: firstReviewDistribution(changes, nowMs),
    timeToMerge: distribution(defined(changes.map((c) => c.timeToMergeMs))),
    medianRounds: quantile(
      reviewed.map((c) => c.rounds),
      0.5,
    ),
    roundsN: reviewed.length,
    abandonedShare: merged + abandoned > 0 ? abandoned / (merged + abandoned) : undefined,
  };
}
