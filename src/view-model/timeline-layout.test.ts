process.env.TZ = 'UTC';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeTimeline, TimelineLane } from '../review-model/code-review-api.ts';
import {
  barTone,
  ciResultMarker,
  clusterMarkers,
  drawnEnd,
  layoutTimeline,
  markerGroupTooltip,
  markerStyle,
  markerTooltip,
  orderLanes,
  overviewRows,
  timeScale,
  timeTicks,
  timelineDomain,
  visibleLanes,
  type MarkerLayout,
} from './timeline-layout.ts';

const H = 3_600_000;
const D = 24 * H;
const t0 = Date.UTC(2026, 10, 16, 9, 0); // Monday 09:00

const lane = (id: string, kind: TimelineLane['kind'], patchSet?: number, label = id): TimelineLane => ({
  id,
  kind,
  label,
  patchSet,
  bars: [],
});

const timeline: ChangeTimeline = {
  startMs: t0,
  endMs: t0 + 10 * H,
  lanes: [
    {
      ...lane('ci-2', 'ci', 2),
      bars: [{ startMs: t0 + 5 * H, endMs: t0 + 6 * H, open: false, outcome: 'failure', error: true }],
    },
    {
      ...lane('review-1-bob', 'review', 1, 'bob'),
      bars: [{ startMs: t0, endMs: t0 + 2 * H, open: false, outcome: 'voted' }],
    },
    { ...lane('ps-2', 'patchset', 2), bars: [{ startMs: t0 + 4 * H, endMs: t0 + 4 * H, open: true }] },
    { ...lane('ps-1', 'patchset', 1), bars: [{ startMs: t0, endMs: t0 + 4 * H, open: false }] },
    { ...lane('change', 'change'), bars: [{ startMs: t0, endMs: t0 + 10 * H, open: true }] },
    {
      ...lane('review-1-alice', 'review', 1, 'alice'),
      bars: [{ startMs: t0, endMs: t0 + 3 * H, open: false, outcome: 'commented' }],
    },
    lane('orphan', 'review'),
  ],
  markers: [
    { laneId: 'review-1-bob', atMs: t0 + 2 * H, kind: 'vote', who: 'bob', label: 'Code-Review', value: -1 },
    { laneId: 'nowhere', atMs: t0 + H, kind: 'comment', who: 'alice', text: 'Please rename' },
  ],
  waiting: [
    { startMs: t0, endMs: t0 + 2 * H, on: 'reviewers' },
    { startMs: t0 + 2 * H, endMs: t0 + 4 * H, on: 'author' },
    { startMs: t0 + 4 * H, endMs: t0 + 4 * H, on: 'ci' },
  ],
};

describe('orderLanes', () => {
  it('puts the change first, then each patch set with its reviews and CI, then lanes without a patch set', () => {
    assert.deepEqual(
      orderLanes(timeline.lanes).map((l) => l.id),
      ['change', 'ps-1', 'review-1-alice', 'review-1-bob', 'ps-2', 'ci-2', 'orphan'],
    );
  });
});

describe('time scale and domain', () => {
  it('maps the domain onto the plot linearly', () => {
    const x = timeScale({ startMs: 0, endMs: 1000 }, 10, 110);
    assert.equal(x(0), 10);
    assert.equal(x(500), 60);
    assert.equal(x(1000), 110);
  });

  it('draws open bars to now', () => {
    assert.equal(drawnEnd({ startMs: 0, endMs: 10, open: true }, 100), 100);
    assert.equal(drawnEnd({ startMs: 0, endMs: 10, open: false }, 100), 10);
    assert.equal(drawnEnd({ startMs: 50, endMs: 10, open: false }, 100), 50);
  });

  it('extends the domain to now for open bars and to at least a minute', () => {
    assert.deepEqual(timelineDomain(timeline, t0 + 12 * H), { startMs: t0, endMs: t0 + 12 * H });
    const empty: ChangeTimeline = { startMs: t0, endMs: t0, lanes: [], markers: [], waiting: [] };
    assert.deepEqual(timelineDomain(empty, t0), { startMs: t0, endMs: t0 + 60_000 });
  });
});

