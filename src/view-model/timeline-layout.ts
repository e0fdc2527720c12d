// Geometry of a change's timeline (a Gantt-like SVG): lane order, time → x, bars, markers, the
// "waiting on" shading along the change lane, axis ticks and hover texts. The React component only
// draws what this computes. Framework-free (unit-tested with node --test).

import type {
  ChangeTimeline,
  LaneKind,
  MarkerKind,
  TimelineBar,
  TimelineLane,
  TimelineMarker,
  WaitingOn,
} from '../review-model/code-review-api.ts';
import { formatDateTime, formatDuration } from './format.ts';

export type BarTone =
  | 'change'
  | 'patchset'
  | 'review-voted'
  | 'review-commented'
  | 'review-pending'
  | 'review-ended'
  | 'ci-success'
  | 'ci-failure'
  | 'ci-running'
  | 'error';

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'tick';
export type MarkerTone = 'positive' | 'negative' | 'neutral' | 'info';

export interface BarLayout {
  index: number;
  x: number;
  width: number;
  y: number;
  height: number;
  startMs: number;
  /** Where it is drawn to: the bar's end, or now for an open bar. */
  endMs: number;
  open: boolean;
  tone: BarTone;
  tooltip: string[];
}

export interface LaneLayout {
  id: string;
  kind: LaneKind;
  label: string;
  who?: string;
  patchSet?: number;
  y: number;
  height: number;
  bars: BarLayout[];
}

export interface MarkerLayout {
  index: number;
  laneId: string;
  kind: MarkerKind;
  x: number;
  /** Centre. */
  y: number;
  atMs: number;
  shape: MarkerShape;
  tone: MarkerTone;
  tooltip: string[];
}

export interface WaitingLayout {
  index: number;
  on: WaitingOn;
  x: number;
  width: number;
  y: number;
  height: number;
  startMs: number;
  endMs: number;
  tooltip: string;
}

export interface TickLayout {
  atMs: number;
  x: number;
  label: string;
  /** Labels near the right edge are drawn ending at the tick, so they stay inside the plot. */
  anchor: 'start' | 'end';
}

export interface TimelineLayout {
  /** Width and height of the plot (the SVG right of the lane labels). */
  width: number;
  height: number;
  /** Lanes start below the axis. */
  plotTop: number;
  laneHeight: number;
  domain: { startMs: number; endMs: number };
  lanes: LaneLayout[];
  markers: MarkerLayout[];
  waiting: WaitingLayout[];
  ticks: TickLayout[];
  /** Where "now" is, when it lies inside the domain. */
  nowX?: number;
}

export interface TimelineLayoutOptions {
  /** Plot width in px. */
  width: number;
  nowMs: number;
  laneHeight?: number;
  axisHeight?: number;
  /** Horizontal padding inside the plot, px. */
  padding?: number;
  /** At most this many axis ticks (default: one per 110 px). */
  maxTicks?: number;
}

const KIND_RANK: Record<LaneKind, number> = { change: 0, patchset: 1, review: 2, ci: 3 };

/**
 * Lane order: the change first, then per patch set its own lane, its reviews (by label) and its CI
 * runs; lanes without a patch set last. Stable for equal keys.
 */
export function orderLanes(lanes: readonly TimelineLane[]): TimelineLane[] {
  return lanes
    .map((lane, i) => ({ lane, i }))
    .sort((a, b) => {
      const ka = laneKey(a.lane);
      const kb = laneKey(b.lane);
      for (let k = 0; k < ka.length; k++) {
        if (ka[k] !== kb[k]) {
          return ka[k] < kb[k] ? -1 : 1;
        }
      }
      return a.i - b.i;
    })
    .map((x) => x.lane);
}

function laneKey(lane: TimelineLane): Array<number | string> {
  if (lane.kind === 'change') {
    return [0, 0, 0, ''];
  }
  const ps = lane.patchSet ?? Number.MAX_SAFE_INTEGER;
  return [1, ps, KIND_RANK[lane.kind] ?? 9, lane.label.toLowerCase()];
}

/** Where a bar ends on screen: open bars run to now (never backwards). */
export function drawnEnd(bar: Pick<TimelineBar, 'startMs' | 'endMs' | 'open'>, nowMs: number): number {
  return bar.open ? Math.max(bar.endMs, bar.startMs, nowMs) : Math.max(bar.endMs, bar.startMs);
}

