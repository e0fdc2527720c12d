import type { ChangeEvent } from '../gerrit/stream-events.ts';
import { RateLimitedLog, type Logger } from '../observability/logger.ts';
import type { SidecarMetrics } from '../observability/metrics.ts';

// Rebuilds of single changes from Gerrit REST, beside the live stream rather than in front of it:
// while a change is read, only its own live events wait (held, in order, bounded per change and
// overall); every other change flows on. A failed read is retried with backoff and the change's
// events keep waiting; a bound that is hit drops the event with a counted, logged reason and has the
// change read once more after the running read (the history then holds the dropped event).
// The changes waiting are persisted (persist()), so a restart rebuilds them even if their events
// are older than the reconcile's window. At most maxConcurrentReads histories are read at once, so
// a burst of suspicious events (a reconnect, a bulk edit) does not flood Gerrit's REST API; the
// others wait their turn in request order, their events held like those of a change being read.

export interface ChangeRebuildLimits {
  /** Live events held for one change while it is rebuilt. */
  maxHeldPerChange: number;
  /** Live events held for all changes being rebuilt. */
  maxHeld: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Change histories read from Gerrit REST at once. */
  maxConcurrentReads: number;
}

export interface ChangeRebuildParts {
  /** Reads the change's history from REST and rebuilds it; throws when the read fails. */
  rebuild: (changeNumber: number) => Promise<void>;
  /**
   * Applies a held event once its change was rebuilt (or cannot be): `trigger` for the events
   * handed over with a request (they asked for this rebuild), else a live event held meanwhile.
   */
  apply: (event: ChangeEvent, trigger: boolean) => void;
  /** False when retrying cannot help (the change is gone): its events are then applied as they came. */
  retryable: (err: Error) => boolean;
  /** Why a read failed, for the failure metric. */
  reason: (err: Error) => string;
  /** Stores the numbers of the changes waiting (they are rebuilt again after a restart). */
  persist: (changeNumbers: number[]) => void;
  metrics: SidecarMetrics;
  log: Logger;
}

export interface ChangeRebuildStatus {
  /** Changes waiting for their rebuild (being read, waiting for a free read, or waiting to retry). */
  changes: number;
  /** Of those, the ones being read now (at most maxConcurrentReads). */
  reading: number;
  /** Of those, the ones whose last read failed. */
  failing: number;
  heldEvents: number;
  lastError?: string;
  /** Since when the longest-failing change fails. */
  failingSinceMs?: number;
}

interface Waiting {
  held: { event: ChangeEvent; trigger: boolean }[];
  reading: boolean;
  /** An event was dropped while the change was read: read it once more after. */
  again: boolean;
  failures: number;
  failingSinceMs?: number;
  lastError?: string;
  retry?: NodeJS.Timeout;
}

/** Exponential backoff: `initialMs` after the first failure, doubling, at most `maxMs`. */
export function retryDelayMs(failures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
}

export class ChangeRebuilds {
  private readonly limits: ChangeRebuildLimits;
  private readonly parts: ChangeRebuildParts;
  private readonly waiting = new Map<number, Waiting>();
  private readonly warnOnce: RateLimitedLog;
  private heldTotal = 0;
  private stopped = false;
  private readsRunning = 0;
  /** Changes whose read is due, waiting for one of the maxConcurrentReads, in request order. */
  private readonly due: number[] = [];

  constructor(limits: ChangeRebuildLimits, parts: ChangeRebuildParts) {
    this.limits = limits;
    this.parts = parts;
    this.warnOnce = new RateLimitedLog(parts.log);
  }

  /** True while the change waits for its rebuild: its live events go to hold(). */
  has(changeNumber: number): boolean {
    return this.waiting.has(changeNumber);
  }

  /** Starts a rebuild of the change (unless one waits already); `trigger` waits for it. */
  request(changeNumber: number, trigger?: ChangeEvent): void {
    let entry = this.waiting.get(changeNumber);
    const started = entry === undefined;
    if (!entry) {
      entry = { held: [], reading: false, again: false, failures: 0 };
      this.waiting.set(changeNumber, entry);
      this.persist();
    } else if (entry.reading) {
      // Asked again while being read (a repeated reviewer, an event the read may predate).
      entry.again = true;
    }
    if (trigger) {
      this.push(changeNumber, entry, trigger, true);
    }
    if (started) {
      this.schedule(changeNumber);
    }
    this.updateGauges();
  }

  /** Holds a live event of a change that waits for its rebuild (see has()). */
  hold(event: ChangeEvent): void {
    const entry = this.waiting.get(event.change.number);
    if (entry) {
      this.push(event.change.number, entry, event, false);
      this.updateGauges();
    }
  }

