import type { ChangeSummary, ReviewLoadPerson, ReviewLoadResponse } from './code-review-api.ts';

// "Review load": per reviewer, the reviews they gave in the range and the reviews waiting on them
// now (docs/span-schema.md, "Review load"). Pure; used by the sidecar.

/** One review: from a closed change's root span (`gerrit.reviews.json`) or an open change's state. */
export interface ReviewDone {
  traceId: string;
  who: string;
  atMs: number;
}

/**
 * Reviews done in [fromMs, toMs] on the `changes` the filters selected (matched by trace id), and
 * the pending reviews of those changes that are open. The most reviews done first, then the most
 * pending, then by name.
 */
export function reviewLoad(
  reviews: ReviewDone[],
  changes: ChangeSummary[],
  range: { from: number; to: number },
  nowMs: number,
): ReviewLoadResponse {
  const byTrace = new Map(changes.map((c) => [c.traceId, c]));
  const people = new Map<string, ReviewLoadPerson & { reviewed: Set<number> }>();
  const person = (who: string) => {
    let p = people.get(who);
    if (!p) {
      p = { who, reviewsDone: 0, changesReviewed: 0, pending: 0, reviewed: new Set() };
      people.set(who, p);
    }
    return p;
  };
  let total = 0;
  for (const r of reviews) {
    const change = byTrace.get(r.traceId);
    if (!change || r.atMs < range.from || r.atMs > range.to) {
      continue;
    }
    const p = person(r.who);
    p.reviewsDone += 1;
    p.reviewed.add(change.number);
    total += 1;
  }
  let pending = 0;
  for (const c of changes) {
    if (c.status !== 'NEW' || c.waitingOn !== 'reviewers') {
      continue;
    }
    for (const w of c.waitingOnReviewers ?? []) {
      const p = person(w.reviewer);
      p.pending += 1;
      p.oldestPendingSinceMs = Math.min(p.oldestPendingSinceMs ?? w.sinceMs, w.sinceMs);
      pending += 1;
    }
  }
  const list: ReviewLoadPerson[] = [...people.values()].map(({ reviewed, ...p }) => ({
    ...p,
    changesReviewed: reviewed.size,
  }));
  list.sort((a, b) => b.reviewsDone - a.reviewsDone || b.pending - a.pending || a.who.localeCompare(b.who));
  return { people: list, reviews: total, pending, asOfMs: nowMs };
}