/** The time span the plot shows: everything in the timeline, open bars up to now. */
export function timelineDomain(timeline: ChangeTimeline, nowMs: number): { startMs: number; endMs: number } {
  let start = timeline.startMs;
  let end = timeline.endMs;
  const see = (t: number) => {
    if (Number.isFinite(t)) {
      start = Math.min(start, t);
      end = Math.max(end, t);
    }
  };
  for (const lane of timeline.lanes) {
    for (const bar of lane.bars) {
      see(bar.startMs);
      see(drawnEnd(bar, nowMs));
    }
  }
  for (const m of timeline.markers) {
    see(m.atMs);
  }
  for (const w of timeline.waiting) {
    see(w.startMs);
    see(w.endMs);
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    start = nowMs - 3_600_000;
    end = nowMs;
  }
  if (end - start < 60_000) {
    end = start + 60_000;
  }
  return { startMs: start, endMs: end };
}

/** A linear time → x mapping onto [x0, x1]. */
export function timeScale(domain: { startMs: number; endMs: number }, x0: number, x1: number): (t: number) => number {
  const span = Math.max(1, domain.endMs - domain.startMs);
  const k = (x1 - x0) / span;
  return (t: number) => x0 + (t - domain.startMs) * k;
}

export function barTone(kind: LaneKind, bar: Pick<TimelineBar, 'open' | 'outcome' | 'error'>): BarTone {
  if (bar.error) {
    return kind === 'ci' ? 'ci-failure' : 'error';
  }
  switch (kind) {
    case 'change':
      return 'change';
    case 'patchset':
      return 'patchset';
    case 'review':
      if (bar.outcome === 'voted') {
        return 'review-voted';
      }
      if (bar.outcome === 'commented') {
        return 'review-commented';
      }
      return bar.open || bar.outcome === 'pending' ? 'review-pending' : 'review-ended';
    case 'ci':
      if (bar.outcome === 'success') {
        return 'ci-success';
      }
      if (bar.outcome === 'failure') {
        return 'ci-failure';
      }
      return 'ci-running';
    default:
      return 'change';
  }
}

export function markerStyle(m: Pick<TimelineMarker, 'kind' | 'value' | 'error'>): {
  shape: MarkerShape;
  tone: MarkerTone;
} {
  switch (m.kind) {
    case 'vote': {
      const tone: MarkerTone = m.error || (m.value ?? 0) < 0 ? 'negative' : (m.value ?? 0) > 0 ? 'positive' : 'neutral';
      return { shape: 'circle', tone };
    }
    case 'comment':
      return { shape: 'square', tone: 'info' };
    case 'reviewer.added':
    case 'reviewer.removed':
      return { shape: 'triangle', tone: 'neutral' };
    case 'submit':
      return { shape: 'diamond', tone: 'positive' };
    case 'abandon':
    case 'delete':
      return { shape: 'diamond', tone: 'negative' };
    case 'restore':
      return { shape: 'diamond', tone: 'info' };
    default:
      return { shape: 'tick', tone: m.error ? 'negative' : 'neutral' };
  }
}

const MARKER_TITLE: Record<MarkerKind, string> = {
  vote: 'Vote',
  comment: 'Comment',
  'reviewer.added': 'Reviewer added',
  'reviewer.removed': 'Reviewer removed',
  'vote.deleted': 'Vote deleted',
  wip: 'Work in progress',
  private: 'Private',
  topic: 'Topic',
  hashtags: 'Hashtags',
  restore: 'Restored',
  abandon: 'Abandoned',
  submit: 'Submitted',
  delete: 'Deleted',
};

const WAITING_WORD: Record<WaitingOn, string> = { author: 'the author', reviewers: 'reviewers', ci: 'CI' };

export function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

/** Hover lines of a marker: what, who, when, the comment text. */
export function markerTooltip(m: TimelineMarker): string[] {
  const what = [MARKER_TITLE[m.kind] ?? m.kind];
  if (m.label) {
    what.push(m.label);
  }
  if (m.value !== undefined) {
    what.push(signed(m.value));
  }
  const lines = [`${what.join(' ')}${m.who ? ` by ${m.who}` : ''}`, formatDateTime(m.atMs)];
  if (m.text) {
    lines.push(m.text);
  }
  return lines;
}