  status(): ChangeRebuildStatus {
    let failing = 0;
    let failingSinceMs: number | undefined;
    let lastError: string | undefined;
    for (const entry of this.waiting.values()) {
      if (entry.failures > 0) {
        failing += 1;
        lastError ??= entry.lastError;
        failingSinceMs = Math.min(failingSinceMs ?? Infinity, entry.failingSinceMs ?? Infinity);
      }
    }
    return {
      changes: this.waiting.size,
      reading: this.readsRunning,
      failing,
      heldEvents: this.heldTotal,
      lastError,
      failingSinceMs,
    };
  }

  /** Stops retrying. Held events stay unapplied: the persisted changes are rebuilt at the next start. */
  stop(): void {
    this.stopped = true;
    for (const entry of this.waiting.values()) {
      clearTimeout(entry.retry);
    }
  }

  private push(changeNumber: number, entry: Waiting, event: ChangeEvent, trigger: boolean): void {
    const reason =
      entry.held.length >= this.limits.maxHeldPerChange
        ? 'change_limit'
        : this.heldTotal >= this.limits.maxHeld
          ? 'total_limit'
          : undefined;
    if (reason === undefined) {
      entry.held.push({ event, trigger });
      this.heldTotal += 1;
      return;
    }
    // The change's history holds this event once it is read after it: read it (once more) then.
    entry.again ||= entry.reading;
    this.parts.metrics.heldEventsDropped.inc({ reason });
    this.warnOnce.warn(
      `held-dropped:${reason}`,
      {
        reason,
        change: changeNumber,
        type: event.type,
        heldForChange: entry.held.length,
        heldTotal: this.heldTotal,
      },
      'Dropped a live event waiting for its change to be rebuilt from REST (a bound was hit); the rebuild from its history will include it',
    );
  }

  /** Reads the change's history now if fewer than maxConcurrentReads run, else when one ends. */
  private schedule(changeNumber: number): void {
    if (this.stopped) {
      return;
    }
    this.due.push(changeNumber);
    this.startDue();
  }

  private startDue(): void {
    while (!this.stopped && this.readsRunning < this.limits.maxConcurrentReads && this.due.length > 0) {
      const changeNumber = this.due.shift() as number;
      const entry = this.waiting.get(changeNumber);
      if (entry && !entry.reading) {
        void this.read(changeNumber, entry);
      }
    }
  }

  private async read(changeNumber: number, entry: Waiting): Promise<void> {
    entry.reading = true;
    entry.again = false;
    this.readsRunning += 1;
    let failure: Error | undefined;
    try {
      await this.parts.rebuild(changeNumber);
    } catch (err) {
      failure = err as Error;
    }
    entry.reading = false;
    this.readsRunning -= 1;
    if (this.stopped) {
      return;
    }
    this.finishRead(changeNumber, entry, failure);
    this.startDue();
  }

  private finishRead(changeNumber: number, entry: Waiting, failure: Error | undefined): void {
    if (failure === undefined) {
      if (entry.failures > 0) {
        this.parts.log.info(
          { change: changeNumber, failures: entry.failures },
          'Rebuilt a change from REST after failed reads',
        );
      }
      entry.failures = 0;
      if (entry.again) {
        this.schedule(changeNumber);
        return;
      }
      this.release(changeNumber, entry);
      return;
    }
    entry.failures += 1;
    entry.failingSinceMs ??= Date.now();
    entry.lastError = failure.message;
    this.parts.metrics.reconcileFailures.inc({ kind: 'change', reason: this.parts.reason(failure) });
    if (!this.parts.retryable(failure)) {
      this.parts.log.warn(
        { change: changeNumber, err: failure.message, held: entry.held.length },
        'Could not rebuild a change from REST, and retrying cannot help; applying its events as they came',
      );
      this.release(changeNumber, entry);
      return;
    }
    const delayMs = retryDelayMs(entry.failures, this.limits.retryInitialMs, this.limits.retryMaxMs);
    this.warnOnce.warn(
      'rebuild-failed',
      {
        change: changeNumber,
        err: failure.message,
        failures: entry.failures,
        held: entry.held.length,
        retryInMs: delayMs,
      },
      'Could not rebuild a change from REST; its events wait, the other changes flow on; retrying',
    );
    entry.retry = setTimeout(() => {
      entry.retry = undefined;
      this.schedule(changeNumber);
    }, delayMs);
    entry.retry.unref();
    this.updateGauges();
  }

  /** Ends the wait and applies the held events in order (one of them may start a new wait). */
  private release(changeNumber: number, entry: Waiting): void {
    this.waiting.delete(changeNumber);
    this.heldTotal -= entry.held.length;
    this.persist();
    for (const item of entry.held) {
      if (this.waiting.has(changeNumber)) {
        // An event asked for another rebuild: the rest waits for that one too, in order.
        this.hold(item.event);
      } else {
        this.parts.apply(item.event, item.trigger);
      }
    }
    this.updateGauges();
  }

  private persist(): void {
    this.parts.persist([...this.waiting.keys()]);
  }

  private updateGauges(): void {
    this.parts.metrics.heldEvents.set(this.heldTotal);
    this.parts.metrics.changesAwaitingRebuild.set(this.waiting.size);
  }
}
