import type { ChangeSummary, WaitingPerson, WaitingResponse } from './code-review-api.ts';

// "Waiting on": the open changes' waits regrouped by person, for the Code Review page's view of
// who the team is waiting on (docs/span-schema.md, "Waiting on"). Pure; used by the sidecar.

/** People with their queues: the longest wait first, then the longest queue, then by name. */
export function waitingQueues(changes: ChangeSummary[], nowMs: number): WaitingResponse {
  const people = new Map<string, WaitingPerson>();
  const person = (who: string, name?: string): WaitingPerson => {
    let p = people.get(who);
    if (!p) {
      p = { who, name, asReviewer: 0, asAuthor: 0, oldestSinceMs: nowMs, changes: [] };
      people.set(who, p);
    }
    p.name ??= name;
    return p;
  };
  let openChanges = 0;
  let onCi = 0;
  for (const c of changes) {
    if (c.status !== 'NEW') {
      continue;
    }
    openChanges += 1;
    const item = { number: c.number, subject: c.subject, project: c.project };
    if (c.waitingOn === 'ci') {
      onCi += 1;
    } else if (c.waitingOn === 'reviewers') {
      for (const r of c.waitingOnReviewers ?? []) {
        const p = person(r.reviewer);
        p.asReviewer += 1;
        p.oldestSinceMs = Math.min(p.oldestSinceMs, r.sinceMs);
        p.changes.push({ ...item, role: 'reviewer', sinceMs: r.sinceMs });
      }
    } else if (c.waitingOn === 'author' && c.waitingSinceMs !== undefined) {
      const p = person(c.owner, c.ownerName);
      p.asAuthor += 1;
      p.oldestSinceMs = Math.min(p.oldestSinceMs, c.waitingSinceMs);
      p.changes.push({ ...item, role: 'author', sinceMs: c.waitingSinceMs });
    }
  }
  const list = [...people.values()];
  for (const p of list) {
    p.changes.sort((a, b) => a.sinceMs - b.sinceMs || a.number - b.number);
  }
  list.sort(
    (a, b) => a.oldestSinceMs - b.oldestSinceMs || b.changes.length - a.changes.length || a.who.localeCompare(b.who),
  );
  return { people: list, openChanges, onCi, asOfMs: nowMs };
}
