import { useMemo, useRef, useState, type PointerEvent } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import type { ChangeTimeline } from '../../review-model/code-review-api.ts';
import { testIds } from '../../test-ids.ts';
import { overviewRows } from '../../view-model/timeline-layout.ts';
import { BAR_STYLE } from '../../view-model/timeline-palette.ts';
import {
  brushFromWindow,
  isZoomed,
  panWindow,
  windowFromBrush,
  type TimeWindow,
} from '../../view-model/timeline-zoom.ts';
import { paletteColor } from './TimelineGlyphs.tsx';

const HEIGHT = 36;

interface Props {
  timeline: ChangeTimeline;
  nowMs: number;
  width: number;
  full: TimeWindow;
  view: TimeWindow;
  onView: (view: TimeWindow) => void;
}

/** A drag in progress: drawing a new window from `x0`, or moving the window grabbed at `x0`. */
type Drag = { mode: 'brush'; x0: number; x1: number } | { mode: 'pan'; x0: number; from: TimeWindow };

/**
 * The whole change in miniature with the zoom window on it: drag across it to choose a window,
 * drag the window to pan. (Grafana has no brush component; d3-brush is not shared by every host.)
 */
export function TimelineOverview({ timeline, nowMs, width, full, view, onView }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const svg = useRef<SVGSVGElement>(null);
  const [drag, setDrag] = useState<Drag | undefined>();
  const rows = useMemo(() => overviewRows(timeline, { width, height: HEIGHT, nowMs }), [timeline, width, nowMs]);
  const brush =
    drag?.mode === 'brush'
      ? { x: Math.min(drag.x0, drag.x1), width: Math.abs(drag.x1 - drag.x0) }
      : brushFromWindow(full, view, width);

  const xOf = (e: PointerEvent) => e.clientX - (svg.current?.getBoundingClientRect().left ?? 0);
  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    const x = xOf(e);
    e.currentTarget.setPointerCapture(e.pointerId);
    // Inside a window narrower than the strip a drag pans it; anywhere else (or unzoomed) it draws a new one.
    const inWindow = isZoomed(view, full) && x >= brush.x && x <= brush.x + brush.width;
    setDrag(inWindow ? { mode: 'pan', x0: x, from: view } : { mode: 'brush', x0: x, x1: x });
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (drag?.mode === 'brush') {
      setDrag({ ...drag, x1: xOf(e) });
    } else if (drag?.mode === 'pan') {
      onView(panWindow(drag.from, full, ((xOf(e) - drag.x0) / Math.max(1, width)) * (full.endMs - full.startMs)));
    }
  };
  const onPointerUp = (e: PointerEvent<SVGSVGElement>) => {
    if (drag?.mode === 'brush') {
      onView(windowFromBrush(full, drag.x0, xOf(e), width));
    }
    setDrag(undefined);
  };

  return (
    <svg
      ref={svg}
      width={width}
      height={HEIGHT}
      className={styles.overview}
      data-testid={testIds.timeline.overview}
      aria-label="Overview of the whole change: drag to choose the time window, drag the window to move it"
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => setDrag(undefined)}
    >
      {rows.map((r) => (
        <rect
          key={r.key}
          x={r.x}
          y={r.y}
          width={r.width}
          height={r.height}
          fill={paletteColor(theme, BAR_STYLE[r.tone].color)}
        />
      ))}
      <rect
        x={brush.x}
        y={0.5}
        width={brush.width}
        height={HEIGHT - 1}
        className={styles.brush}
        data-testid={testIds.timeline.brush}
      />
    </svg>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  overview: css({
    display: 'block',
    cursor: 'crosshair',
    touchAction: 'none',
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
  brush: css({
    fill: theme.colors.primary.transparent,
    stroke: theme.colors.primary.border,
    strokeWidth: 1.5,
    cursor: 'grab',
  }),
});
