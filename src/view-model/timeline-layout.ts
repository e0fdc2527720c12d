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
import { dateTimeForTimeZone } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { formatDateTime, formatDuration } from './format.ts';
import type { BarTone, MarkerStyleKey } from './timeline-palette.ts';
import type { TimeWindow } from './timeline-zoom.ts';

export type { BarTone, MarkerStyleKey } from './timeline-palette.ts';

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
  /** A patch set lane's review and CI lanes (shown when it is expanded). */
  childLanes: number;
  expanded: boolean;
}

/** A marker kind, or `ci`: a CI run's result drawn on its collapsed patch set. */
export type MarkerLayoutKind = MarkerKind | 'ci';

export interface MarkerLayout {
  /** The API marker's index, or `ci-<lane>-<bar>` for a CI run's result. */
  id: string;
  /** The lane it belongs to in the API (a child lane of a collapsed patch set too). */
  laneId: string;
  kind: MarkerLayoutKind;
  x: number;
  atMs: number;
  style: MarkerStyleKey;
  tooltip: string[];
}

/**
 * Markers drawn as one: a single marker, or several closer together than a marker's width, drawn
 * as one badge with their count so none hides another's hover.
 */
export interface MarkerGroupLayout {
  /** The first member's id: stable while the members stay together. */
  key: string;
  /** The lane it is drawn on. */
  laneId: string;
  x: number;
  /** Centre. */
  y: number;
  members: MarkerLayout[];
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
  /** What the plot shows (the zoom window). */
  domain: TimeWindow;
  /** Everything in the timeline: what "reset zoom" returns to and the overview shows. */
  fullDomain: TimeWindow;
  lanes: LaneLayout[];
  markers: MarkerGroupLayout[];
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
  /** The zoom window (default: the whole timeline). */
  view?: TimeWindow;
  /** Patch sets whose review and CI lanes are shown (default: none, one lane per patch set). */
  expanded?: ReadonlySet<number>;
  /** Markers closer than this (px) are drawn as one group (default 12: a marker's width and a gap). */
  markerGapPx?: number;
  /** The page's time zone, for the axis and the hover texts (default: the browser's). */
  timeZone?: TimeZone;
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

/** Which look a marker has (timeline-palette.ts gives each its shape and colour). */
export function markerStyle(m: Pick<TimelineMarker, 'kind' | 'value' | 'error'>): MarkerStyleKey {
  switch (m.kind) {
    case 'vote':
      return m.error || (m.value ?? 0) < 0 ? 'vote-negative' : (m.value ?? 0) > 0 ? 'vote-positive' : 'vote-zero';
    case 'comment':
      return 'comment';
    case 'reviewer.added':
    case 'reviewer.removed':
      return 'reviewer';
    case 'submit':
      return 'submit';
    case 'abandon':
    case 'delete':
      return 'abandon';
    default:
      return 'other';
  }
}

/** A CI run's result as a marker on its collapsed patch set: at its end, or at its start while it runs. */
export function ciResultMarker(
  lane: TimelineLane,
  bar: TimelineBar,
  barIndex: number,
  nowMs: number,
  timeZone?: TimeZone,
): Omit<MarkerLayout, 'x'> {
  const running = bar.open || (bar.outcome !== 'success' && bar.outcome !== 'failure' && !bar.error);
  const failed = bar.error === true || bar.outcome === 'failure';
  return {
    id: `ci-${lane.id}-${barIndex}`,
    laneId: lane.id,
    kind: 'ci',
    atMs: running ? bar.startMs : bar.endMs,
    style: failed ? 'ci-failed' : running ? 'ci-running' : 'ci-passed',
    tooltip: barTooltip(lane, bar, nowMs, timeZone),
  };
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
export function markerTooltip(m: TimelineMarker, timeZone?: TimeZone): string[] {
  const what = [MARKER_TITLE[m.kind] ?? m.kind];
  if (m.label) {
    what.push(m.label);
  }
  if (m.value !== undefined) {
    what.push(signed(m.value));
  }
  const lines = [`${what.join(' ')}${m.who ? ` by ${m.who}` : ''}`, formatDateTime(m.atMs, timeZone)];
  if (m.text) {
    lines.push(m.text);
  }
  return lines;
}

/** Hover lines of a bar: the lane, its span and duration, outcome and the sidecar's detail. */
export function barTooltip(lane: TimelineLane, bar: TimelineBar, nowMs: number, timeZone?: TimeZone): string[] {
  const end = drawnEnd(bar, nowMs);
  const lines = [
    lane.label,
    `${formatDateTime(bar.startMs, timeZone)} → ${bar.open ? 'now (still open)' : formatDateTime(bar.endMs, timeZone)}`,
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

export function waitingTooltip(w: { on: WaitingOn; startMs: number; endMs: number }, timeZone?: TimeZone): string {
  return `Waiting on ${WAITING_WORD[w.on] ?? w.on} for ${formatDuration(w.endMs - w.startMs)} (${formatDateTime(w.startMs, timeZone)} → ${formatDateTime(w.endMs, timeZone)})`;
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

/**
 * Axis ticks at round times in `timeZone` (every 1, 2, 5, ... minutes up to hours, days, weeks,
 * months), at most `maxTicks` of them. Sub-day ticks read "HH:mm", with the date where the day
 * changes. Wall-clock arithmetic is @grafana/data's (moment-timezone), so days follow the zone.
 */
export function timeTicks(
  startMs: number,
  endMs: number,
  maxTicks: number,
  timeZone: TimeZone = 'browser',
): Array<{ atMs: number; label: string }> {
  const span = endMs - startMs;
  if (!(span > 0) || maxTicks < 1) {
    return [];
  }
  const at = (ms: number) => dateTimeForTimeZone(timeZone, ms);
  const later = (ms: number, n: number, unit: 'days' | 'months') => at(ms).add(n, unit).valueOf();
  const step = TICK_STEPS.find((s) => span / s <= maxTicks);
  const ticks: Array<{ atMs: number; label: string }> = [];
  if (step !== undefined && step < DAY) {
    const base = at(startMs).startOf('day').valueOf();
    let lastDay = '';
    for (let t = base + Math.ceil((startMs - base) / step) * step; t <= endMs; t += step) {
      const d = at(t);
      const day = d.format('MMM D');
      const time = d.format('HH:mm');
      ticks.push({ atMs: t, label: day !== lastDay ? `${day} ${time}` : time });
      lastDay = day;
    }
    return ticks;
  }
  if (step !== undefined) {
    const days = step / DAY;
    let t = at(startMs).startOf('day').valueOf();
    if (t < startMs) {
      t = later(t, 1, 'days');
    }
    if (days === 7 || days === 14) {
      // Weeks start on Monday (ISO weekday 1).
      t = later(t, (8 - Number(at(t).isoWeekday())) % 7, 'days');
    }
    for (; t <= endMs; t = later(t, days, 'days')) {
      ticks.push({ atMs: t, label: at(t).format('MMM D') });
    }
    return ticks;
  }
  const months = MONTH_STEPS.find((m) => span / (m * 30 * DAY) <= maxTicks) ?? Math.ceil(span / (30 * DAY) / maxTicks);
  let t = at(startMs).startOf('month').valueOf();
  if (t < startMs) {
    t = later(t, 1, 'months');
  }
  // Multi-month steps start on a month that divides evenly (Jan, Mar, May, ... for 2 months).
  while (months <= 12 && (Number(at(t).format('M')) - 1) % months !== 0) {
    t = later(t, 1, 'months');
  }
  for (; t <= endMs; t = later(t, months, 'months')) {
    ticks.push({ atMs: t, label: at(t).format('MMM YYYY') });
  }
  return ticks;
}

/**
 * The lanes shown: every lane, except the review and CI lanes of a patch set that is not expanded.
 * `parentOf` maps every child lane to its patch set lane (undefined for lanes that are not children).
 */
export function visibleLanes(
  lanes: readonly TimelineLane[],
  expanded: ReadonlySet<number>,
): { shown: TimelineLane[]; parentOf: Map<string, string>; children: Map<string, number> } {
  const ordered = orderLanes(lanes);
  const patchSetLane = new Map<number, string>();
  for (const lane of ordered) {
    if (lane.kind === 'patchset' && lane.patchSet !== undefined) {
      patchSetLane.set(lane.patchSet, lane.id);
    }
  }
  const parentOf = new Map<string, string>();
  const children = new Map<string, number>();
  const shown: TimelineLane[] = [];
  for (const lane of ordered) {
    const parent =
      (lane.kind === 'review' || lane.kind === 'ci') && lane.patchSet !== undefined
        ? patchSetLane.get(lane.patchSet)
        : undefined;
    if (parent !== undefined) {
      parentOf.set(lane.id, parent);
      children.set(parent, (children.get(parent) ?? 0) + 1);
    }
    if (parent === undefined || expanded.has(lane.patchSet ?? NaN)) {
      shown.push(lane);
    }
  }
  return { shown, parentOf, children };
}

/**
 * Groups markers (sorted by x) that are closer than `gapPx` to the previous one, so that no marker
 * covers another: each group is drawn once, at the middle of its first and last member.
 */
export function clusterMarkers<T extends { x: number }>(sorted: readonly T[], gapPx: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  for (const m of sorted) {
    const last = current[current.length - 1];
    if (last !== undefined && m.x - last.x >= gapPx) {
      groups.push(current);
      current = [];
    }
    current.push(m);
  }
  if (current.length > 0) {
    groups.push(current);
  }
  return groups;
}

/** Lays out a whole timeline for a plot `width` px wide. */
export function layoutTimeline(timeline: ChangeTimeline, opts: TimelineLayoutOptions): TimelineLayout {
  const laneHeight = opts.laneHeight ?? 28;
  const plotTop = opts.axisHeight ?? 24;
  const padding = opts.padding ?? 8;
  const width = Math.max(2 * padding + 10, opts.width);
  const fullDomain = timelineDomain(timeline, opts.nowMs);
  const domain = opts.view ?? fullDomain;
  const x = timeScale(domain, padding, width - padding);
  // Off-plot coordinates are cut just outside the plot, so a zoomed bar never gets a huge rectangle.
  const clipX = (px: number) => Math.min(Math.max(px, -4), width + 4);
  const inView = (fromMs: number, toMs: number) => toMs >= domain.startMs && fromMs <= domain.endMs;
  const { shown, parentOf, children } = visibleLanes(timeline.lanes, opts.expanded ?? new Set());
  const laneY = new Map<string, number>();

  const laneLayouts: LaneLayout[] = shown.map((lane, i) => {
    const y = plotTop + i * laneHeight;
    laneY.set(lane.id, y);
    const barHeight = lane.kind === 'change' ? Math.round(laneHeight * 0.3) : Math.round(laneHeight * 0.5);
    const bars: BarLayout[] = [];
    lane.bars.forEach((bar, index) => {
      const endMs = drawnEnd(bar, opts.nowMs);
      if (!inView(bar.startMs, endMs)) {
        return;
      }
      const x0 = clipX(x(bar.startMs));
      bars.push({
        index,
        x: x0,
        width: Math.max(2, clipX(x(endMs)) - x0),
        y: y + (laneHeight - barHeight) / 2,
        height: barHeight,
        startMs: bar.startMs,
        endMs,
        open: bar.open,
        tone: barTone(lane.kind, bar),
        tooltip: barTooltip(lane, bar, opts.nowMs, opts.timeZone),
      });
    });
    return {
      id: lane.id,
      kind: lane.kind,
      label: lane.label,
      who: lane.who,
      patchSet: lane.patchSet,
      y,
      height: laneHeight,
      bars,
      childLanes: children.get(lane.id) ?? 0,
      expanded: lane.patchSet !== undefined && (opts.expanded?.has(lane.patchSet) ?? false),
    };
  });

  const changeLane = laneLayouts.find((l) => l.kind === 'change');
  const fallbackY = changeLane?.y ?? plotTop;
  // A marker is drawn on its lane, or on its patch set's lane while that is collapsed.
  const drawnOn = (laneId: string): string => {
    if (laneY.has(laneId)) {
      return laneId;
    }
    const parent = parentOf.get(laneId);
    return parent !== undefined && laneY.has(parent) ? parent : (changeLane?.id ?? laneId);
  };

  const byLane = new Map<string, MarkerLayout[]>();
  const place = (m: Omit<MarkerLayout, 'x'>) => {
    if (!inView(m.atMs, m.atMs)) {
      return;
    }
    const on = drawnOn(m.laneId);
    const list = byLane.get(on) ?? [];
    list.push({ ...m, x: x(m.atMs) });
    byLane.set(on, list);
  };
  timeline.markers.forEach((m, index) =>
    place({
      id: String(index),
      laneId: m.laneId,
      kind: m.kind,
      atMs: m.atMs,
      style: markerStyle(m),
      tooltip: markerTooltip(m, opts.timeZone),
    }),
  );
  // A collapsed patch set shows its CI runs' results as markers (their lanes are hidden).
  for (const lane of timeline.lanes) {
    if (lane.kind === 'ci' && !laneY.has(lane.id)) {
      lane.bars.forEach((bar, i) => place(ciResultMarker(lane, bar, i, opts.nowMs, opts.timeZone)));
    }
  }
  const gap = opts.markerGapPx ?? 12;
  const markers: MarkerGroupLayout[] = [];
  for (const [laneId, list] of byLane) {
    list.sort((a, b) => a.x - b.x || a.id.localeCompare(b.id));
    const y = (laneY.get(laneId) ?? fallbackY) + laneHeight / 2;
    for (const members of clusterMarkers(list, gap)) {
      const first = members[0];
      const last = members[members.length - 1];
      markers.push({ key: first.id, laneId, x: (first.x + last.x) / 2, y, members });
    }
  }

  const waiting: WaitingLayout[] = timeline.waiting
    .filter((w) => w.endMs > w.startMs && inView(w.startMs, w.endMs))
    .map((w, index) => {
      const x0 = clipX(x(w.startMs));
      return {
        index,
        on: w.on,
        x: x0,
        width: Math.max(1, clipX(x(w.endMs)) - x0),
        y: fallbackY,
        height: laneHeight,
        startMs: w.startMs,
        endMs: w.endMs,
        tooltip: waitingTooltip(w, opts.timeZone),
      };
    });

  const maxTicks = opts.maxTicks ?? Math.max(2, Math.floor(width / 110));
  const ticks = timeTicks(domain.startMs, domain.endMs, maxTicks, opts.timeZone).map((t): TickLayout => {
    const tx = x(t.atMs);
    // About 7 px per character at the axis font size.
    return { ...t, x: tx, anchor: tx + 7 * t.label.length + 4 > width ? 'end' : 'start' };
  });
  const nowX = opts.nowMs >= domain.startMs && opts.nowMs <= domain.endMs ? x(opts.nowMs) : undefined;

  return {
    width,
    height: plotTop + Math.max(1, laneLayouts.length) * laneHeight,
    plotTop,
    laneHeight,
    domain,
    fullDomain,
    lanes: laneLayouts,
    markers,
    waiting,
    ticks,
    nowX,
  };
}

/** The hover text of a marker group: each member's lines, at most `maxMembers` of them. */
export function markerGroupTooltip(members: readonly MarkerLayout[], maxMembers = 12): string[] {
  if (members.length === 1) {
    return members[0].tooltip;
  }
  const lines = [`${members.length} events (click to zoom in)`];
  for (const m of members.slice(0, maxMembers)) {
    lines.push(`• ${m.tooltip.slice(0, 2).join(' · ')}`);
  }
  if (members.length > maxMembers) {
    lines.push(`… and ${members.length - maxMembers} more`);
  }
  return lines;
}

/** The overview strip: the change and each patch set as a thin row over the whole timeline. */
export function overviewRows(
  timeline: ChangeTimeline,
  opts: { width: number; height: number; nowMs: number },
): Array<{ key: string; x: number; y: number; width: number; height: number; tone: BarTone }> {
  const full = timelineDomain(timeline, opts.nowMs);
  const x = timeScale(full, 0, opts.width);
  const rows = orderLanes(timeline.lanes).filter((l) => l.kind === 'change' || l.kind === 'patchset');
  const rowHeight = opts.height / Math.max(1, rows.length);
  return rows.flatMap((lane, i) =>
    lane.bars.map((bar, j) => {
      const x0 = x(bar.startMs);
      return {
        key: `${lane.id}-${j}`,
        x: x0,
        y: i * rowHeight,
        width: Math.max(1, x(drawnEnd(bar, opts.nowMs)) - x0),
        height: Math.max(1, rowHeight - (rowHeight > 3 ? 1 : 0)),
        tone: barTone(lane.kind, bar),
      };
    }),
  );
}
