import type {
  ChangeTimeline,
  MarkerKind,
  TimelineLane,
  TimelineMarker,
  WaitingOn,
  WaitingSegment,
} from './code-review-api.ts';
import { Attr, SpanName } from './span-schema.ts';

// The per-change timeline: a change's spans (from Tempo) plus, for an open change, what is still
// open (from the sidecar's overlay) become lanes, bars, markers and "waiting on" shading. Pure.

export interface TraceSpan {
  spanId: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  endMs: number;
  status: 'unset' | 'ok' | 'error';
  attributes: Record<string, string | number | boolean | string[]>;
}

/** What is still open on a change, as the sidecar's overlay knows it. */
export interface OpenChangeView {
  createdMs: number;
  /** The abandon of a change whose abandon is not final yet (its root span is not written). */
  abandonedMs?: number;
  currentPatchSet?: { number: number; createdMs: number };
  pendingReviews: { reviewer: string; startMs: number }[];
  /** The sidecar saw the change only from this time on: no "waiting" is shown before it. */
  firstSeenMs?: number;
  /**
   * Set while the change is work in progress: since when (the list's `waitingOf()` counts the
   * author's wait from it). A WIP upload leaves no `wip` span, so only the overlay knows this one.
   */
  wipSinceMs?: number;
}

const MARKER_NAMES = new Set<string>([
  SpanName.vote,
  SpanName.comment,
  SpanName.reviewerAdded,
  SpanName.reviewerRemoved,
  SpanName.voteDeleted,
  SpanName.wip,
  SpanName.private,
  SpanName.topic,
  SpanName.hashtags,
  SpanName.restore,
  SpanName.abandon,
  SpanName.submit,
  SpanName.delete,
]);

const str = (v: unknown): string | undefined => (v === undefined ? undefined : String(v));
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : v === undefined ? undefined : Number(v));

export const laneIds = {
  change: 'change',
  patchSet: (ps: number) => `patchset-${ps}`,
  review: (ps: number, who: string) => `review-${ps}-${who}`,
  ci: (ps: number, bot: string) => `ci-${ps}-${bot}`,
};

/**
 * The change's root span. A change restored after a final abandon has one per generation, and a
 * later generation always closes later: the one that ends last is the change's state.
 */
export function latestRoot(spans: TraceSpan[]): TraceSpan | undefined {
  let root: TraceSpan | undefined;
  for (const s of spans) {
    if (s.name === SpanName.change && (!root || s.endMs > root.endMs)) {
      root = s;
    }
  }
  return root;
}