describe('tones and shapes', () => {
  it('colours bars by lane kind and outcome', () => {
    assert.equal(barTone('review', { open: false, outcome: 'voted' }), 'review-voted');
    assert.equal(barTone('review', { open: false, outcome: 'commented' }), 'review-commented');
    assert.equal(barTone('review', { open: true }), 'review-pending');
    assert.equal(barTone('review', { open: false, outcome: 'superseded' }), 'review-ended');
    assert.equal(barTone('ci', { open: false, outcome: 'success' }), 'ci-success');
    assert.equal(barTone('ci', { open: false, error: true }), 'ci-failure');
    assert.equal(barTone('ci', { open: true, outcome: 'running' }), 'ci-running');
    assert.equal(barTone('change', { open: false, error: true }), 'error');
  });

  it('gives markers a look by kind, votes by sign', () => {
    assert.equal(markerStyle({ kind: 'vote', value: 2 }), 'vote-positive');
    assert.equal(markerStyle({ kind: 'vote', value: -2 }), 'vote-negative');
    assert.equal(markerStyle({ kind: 'vote', value: 1, error: true }), 'vote-negative');
    assert.equal(markerStyle({ kind: 'vote', value: 0 }), 'vote-zero');
    assert.equal(markerStyle({ kind: 'comment' }), 'comment');
    assert.equal(markerStyle({ kind: 'reviewer.removed' }), 'reviewer');
    assert.equal(markerStyle({ kind: 'submit' }), 'submit');
    assert.equal(markerStyle({ kind: 'delete' }), 'abandon');
    assert.equal(markerStyle({ kind: 'topic' }), 'other');
  });

  it('turns a CI run into a result marker at its end, or at its start while it runs', () => {
    const ci = timeline.lanes[0];
    const failed = ciResultMarker(ci, ci.bars[0], 0, t0 + 12 * H);
    assert.deepEqual([failed.id, failed.atMs, failed.style, failed.kind], ['ci-ci-2-0', t0 + 6 * H, 'ci-failed', 'ci']);
    const passed = { startMs: t0, endMs: t0 + H, open: false, outcome: 'success' };
    assert.deepEqual(
      [ciResultMarker(ci, passed, 1, 0).atMs, ciResultMarker(ci, passed, 1, 0).style],
      [t0 + H, 'ci-passed'],
    );
    const running = { startMs: t0, endMs: t0, open: true };
    assert.deepEqual(
      [ciResultMarker(ci, running, 2, 0).atMs, ciResultMarker(ci, running, 2, 0).style],
      [t0, 'ci-running'],
    );
  });

  it('writes marker hover text', () => {
    assert.deepEqual(markerTooltip(timeline.markers[0]), ['Vote Code-Review -1 by bob', '2026-11-16 11:00']);
    assert.deepEqual(markerTooltip(timeline.markers[1]), ['Comment by alice', '2026-11-16 10:00', 'Please rename']);
  });
});

describe('timeTicks', () => {
  it('picks round sub-day steps and dates the first tick and day changes', () => {
    const ticks = timeTicks(t0 + 20 * 60_000, t0 + 16 * H, 8);
    assert.deepEqual(
      ticks.map((t) => t.label),
      ['Nov 16 10:00', '12:00', '14:00', '16:00', '18:00', '20:00', '22:00', 'Nov 17 00:00'],
    );
  });
  it('uses days, weeks and months for long spans', () => {
    assert.deepEqual(
      timeTicks(t0, t0 + 3 * D, 5).map((t) => t.label),
      ['Nov 17', 'Nov 18', 'Nov 19'],
    );
    assert.deepEqual(
      timeTicks(t0, t0 + 30 * D, 5).map((t) => t.label),
      ['Nov 23', 'Nov 30', 'Dec 7', 'Dec 14'],
    );
    assert.deepEqual(
      timeTicks(Date.UTC(2026, 0, 15), Date.UTC(2026, 11, 31), 6).map((t) => t.label),
      ['Mar 2026', 'May 2026', 'Jul 2026', 'Sep 2026', 'Nov 2026'],
    );
  });
  it('puts round times where the user is', () => {
    // Kolkata is UTC+5:30: its midnights are at 18:30 UTC, its 12:00 at 06:30 UTC.
    const days = timeTicks(t0, t0 + 3 * D, 5, 'Asia/Kolkata');
    assert.deepEqual(
      days.map((t) => [t.label, new Date(t.atMs).toISOString()]),
      [
        ['Nov 17', '2026-11-16T18:30:00.000Z'],
        ['Nov 18', '2026-11-17T18:30:00.000Z'],
        ['Nov 19', '2026-11-18T18:30:00.000Z'],
      ],
    );
    const hours = timeTicks(t0, t0 + 4 * H, 2, 'Asia/Kolkata');
    assert.deepEqual(
      hours.map((t) => t.label),
      ['Nov 16 16:00', '18:00'],
    );
    assert.equal(new Date(hours[0].atMs).toISOString(), '2026-11-16T10:30:00.000Z');
  });
  it('never exceeds maxTicks and handles empty spans', () => {
    for (const span of [5 * 60_000, 7 * H, 3 * D, 40 * D, 400 * D]) {
      for (const max of [2, 5, 10]) {
        assert.ok(timeTicks(t0, t0 + span, max).length <= max + 1, `${span} ${max}`);
      }
    }
    assert.deepEqual(timeTicks(t0, t0, 5), []);
  });
});

