// Zoom and pan of the timeline's time axis: the window ("view") shown of the whole domain, moved by
// buttons, the wheel and a brush on the overview strip. Pure math on epoch-ms intervals.

export interface TimeWindow {
  startMs: number;
  endMs: number;
}

/** Never zoom in further than one minute across the plot: below that the ticks have nothing to say. */
export const MIN_WINDOW_MS = 60_000;

/** The view kept inside the full domain, at least `minSpanMs` wide (or the whole domain if narrower). */
export function clampWindow(view: TimeWindow, full: TimeWindow, minSpanMs = MIN_WINDOW_MS): TimeWindow {
  const fullSpan = full.endMs - full.startMs;
  const span = Math.min(fullSpan, Math.max(minSpanMs, view.endMs - view.startMs));
  const start = Math.min(Math.max(view.startMs, full.startMs), full.endMs - span);
  return { startMs: start, endMs: start + span };
}

/**
 * Zooms by `factor` (< 1 in, > 1 out) around `anchorMs`, which stays where it is on screen (the
 * pointer under the wheel, or the middle for the buttons).
 */
export function zoomWindow(
  view: TimeWindow,
  full: TimeWindow,
  factor: number,
  anchorMs = (view.startMs + view.endMs) / 2,
): TimeWindow {
  const anchor = Math.min(Math.max(anchorMs, view.startMs), view.endMs);
  const span = view.endMs - view.startMs;
  const share = span > 0 ? (anchor - view.startMs) / span : 0.5;
  const next = Math.max(MIN_WINDOW_MS, span * factor);
  return clampWindow({ startMs: anchor - share * next, endMs: anchor - share * next + next }, full);
}

/** Moves the view by `deltaMs` (the width stays, the edges stop at the domain's). */
export function panWindow(view: TimeWindow, full: TimeWindow, deltaMs: number): TimeWindow {
  return clampWindow({ startMs: view.startMs + deltaMs, endMs: view.endMs + deltaMs }, full);
}

/** The window a brush from `x0` to `x1` px (either order) selects on an overview `widthPx` wide. */
export function windowFromBrush(full: TimeWindow, x0: number, x1: number, widthPx: number): TimeWindow {
  const toMs = (x: number) =>
    full.startMs + (Math.min(Math.max(x, 0), widthPx) / Math.max(1, widthPx)) * (full.endMs - full.startMs);
  const a = toMs(Math.min(x0, x1));
  const b = toMs(Math.max(x0, x1));
  // A brush narrower than the minimum grows around its middle.
  const mid = (a + b) / 2;
  return b - a >= MIN_WINDOW_MS
    ? clampWindow({ startMs: a, endMs: b }, full)
    : zoomWindow({ startMs: mid, endMs: mid }, full, 1, mid);
}

/** Where the view sits on an overview `widthPx` wide, in px. */
export function brushFromWindow(full: TimeWindow, view: TimeWindow, widthPx: number): { x: number; width: number } {
  const k = widthPx / Math.max(1, full.endMs - full.startMs);
  const x = (view.startMs - full.startMs) * k;
  return { x, width: Math.max(1, (view.endMs - view.startMs) * k) };
}

/** True when the view shows less than the whole domain. */
export function isZoomed(view: TimeWindow, full: TimeWindow): boolean {
  return view.startMs > full.startMs || view.endMs < full.endMs;
}

/** The window to show a group of instants apart: their span, padded by half of it each side (at least a minute). */
export function windowAround(full: TimeWindow, fromMs: number, toMs: number): TimeWindow {
  const pad = Math.max(MIN_WINDOW_MS, (toMs - fromMs) / 2);
  return clampWindow({ startMs: fromMs - pad, endMs: toMs + pad }, full);
}
