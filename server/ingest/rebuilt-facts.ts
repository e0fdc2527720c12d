import type { ChangeEvent } from '../gerrit/stream-events.ts';
import { eventFingerprint, FACT_SKEW_MS } from '../mapping/change-mapper.ts';

// The facts of changes recently rebuilt from REST history. A live event that arrives during or
// shortly after a rebuild may already be part of that history: it happened before the REST read,
// and Gerrit delivers stream events a little after REST shows them. Applying it again would
// produce its spans a second time under new ordinals. Each rebuilt fact absorbs at most one
// matching live event (same fingerprint, at most FACT_SKEW_MS apart: the stream's time can be
// later), so two real events that look alike are both kept. Facts expire after a while, when any
// live event they could stand for has long arrived.

const KEEP_MS = 30_000;

export class RebuiltFacts {
  private readonly byChange = new Map<
    number,
    { expiresMs: number; facts: { fingerprint: string; timeMs: number }[] }
  >();

  /** A rebuild's history replaces the change's earlier facts: it contains them. */
  add(changeNumber: number, history: ChangeEvent[], nowMs = Date.now()): void {
    this.expire(nowMs);
    this.byChange.set(changeNumber, {
      expiresMs: nowMs + KEEP_MS,
      facts: history.map((e) => ({ fingerprint: eventFingerprint(e), timeMs: e.timeMs })),
    });
  }

  /** True (and the fact is used up) when a rebuild already covered this live event. */
  consume(event: ChangeEvent, nowMs = Date.now()): boolean {
    if (this.byChange.size === 0) {
      return false;
    }
    this.expire(nowMs);
    const facts = this.byChange.get(event.change.number)?.facts;
    if (!facts) {
      return false;
    }
    const fingerprint = eventFingerprint(event);
    const i = facts.findIndex(
      (f) => f.fingerprint === fingerprint && Math.abs(f.timeMs - event.timeMs) <= FACT_SKEW_MS,
    );
    if (i === -1) {
      return false;
    }
    facts.splice(i, 1);
    return true;
  }

  get size(): number {
    return this.byChange.size;
  }

  private expire(nowMs: number): void {
    for (const [n, entry] of this.byChange) {
      if (entry.expiresMs <= nowMs) {
        this.byChange.delete(n);
      }
    }
  }
}