describe('visibleLanes', () => {
  it('hides review and CI lanes under their patch set unless it is expanded', () => {
    const collapsed = visibleLanes(timeline.lanes, new Set());
    assert.deepEqual(
      collapsed.shown.map((l) => l.id),
      ['change', 'ps-1', 'ps-2', 'orphan'],
    );
    assert.deepEqual(
      [...collapsed.children],
      [
        ['ps-1', 2],
        ['ps-2', 1],
      ],
    );
    assert.equal(collapsed.parentOf.get('review-1-bob'), 'ps-1');
    assert.equal(collapsed.parentOf.get('orphan'), undefined);
    assert.deepEqual(
      visibleLanes(timeline.lanes, new Set([2])).shown.map((l) => l.id),
      ['change', 'ps-1', 'ps-2', 'ci-2', 'orphan'],
    );
  });
});

describe('clusterMarkers', () => {
  const at = (...xs: number[]) => xs.map((x) => ({ x }));
  it('groups markers closer than the gap to the previous one, and keeps the others apart', () => {
    assert.deepEqual(
      clusterMarkers(at(0, 5, 11, 30, 41.9, 60), 12).map((g) => g.map((m) => m.x)),
      [[0, 5, 11], [30, 41.9], [60]],
    );
    assert.deepEqual(
      clusterMarkers(at(0, 12, 24), 12).map((g) => g.length),
      [1, 1, 1],
    );
    assert.deepEqual(clusterMarkers([], 12), []);
  });
});

describe('markerGroupTooltip', () => {
  const member = (i: number): MarkerLayout => ({
    id: String(i),
    laneId: 'l',
    kind: 'comment',
    x: 0,
    atMs: 0,
    style: 'comment',
    tooltip: [`Comment by u${i}`, `2026-11-16 1${i}:00`, 'long text'],
  });
  it('is the member’s own text for one marker, and a line per member for a group', () => {
    assert.deepEqual(markerGroupTooltip([member(1)]), member(1).tooltip);
    assert.deepEqual(markerGroupTooltip([member(1), member(2)]), [
      '2 events (click to zoom in)',
      '• Comment by u1 · 2026-11-16 11:00',
      '• Comment by u2 · 2026-11-16 12:00',
    ]);
    const many = markerGroupTooltip([1, 2, 3, 4].map(member), 2);
    assert.equal(many.length, 4);
    assert.equal(many[3], '… and 2 more');
  });
});