export function buildChangeTimeline(
  spans: TraceSpan[],
  open: OpenChangeView | undefined,
  nowMs: number,
): ChangeTimeline {
  const lanes = new Map<string, TimelineLane>();
  const lane = (id: string, make: () => Omit<TimelineLane, 'id' | 'bars'>): TimelineLane => {
    let l = lanes.get(id);
    if (!l) {
      l = { id, ...make(), bars: [] };
      lanes.set(id, l);
    }
    return l;
  };
  const changeLane = lane(laneIds.change, () => ({ kind: 'change', label: 'Change' }));
  const root = latestRoot(spans);
  const startCandidates = [...spans.map((s) => s.startMs), ...(open ? [open.createdMs] : [])];
  const startMs =
    root?.startMs ?? open?.createdMs ?? (startCandidates.length > 0 ? Math.min(...startCandidates) : nowMs);
  const closedMs = open ? open.abandonedMs : root?.endMs;
  changeLane.bars.push({
    startMs,
    endMs: closedMs ?? nowMs,
    open: closedMs === undefined,
    outcome: open?.abandonedMs !== undefined ? 'closed' : str(root?.attributes[Attr.changeState]),
    error: root?.status === 'error',
  });

  const patchSetLane = (ps: number) =>
    lane(laneIds.patchSet(ps), () => ({ kind: 'patchset', label: `Patch set ${ps}`, patchSet: ps }));
  const reviewLane = (ps: number, who: string) =>
    lane(laneIds.review(ps, who), () => ({ kind: 'review', label: `${who} · PS${ps}`, patchSet: ps, who }));
  const ciLane = (ps: number, bot: string) =>
    lane(laneIds.ci(ps, bot), () => ({ kind: 'ci', label: `CI ${bot} · PS${ps}`, patchSet: ps, who: bot }));

  for (const s of spans) {
    const ps = num(s.attributes[Attr.patchSetNumber]);
    if (s.name === SpanName.patchSet && ps !== undefined) {
      patchSetLane(ps).bars.push({
        startMs: s.startMs,
        endMs: s.endMs,
        open: false,
        outcome: str(s.attributes[Attr.patchSetEndReason]),
        detail: str(s.attributes[Attr.headRevision]),
      });
    } else if (s.name === SpanName.review && ps !== undefined) {
      const who = str(s.attributes[Attr.reviewer]) ?? 'unknown';
      reviewLane(ps, who).bars.push({
        startMs: s.startMs,
        endMs: s.endMs,
        open: false,
        outcome: str(s.attributes[Attr.reviewOutcome]),
      });
    } else if (s.name === SpanName.ci && ps !== undefined) {
      const bot = str(s.attributes[Attr.bot]) ?? 'ci';
      ciLane(ps, bot).bars.push({
        startMs: s.startMs,
        endMs: s.endMs,
        open: false,
        outcome: str(s.attributes[Attr.pipelineResult]),
        error: s.status === 'error',
      });
    }
  }
  if (open?.currentPatchSet) {
    const cur = open.currentPatchSet;
    patchSetLane(cur.number).bars.push(
      open.abandonedMs !== undefined
        ? { startMs: cur.createdMs, endMs: open.abandonedMs, open: false, outcome: 'abandoned' }
        : { startMs: cur.createdMs, endMs: nowMs, open: true, outcome: 'current' },
    );
    for (const p of open.pendingReviews) {
      reviewLane(cur.number, p.reviewer).bars.push({
        startMs: p.startMs,
        endMs: nowMs,
        open: true,
        outcome: 'pending',
      });
    }
  }

  const markers: TimelineMarker[] = [];
  for (const s of spans) {
    if (!MARKER_NAMES.has(s.name)) {
      continue;
    }
    const ps = num(s.attributes[Attr.patchSetNumber]);
    const who = str(s.attributes[Attr.actor]) ?? str(s.attributes[Attr.reviewer]);
    let laneId = laneIds.change;
    if (ps !== undefined && who !== undefined && lanes.has(laneIds.review(ps, who))) {
      laneId = laneIds.review(ps, who);
    } else if (ps !== undefined && who !== undefined && lanes.has(laneIds.ci(ps, who))) {
      laneId = laneIds.ci(ps, who);
    } else if (ps !== undefined && lanes.has(laneIds.patchSet(ps))) {
      laneId = laneIds.patchSet(ps);
    }
    markers.push({
      laneId,
      atMs: s.startMs,
      kind: s.name as MarkerKind,
      who,
      label: str(s.attributes[Attr.label]),
      value: num(s.attributes[Attr.value]),
      text: str(s.attributes[Attr.commentText]),
      error: s.status === 'error',
    });
  }
  markers.sort((a, b) => a.atMs - b.atMs);

  const ordered = orderLanes([...lanes.values()]);
  for (const l of ordered) {
    l.bars.sort((a, b) => a.startMs - b.startMs);
  }
  const endMs = Math.max(
    closedMs ?? nowMs,
    ...ordered.flatMap((l) => l.bars.map((b) => b.endMs)),
    ...markers.map((m) => m.atMs),
  );
  const firstSeenMs = open ? open.firstSeenMs : num(root?.attributes[Attr.historyFirstSeenMs]);
  const waitingFromMs = Math.max(startMs, firstSeenMs ?? startMs);
  const waitingToMs = Math.max(waitingFromMs, closedMs ?? nowMs);
  return {
    startMs,
    endMs,
    lanes: ordered,
    markers,
    waiting: waitingSegments(ordered, waitingFromMs, waitingToMs, wipIntervals(spans, open, startMs, waitingToMs)),
  };
}

/**
 * When the change was work in progress, from its `wip` spans (each carries the state it set; a first
 * one that makes the change ready means it was in progress from its start) and, for an open change
 * in progress now, the overlay's `wipSinceMs` up to `endMs`.
 */
