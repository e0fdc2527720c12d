import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MIN_WINDOW_MS,
  brushFromWindow,
  clampWindow,
  isZoomed,
  panWindow,
  windowAround,
  windowFromBrush,
  zoomWindow,
} from './timeline-zoom.ts';

const H = 3_600_000;
const full = { startMs: 0, endMs: 100 * H };

describe('clampWindow', () => {
  it('keeps the width and moves a window that sticks out back inside', () => {
    assert.deepEqual(clampWindow({ startMs: -5 * H, endMs: 5 * H }, full), { startMs: 0, endMs: 10 * H });
    assert.deepEqual(clampWindow({ startMs: 95 * H, endMs: 105 * H }, full), { startMs: 90 * H, endMs: 100 * H });
  });
  it('is never wider than the domain nor narrower than the minimum', () => {
    assert.deepEqual(clampWindow({ startMs: -1, endMs: 200 * H }, full), full);
    assert.deepEqual(clampWindow({ startMs: H, endMs: H + 10 }, full), { startMs: H, endMs: H + MIN_WINDOW_MS });
  });
});

describe('zoomWindow', () => {
  it('halves the span around the middle by default', () => {
    assert.deepEqual(zoomWindow(full, full, 0.5), { startMs: 25 * H, endMs: 75 * H });
  });
  it('keeps the anchor where it was on screen', () => {
    const view = zoomWindow(full, full, 0.5, 20 * H);
    assert.deepEqual(view, { startMs: 10 * H, endMs: 60 * H });
    // 20 h was at 20 % of the plot and still is.
    assert.equal((20 * H - view.startMs) / (view.endMs - view.startMs), 0.2);
  });
  it('zooms out no further than the domain, and in no further than a minute', () => {
    assert.deepEqual(zoomWindow({ startMs: 10 * H, endMs: 20 * H }, full, 100), full);
    const tiny = zoomWindow({ startMs: H, endMs: H + 2 * MIN_WINDOW_MS }, full, 0.01);
    assert.equal(tiny.endMs - tiny.startMs, MIN_WINDOW_MS);
  });
});

describe('panWindow', () => {
  it('moves the window and stops at the edges', () => {
    const view = { startMs: 10 * H, endMs: 20 * H };
    assert.deepEqual(panWindow(view, full, 5 * H), { startMs: 15 * H, endMs: 25 * H });
    assert.deepEqual(panWindow(view, full, -50 * H), { startMs: 0, endMs: 10 * H });
  });
});

describe('brush ↔ window', () => {
  it('maps a brush in either direction onto the domain', () => {
    assert.deepEqual(windowFromBrush(full, 300, 100, 1000), { startMs: 10 * H, endMs: 30 * H });
    assert.deepEqual(windowFromBrush(full, -50, 2000, 1000), full);
  });
  it('widens a click (a brush of no width) to the minimum window around it', () => {
    const w = windowFromBrush(full, 500, 500, 1000);
    assert.equal(w.endMs - w.startMs, MIN_WINDOW_MS);
    assert.equal((w.startMs + w.endMs) / 2, 50 * H);
  });
  it('draws the window where it is on the overview', () => {
    assert.deepEqual(brushFromWindow(full, { startMs: 10 * H, endMs: 30 * H }, 1000), { x: 100, width: 200 });
  });
});

describe('isZoomed and windowAround', () => {
  it('says whether part of the domain is hidden', () => {
    assert.equal(isZoomed(full, full), false);
    assert.equal(isZoomed({ startMs: 0, endMs: 99 * H }, full), true);
  });
  it('frames a group of instants with half their span on each side', () => {
    assert.deepEqual(windowAround(full, 10 * H, 14 * H), { startMs: 8 * H, endMs: 16 * H });
    assert.deepEqual(windowAround(full, 50 * H, 50 * H), {
      startMs: 50 * H - MIN_WINDOW_MS,
      endMs: 50 * H + MIN_WINDOW_MS,
    });
  });
});