describe('layoutTimeline', () => {
  const now = t0 + 12 * H;
  const layout = layoutTimeline(timeline, {
    width: 1208,
    nowMs: now,
    laneHeight: 20,
    axisHeight: 30,
    padding: 4,
    expanded: new Set([1, 2]),
  });

  it('stacks the lanes below the axis in order', () => {
    assert.deepEqual(
      layout.lanes.map((l) => [l.id, l.y]),
      [
        ['change', 30],
        ['ps-1', 50],
        ['review-1-alice', 70],
        ['review-1-bob', 90],
        ['ps-2', 110],
        ['ci-2', 130],
        ['orphan', 150],
      ],
    );
    assert.equal(layout.height, 30 + 7 * 20);
  });

  it('places bars on the time scale (100 px per hour here) with a minimum width', () => {
    const ps1 = layout.lanes[1].bars[0];
    assert.equal(ps1.x, 4);
    assert.equal(ps1.width, 400);
    assert.equal(ps1.tone, 'patchset');
    const ps2 = layout.lanes[4].bars[0];
    assert.equal(ps2.open, true);
    assert.equal(ps2.endMs, now);
    assert.equal(ps2.x + ps2.width, 1204);
    assert.equal(layout.nowX, 1204);
  });

  it('puts markers on their lane centres, unknown lanes on the change lane', () => {
    const comment = layout.markers.find((g) => g.key === '1');
    const vote = layout.markers.find((g) => g.key === '0');
    assert.equal(comment?.members[0].kind, 'comment');
    assert.deepEqual([comment?.laneId, comment?.y, comment?.x], ['change', 40, 104]);
    assert.deepEqual([vote?.laneId, vote?.y, vote?.members[0].style], ['review-1-bob', 100, 'vote-negative']);
    // Expanded, the CI run is a bar on its own lane, not a marker.
    assert.equal(layout.markers.length, 2);
  });

  it('draws one lane per patch set by default, with its children’s markers and CI results on it', () => {
    const collapsed = layoutTimeline(timeline, { width: 1208, nowMs: now, laneHeight: 20, axisHeight: 30, padding: 4 });
    assert.deepEqual(
      collapsed.lanes.map((l) => [l.id, l.y, l.childLanes, l.expanded]),
      [
        ['change', 30, 0, false],
        ['ps-1', 50, 2, false],
        ['ps-2', 70, 1, false],
        ['orphan', 90, 0, false],
      ],
    );
    const vote = collapsed.markers.find((g) => g.key === '0');
    assert.deepEqual([vote?.laneId, vote?.y, vote?.members[0].laneId], ['ps-1', 60, 'review-1-bob']);
    const ci = collapsed.markers.find((g) => g.key === 'ci-ci-2-0');
    assert.deepEqual([ci?.laneId, ci?.x, ci?.members[0].style], ['ps-2', 604, 'ci-failed']);
  });

  it('groups markers that would overlap on a lane, so each one’s hover stays reachable', () => {
    const crowded: ChangeTimeline = {
      ...timeline,
      markers: [
        { laneId: 'review-1-bob', atMs: t0 + 2 * H, kind: 'vote', who: 'bob', value: -1 },
        { laneId: 'review-1-alice', atMs: t0 + 2 * H + 3 * 60_000, kind: 'comment', who: 'alice' },
        { laneId: 'ps-1', atMs: t0 + 3 * H, kind: 'comment', who: 'carol' },
      ],
    };
    const opts = { width: 1208, nowMs: now, laneHeight: 20, axisHeight: 30, padding: 4 };
    // 100 px per hour: the first two are 5 px apart (one group), the third 95 px further (alone).
    const groups = layoutTimeline(crowded, opts).markers.filter((g) => g.laneId === 'ps-1');
    assert.deepEqual(
      groups.map((g) => [g.members.map((m) => m.id), g.x]),
      [
        [['0', '1'], 206.5],
        [['2'], 304],
      ],
    );
    // Zoomed in to that moment, the group comes apart.
    const zoomed = layoutTimeline(crowded, {
      ...opts,
      view: { startMs: t0 + 2 * H - 10 * 60_000, endMs: t0 + 2 * H + 10 * 60_000 },
    });
    assert.deepEqual(
      zoomed.markers.filter((g) => g.laneId === 'ps-1').map((g) => g.members.length),
      [1, 1],
    );
  });

  it('shows only the zoom window: bars cut at the plot’s edges, markers and ticks inside it', () => {
    const view = { startMs: t0 + 3 * H, endMs: t0 + 5 * H };
    const zoomed = layoutTimeline(timeline, {
      width: 1208,
      nowMs: now,
      laneHeight: 20,
      axisHeight: 30,
      padding: 4,
      view,
    });
    assert.deepEqual(zoomed.domain, view);
    assert.deepEqual(zoomed.fullDomain, { startMs: t0, endMs: now });
    // PS1 ends at 4 h (half way): cut at the left edge, 600 px per hour here.
    const ps1 = zoomed.lanes.find((l) => l.id === 'ps-1')?.bars[0];
    assert.deepEqual([ps1?.x, ps1?.width], [-4, 608]);
    assert.equal(zoomed.markers.filter((g) => g.key === '0').length, 0, 'the vote at 2 h is outside');
    assert.ok(zoomed.ticks.every((t) => t.atMs >= view.startMs && t.atMs <= view.endMs));
    assert.equal(zoomed.nowX, undefined);
  });

  it('shades waiting segments along the change lane and drops empty ones', () => {
    assert.deepEqual(
      layout.waiting.map((w) => [w.on, w.x, w.width, w.y, w.height]),
      [
        ['reviewers', 4, 200, 30, 20],
        ['author', 204, 200, 30, 20],
      ],
    );
    assert.match(layout.waiting[0].tooltip, /^Waiting on reviewers for 2h/);
  });

  it('places ticks inside the plot', () => {
    assert.ok(layout.ticks.length > 2);
    for (const t of layout.ticks) {
      assert.ok(t.x >= 4 && t.x <= 1204);
    }
    const last = layout.ticks[layout.ticks.length - 1];
    assert.equal(layout.ticks[0].anchor, 'start');
    assert.equal(last.anchor, last.x + 7 * last.label.length + 4 > 1208 ? 'end' : 'start');
  });
});

describe('overviewRows', () => {
  it('draws the change and each patch set as a row across the whole timeline', () => {
    const rows = overviewRows(timeline, { width: 120, height: 30, nowMs: t0 + 12 * H });
    assert.deepEqual(
      rows.map((r) => [r.key, r.x, r.y, r.width, r.tone]),
      [
        ['change-0', 0, 0, 120, 'change'],
        ['ps-1-0', 0, 10, 40, 'patchset'],
        ['ps-2-0', 40, 20, 80, 'patchset'],
      ],
    );
  });
});
