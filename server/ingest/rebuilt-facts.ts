import type { ChangeEvent } from '../gerrit/stream-events.ts';
import { eventFingerprint } from '../mapping/change-mapper.ts';

// The facts of changes just rebuilt from REST history. A live event held while a rebuild ran may
// already be part of that history (it happened before the REST read); applying it again would
// produce its spans a second time under new ordinals. Each rebuilt fact absorbs at most one
// matching live event (same fingerprint, at most a second apart: the stream's time can be a second
// later), so two real events that look alike are both kept.

const SKEW_MS = 1000;

export class RebuiltFacts {
  private readonly byChange = new Map<number, { fingerprint: string; timeMs: number }[]>();

  add(changeNumber: number, history: ChangeEvent[]): void {
    this.byChange.set(
      changeNumber,
      history.map((e) => ({ fingerprint: eventFingerprint(e), timeMs: e.timeMs })),
    );
  }

  /** True (and the fact is used up) when the rebuild already covered this live event. */
  consume(event: ChangeEvent): boolean {
    const facts = this.byChange.get(event.change.number);
    if (!facts) {
      return false;
    }
    const fingerprint = eventFingerprint(event);
    const i = facts.findIndex((f) => f.fingerprint === fingerprint && Math.abs(f.timeMs - event.timeMs) <= SKEW_MS);
    if (i === -1) {
      return false;
    }
    facts.splice(i, 1);
    return true;
  }

  get size(): number {
    return this.byChange.size;
  }
}