export function wipIntervals(
  spans: TraceSpan[],
  open: Pick<OpenChangeView, 'wipSinceMs'> | undefined,
  startMs: number,
  endMs: number,
): Array<{ startMs: number; endMs: number }> {
  const toggles = spans
    .filter((s) => s.name === SpanName.wip)
    .map((s) => ({ atMs: s.startMs, wip: s.attributes[Attr.wip] === true || s.attributes[Attr.wip] === 'true' }))
    .sort((a, b) => a.atMs - b.atMs);
  const intervals: Array<{ startMs: number; endMs: number }> = [];
  let since: number | undefined = toggles.length > 0 && !toggles[0].wip ? startMs : undefined;
  for (const t of toggles) {
    if (t.wip && since === undefined) {
      since = t.atMs;
    } else if (!t.wip && since !== undefined) {
      intervals.push({ startMs: since, endMs: t.atMs });
      since = undefined;
    }
  }
  if (open?.wipSinceMs !== undefined) {
    // The overlay is the truth about now: in progress since then (or since the last toggle on).
    intervals.push({ startMs: Math.min(since ?? open.wipSinceMs, open.wipSinceMs), endMs });
  } else if (since !== undefined && open === undefined) {
    // A closed change last set in progress: in progress until it closed.
    intervals.push({ startMs: since, endMs });
  }
  return intervals.filter((i) => i.endMs > i.startMs);
}

/** Change first, then per patch set: the patch set, its CI, its reviews (by reviewer). */
function orderLanes(lanes: TimelineLane[]): TimelineLane[] {
  const rank = { change: 0, patchset: 1, ci: 2, review: 3 } as const;
  return lanes.sort((a, b) => {
    if (a.kind === 'change' || b.kind === 'change') {
      return rank[a.kind] - rank[b.kind];
    }
    return (
      (a.patchSet ?? 0) - (b.patchSet ?? 0) || rank[a.kind] - rank[b.kind] || (a.who ?? '').localeCompare(b.who ?? '')
    );
  });
}

/**
 * Who the change waited on, at every moment of its life: the author while it is work in progress
 * (as the list's `waitingOf()` says: pending reviewers do not count then), else CI while a CI run on
 * the current patch set is unfinished, else reviewers while any review is pending, else the author.
 */
export function waitingSegments(
  lanes: TimelineLane[],
  startMs: number,
  endMs: number,
  wip: ReadonlyArray<{ startMs: number; endMs: number }> = [],
): WaitingSegment[] {
  const patchSets = lanes
    .filter((l) => l.kind === 'patchset')
    .flatMap((l) => l.bars.map((b) => ({ ps: l.patchSet ?? 0, ...b })));
  const intervals = (kind: 'ci' | 'review') =>
    lanes
      .filter((l) => l.kind === kind)
      .flatMap((l) => l.bars.map((b) => ({ ps: l.patchSet ?? 0, startMs: b.startMs, endMs: b.endMs })));
  const ci = intervals('ci');
  const reviews = intervals('review');
  const cuts = new Set<number>([startMs, endMs]);
  for (const x of [...patchSets, ...ci, ...reviews, ...wip]) {
    cuts.add(Math.min(Math.max(x.startMs, startMs), endMs));
    cuts.add(Math.min(Math.max(x.endMs, startMs), endMs));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const segments: WaitingSegment[] = [];
  for (let i = 0; i + 1 < points.length; i += 1) {
    const a = points[i];
    const b = points[i + 1];
    if (b <= a) {
      continue;
    }
    const mid = a + (b - a) / 2;
    const ps = patchSets.find((p) => p.startMs <= mid && mid < p.endMs)?.ps;
    const during = (x: { ps: number; startMs: number; endMs: number }) =>
      x.ps === ps && x.startMs <= mid && mid < x.endMs;
    let on: WaitingOn = 'author';
    if (wip.some((w) => w.startMs <= mid && mid < w.endMs)) {
      on = 'author';
    } else if (ps !== undefined && ci.some(during)) {
      on = 'ci';
    } else if (ps !== undefined && reviews.some(during)) {
      on = 'reviewers';
    }
    const last = segments[segments.length - 1];
    if (last && last.on === on && last.endMs === a) {
      last.endMs = b;
    } else {
      segments.push({ startMs: a, endMs: b, on });
    }
  }
  return segments;
}