/** Hover lines of a bar: the lane, its span and duration, outcome and the sidecar's detail. */
export function barTooltip(lane: TimelineLane, bar: TimelineBar, nowMs: number): string[] {
  const end = drawnEnd(bar, nowMs);
  const lines = [
    lane.label,
    `${formatDateTime(bar.startMs)} → ${bar.open ? 'now (still open)' : formatDateTime(bar.endMs)}`,
    `${bar.open ? 'Open for' : 'Took'} ${formatDuration(end - bar.startMs)}`,
  ];
  if (bar.outcome) {
    lines.push(`Outcome: ${bar.outcome}`);
  }
  if (bar.detail) {
    lines.push(bar.detail);
  }
  return lines;
}

export function waitingTooltip(w: { on: WaitingOn; startMs: number; endMs: number }): string {
  return `Waiting on ${WAITING_WORD[w.on] ?? w.on} for ${formatDuration(w.endMs - w.startMs)} (${formatDateTime(w.startMs)} → ${formatDateTime(w.endMs)})`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TICK_STEPS = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
];
const MONTH_STEPS = [1, 2, 3, 6, 12];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function dayLabel(d: Date): string {
  return `${MONTHS[d.getMonth()]} ${d.getDate()}`;
}

function localMidnight(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/**
 * Axis ticks at round local times (every 1, 2, 5, ... minutes up to hours, days, weeks, months),
 * at most `maxTicks` of them. Sub-day ticks read "HH:mm", with the date where the day changes.
 */
export function timeTicks(startMs: number, endMs: number, maxTicks: number): Array<{ atMs: number; label: string }> {
  const span = endMs - startMs;
  if (!(span > 0) || maxTicks < 1) {
    return [];
  }
  const step = TICK_STEPS.find((s) => span / s <= maxTicks);
  const ticks: Array<{ atMs: number; label: string }> = [];
  if (step !== undefined && step < DAY) {
    const base = localMidnight(startMs);
    let t = base + Math.ceil((startMs - base) / step) * step;
    let lastDay = '';
    for (; t <= endMs; t += step) {
      const d = new Date(t);
      const day = dayLabel(d);
      const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
      ticks.push({ atMs: t, label: day !== lastDay ? `${day} ${time}` : time });
      lastDay = day;
    }
    return ticks;
  }
  if (step !== undefined) {
    const days = step / DAY;
    const d = new Date(localMidnight(startMs));
    if (d.getTime() < startMs) {
      d.setDate(d.getDate() + 1);
    }
    if (days === 7 || days === 14) {
      // Weeks start on Monday.
      d.setDate(d.getDate() + ((8 - d.getDay()) % 7));
    }
    for (; d.getTime() <= endMs; d.setDate(d.getDate() + days)) {
      ticks.push({ atMs: d.getTime(), label: dayLabel(d) });
    }
    return ticks;
  }
  const months = MONTH_STEPS.find((m) => span / (m * 30 * DAY) <= maxTicks) ?? Math.ceil(span / (30 * DAY) / maxTicks);
  const d = new Date(localMidnight(startMs));
  d.setDate(1);
  if (d.getTime() < startMs) {
    d.setMonth(d.getMonth() + 1);
  }
  // Multi-month steps start on a month that divides evenly (Jan, Mar, May, ... for 2 months).
  while (months <= 12 && d.getMonth() % months !== 0) {
    d.setMonth(d.getMonth() + 1);
  }
  for (; d.getTime() <= endMs; d.setMonth(d.getMonth() + months)) {
    ticks.push({ atMs: d.getTime(), label: `${MONTHS[d.getMonth()]} ${d.getFullYear()}` });
  }
  return ticks;
}

/** Lays out a whole timeline for a plot `width` px wide. */
export function layoutTimeline(timeline: ChangeTimeline, opts: TimelineLayoutOptions): TimelineLayout {
  const laneHeight = opts.laneHeight ?? 28;
  const plotTop = opts.axisHeight ?? 24;
  const padding = opts.padding ?? 8;
  const width = Math.max(2 * padding + 10, opts.width);
  const domain = timelineDomain(timeline, opts.nowMs);
  const x = timeScale(domain, padding, width - padding);
  const lanes = orderLanes(timeline.lanes);
  const laneY = new Map<string, number>();

  const laneLayouts: LaneLayout[] = lanes.map((lane, i) => {
    const y = plotTop + i * laneHeight;
    laneY.set(lane.id, y);
    const barHeight = lane.kind === 'change' ? Math.round(laneHeight * 0.3) : Math.round(laneHeight * 0.5);
    return {
      id: lane.id,
      kind: lane.kind,
      label: lane.label,
      who: lane.who,
      patchSet: lane.patchSet,
      y,
      height: laneHeight,
      bars: lane.bars.map((bar, index) => {
        const endMs = drawnEnd(bar, opts.nowMs);
        const x0 = x(bar.startMs);
        return {
          index,
          x: x0,
          width: Math.max(2, x(endMs) - x0),
          y: y + (laneHeight - barHeight) / 2,
          height: barHeight,
          startMs: bar.startMs,
          endMs,
          open: bar.open,
          tone: barTone(lane.kind, bar),
          tooltip: barTooltip(lane, bar, opts.nowMs),
        };
      }),
    };
  });

  const changeLane = laneLayouts.find((l) => l.kind === 'change');
  const fallbackY = changeLane?.y ?? plotTop;

  const markers: MarkerLayout[] = timeline.markers
    .map((m, index) => ({ m, index }))
    .sort((a, b) => a.m.atMs - b.m.atMs || a.index - b.index)
    .map(({ m, index }) => {
      const y = laneY.get(m.laneId) ?? fallbackY;
      return {
        index,
        laneId: laneY.has(m.laneId) ? m.laneId : (changeLane?.id ?? m.laneId),
        kind: m.kind,
        x: x(m.atMs),
        y: y + laneHeight / 2,
        atMs: m.atMs,
        ...markerStyle(m),
        tooltip: markerTooltip(m),
      };
    });

  const waiting: WaitingLayout[] = timeline.waiting
    .filter((w) => w.endMs > w.startMs)
    .map((w, index) => {
      const x0 = x(w.startMs);
      return {
        index,
        on: w.on,
        x: x0,
        width: Math.max(1, x(w.endMs) - x0),
        y: fallbackY,
        height: laneHeight,
        startMs: w.startMs,
        endMs: w.endMs,
        tooltip: waitingTooltip(w),
      };
    });

  const maxTicks = opts.maxTicks ?? Math.max(2, Math.floor(width / 110));
  const ticks = timeTicks(domain.startMs, domain.endMs, maxTicks).map((t): TickLayout => {
    const tx = x(t.atMs);
    // About 7 px per character at the axis font size.
    return { ...t, x: tx, anchor: tx + 7 * t.label.length + 4 > width ? 'end' : 'start' };
  });
  const nowX = opts.nowMs >= domain.startMs && opts.nowMs <= domain.endMs ? x(opts.nowMs) : undefined;

  return {
    width,
    height: plotTop + Math.max(1, lanes.length) * laneHeight,
    plotTop,
    laneHeight,
    domain,
    lanes: laneLayouts,
    markers,
    waiting,
    ticks,
    nowX,
  };
}

/** The legend: what each colour and shape means. */
export const LEGEND = {
  bars: [
    { tone: 'change', label: 'Change' },
    { tone: 'patchset', label: 'Patch set' },
    { tone: 'review-pending', label: 'Review: waiting' },
    { tone: 'review-voted', label: 'Review: voted' },
    { tone: 'review-commented', label: 'Review: commented' },
    { tone: 'review-ended', label: 'Review: superseded / removed' },
    { tone: 'ci-running', label: 'CI: running' },
    { tone: 'ci-success', label: 'CI: passed' },
    { tone: 'ci-failure', label: 'CI: failed' },
  ] satisfies Array<{ tone: BarTone; label: string }>,
  markers: [
    { shape: 'circle', tone: 'positive', label: 'Vote (+)' },
    { shape: 'circle', tone: 'negative', label: 'Vote (−)' },
    { shape: 'square', tone: 'info', label: 'Comment' },
    { shape: 'triangle', tone: 'neutral', label: 'Reviewer added / removed' },
    { shape: 'diamond', tone: 'positive', label: 'Submit' },
    { shape: 'diamond', tone: 'negative', label: 'Abandon / delete' },
    { shape: 'tick', tone: 'neutral', label: 'Other event' },
  ] satisfies Array<{ shape: MarkerShape; tone: MarkerTone; label: string }>,
  waiting: [
    { on: 'author', label: 'Waiting on author' },
    { on: 'reviewers', label: 'Waiting on reviewers' },
    { on: 'ci', label: 'Waiting on CI' },
  ] satisfies Array<{ on: WaitingOn; label: string }>,
  openBar: 'Dashed: still open (drawn to now)',
};
