process.env.TZ = 'UTC';

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeTimeline, TimelineLane } from '../review-model/code-review-api.ts';
import {
  barTone,
  drawnEnd,
  layoutTimeline,
  markerStyle,
  markerTooltip,
  orderLanes,
  timeScale,
  timeTicks,
  timelineDomain,
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

  it('shapes markers by kind and colours votes by sign', () => {
    assert.deepEqual(markerStyle({ kind: 'vote', value: 2 }), { shape: 'circle', tone: 'positive' });
    assert.deepEqual(markerStyle({ kind: 'vote', value: -2 }), { shape: 'circle', tone: 'negative' });
    assert.deepEqual(markerStyle({ kind: 'vote', value: 0 }), { shape: 'circle', tone: 'neutral' });
    assert.deepEqual(markerStyle({ kind: 'comment' }), { shape: 'square', tone: 'info' });
    assert.deepEqual(markerStyle({ kind: 'submit' }), { shape: 'diamond', tone: 'positive' });
    assert.deepEqual(markerStyle({ kind: 'topic' }), { shape: 'tick', tone: 'neutral' });
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
  it('never exceeds maxTicks and handles empty spans', () => {
    for (const span of [5 * 60_000, 7 * H, 3 * D, 40 * D, 400 * D]) {
      for (const max of [2, 5, 10]) {
        assert.ok(timeTicks(t0, t0 + span, max).length <= max + 1, `${span} ${max}`);
      }
    }
    assert.deepEqual(timeTicks(t0, t0, 5), []);
  });
});

describe('layoutTimeline', () => {
  const now = t0 + 12 * H;
  const layout = layoutTimeline(timeline, { width: 1208, nowMs: now, laneHeight: 20, axisHeight: 30, padding: 4 });

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
    const [comment, vote] = layout.markers;
    assert.equal(comment.kind, 'comment');
    assert.equal(comment.laneId, 'change');
    assert.equal(comment.y, 40);
    assert.equal(comment.x, 104);
    assert.equal(vote.y, 100);
    assert.equal(vote.tone, 'negative');
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
