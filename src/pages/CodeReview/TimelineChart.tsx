import { useEffect, useMemo, useState, type ReactElement, type ReactNode } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Tooltip, useStyles2, useTheme2 } from '@grafana/ui';
import type { ChangeTimeline, WaitingOn } from '../../review-model/code-review-api.ts';
import { testIds } from '../../test-ids.ts';
import {
  LEGEND,
  layoutTimeline,
  type BarTone,
  type MarkerShape,
  type MarkerTone,
} from '../../view-model/timeline-layout.ts';

const LANE_HEIGHT = 28;
const AXIS_HEIGHT = 26;
const LABEL_WIDTH = 220;

interface Props {
  timeline: ChangeTimeline;
  /** Open bars are drawn up to this time. */
  nowMs: number;
}

/** Width of an element, following resizes. */
function useElementWidth(): [(node: HTMLDivElement | null) => void, number] {
  const [node, setNode] = useState<HTMLDivElement | null>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    if (!node) {
      return;
    }
    const observer = new ResizeObserver((entries) => {
      setWidth(Math.floor(entries[0]?.contentRect.width ?? 0));
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [node]);
  return [setNode, width];
}

export function barColors(theme: GrafanaTheme2): Record<BarTone, string> {
  const c = (name: string) => theme.visualization.getColorByName(name);
  return {
    change: theme.colors.primary.main,
    patchset: c('blue'),
    'review-pending': c('orange'),
    'review-voted': c('green'),
    'review-commented': c('purple'),
    'review-ended': theme.colors.text.disabled,
    'ci-running': c('yellow'),
    'ci-success': c('green'),
    'ci-failure': c('red'),
    error: theme.colors.error.main,
  };
}

export function markerColors(theme: GrafanaTheme2): Record<MarkerTone, string> {
  const c = (name: string) => theme.visualization.getColorByName(name);
  return { positive: c('green'), negative: c('red'), neutral: theme.colors.text.secondary, info: c('blue') };
}

export function waitingColors(theme: GrafanaTheme2): Record<WaitingOn, string> {
  const c = (name: string) => theme.visualization.getColorByName(name);
  return { author: c('blue'), reviewers: c('orange'), ci: c('purple') };
}

export function MarkerGlyph({
  shape,
  color,
  x,
  y,
  size = 5,
}: {
  shape: MarkerShape;
  color: string;
  x: number;
  y: number;
  size?: number;
}) {
  switch (shape) {
    case 'circle':
      return <circle cx={x} cy={y} r={size} fill={color} />;
    case 'square':
      return <rect x={x - size} y={y - size} width={2 * size} height={2 * size} rx={1} fill={color} />;
    case 'triangle':
      return (
        <polygon points={`${x},${y - size - 1} ${x + size + 1},${y + size} ${x - size - 1},${y + size}`} fill={color} />
      );
    case 'diamond':
      return (
        <polygon
          points={`${x},${y - size - 2} ${x + size + 2},${y} ${x},${y + size + 2} ${x - size - 2},${y}`}
          fill={color}
        />
      );
    default:
      return <rect x={x - 1} y={y - size - 2} width={2} height={2 * size + 4} fill={color} />;
  }
}

function Lines({ lines }: { lines: string[] }) {
  return (
    <div>
      {lines.map((line, i) => (
        <div key={i}>{line}</div>
      ))}
    </div>
  );
}

function Hover({ lines, children }: { lines: string[]; children: ReactElement }) {
  return (
    <Tooltip content={<Lines lines={lines} />} placement="top">
      {children}
    </Tooltip>
  );
}

/** The Gantt-like chart of a change: lane labels on the left, an SVG plot on the right. */
export function TimelineChart({ timeline, nowMs }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const [measure, width] = useElementWidth();
  const layout = useMemo(
    () =>
      layoutTimeline(timeline, {
        width: Math.max(width, 200),
        nowMs,
        laneHeight: LANE_HEIGHT,
        axisHeight: AXIS_HEIGHT,
      }),
    [timeline, nowMs, width],
  );
  const bars = barColors(theme);
  const markers = markerColors(theme);
  const waiting = waitingColors(theme);

  return (
    <div>
      <div className={styles.chart} data-testid={testIds.timeline.chart}>
        <div className={styles.labels} style={{ paddingTop: layout.plotTop, width: LABEL_WIDTH }}>
          {layout.lanes.map((lane) => (
            <div
              key={lane.id}
              className={lane.kind === 'change' || lane.kind === 'patchset' ? styles.laneLabelStrong : styles.laneLabel}
              style={{ height: LANE_HEIGHT, paddingLeft: lane.kind === 'review' || lane.kind === 'ci' ? 16 : 4 }}
              title={lane.who ? `${lane.label} (${lane.who})` : lane.label}
              data-testid={testIds.timeline.laneLabel(lane.id)}
            >
              {lane.label}
            </div>
          ))}
        </div>
        <div ref={measure} className={styles.plot}>
          {width > 0 && (
            <svg
              width={layout.width}
              height={layout.height}
              role="img"
              aria-label={`Timeline with ${layout.lanes.length} lanes`}
            >
              <defs>
                <pattern
                  id="reviewtrace-open-hatch"
                  width="6"
                  height="6"
                  patternUnits="userSpaceOnUse"
                  patternTransform="rotate(45)"
                >
                  <rect width="6" height="6" fill="white" fillOpacity={0.35} />
                  <line x1="0" y1="0" x2="0" y2="6" stroke="white" strokeWidth="2" strokeOpacity={0.6} />
                </pattern>
              </defs>
              {layout.ticks.map((tick) => (
                <g key={tick.atMs}>
                  <line
                    x1={tick.x}
                    x2={tick.x}
                    y1={AXIS_HEIGHT - 6}
                    y2={layout.height}
                    stroke={theme.colors.border.weak}
                  />
                  <text
                    x={tick.anchor === 'end' ? tick.x - 3 : tick.x + 3}
                    y={AXIS_HEIGHT - 10}
                    textAnchor={tick.anchor}
                    className={styles.tick}
                  >
                    {tick.label}
                  </text>
                </g>
              ))}
              {layout.lanes.map((lane, i) => (
                <g key={lane.id} data-testid={testIds.timeline.lane(lane.id)} data-kind={lane.kind}>
                  <rect
                    x={0}
                    y={lane.y}
                    width={layout.width}
                    height={lane.height}
                    fill={i % 2 === 0 ? theme.colors.background.secondary : 'transparent'}
                    fillOpacity={0.5}
                  />
                  {lane.kind === 'change' &&
                    layout.waiting.map((w) => (
                      <Hover key={`w${w.index}`} lines={[w.tooltip]}>
                        <rect
                          x={w.x}
                          y={w.y + 1}
                          width={w.width}
                          height={w.height - 2}
                          fill={waiting[w.on]}
                          fillOpacity={0.3}
                          data-testid={testIds.timeline.waiting(w.index)}
                          data-on={w.on}
                        />
                      </Hover>
                    ))}
                  {lane.bars.map((bar) => (
                    <Hover key={bar.index} lines={bar.tooltip}>
                      <g
                        data-testid={testIds.timeline.bar(lane.id, bar.index)}
                        data-open={bar.open}
                        data-tone={bar.tone}
                      >
                        <rect
                          x={bar.x}
                          y={bar.y}
                          width={bar.width}
                          height={bar.height}
                          rx={2}
                          fill={bars[bar.tone]}
                          fillOpacity={bar.open ? 0.55 : 0.9}
                          stroke={bar.open ? bars[bar.tone] : 'none'}
                          strokeDasharray={bar.open ? '4 3' : undefined}
                        />
                        {bar.open && (
                          <rect
                            x={bar.x}
                            y={bar.y}
                            width={bar.width}
                            height={bar.height}
                            rx={2}
                            fill="url(#reviewtrace-open-hatch)"
                          />
                        )}
                      </g>
                    </Hover>
                  ))}
                </g>
              ))}
              {layout.nowX !== undefined && (
                <line
                  x1={layout.nowX}
                  x2={layout.nowX}
                  y1={AXIS_HEIGHT - 6}
                  y2={layout.height}
                  stroke={theme.colors.text.secondary}
                  strokeDasharray="2 3"
                  data-testid={testIds.timeline.now}
                />
              )}
              {layout.markers.map((m) => (
                <Hover key={m.index} lines={m.tooltip}>
                  <g
                    data-testid={testIds.timeline.marker(m.index)}
                    data-kind={m.kind}
                    data-lane={m.laneId}
                    className={styles.marker}
                  >
                    <MarkerGlyph shape={m.shape} color={markers[m.tone]} x={m.x} y={m.y} />
                  </g>
                </Hover>
              ))}
            </svg>
          )}
        </div>
      </div>
      <Legend />
    </div>
  );
}

function Legend() {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const bars = barColors(theme);
  const markers = markerColors(theme);
  const waiting = waitingColors(theme);
  return (
    <div className={styles.legend} data-testid={testIds.timeline.legend}>
      {LEGEND.waiting.map((w) => (
        <LegendItem key={w.on} className={styles.legendItem} label={w.label}>
          <rect width={16} height={12} fill={waiting[w.on]} fillOpacity={0.3} />
        </LegendItem>
      ))}
      {LEGEND.bars.map((b) => (
        <LegendItem key={b.tone} className={styles.legendItem} label={b.label}>
          <rect y={2} width={16} height={8} rx={2} fill={bars[b.tone]} />
        </LegendItem>
      ))}
      <LegendItem className={styles.legendItem} label={LEGEND.openBar}>
        <rect
          x={0.5}
          y={2.5}
          width={15}
          height={7}
          rx={2}
          fill={bars.patchset}
          fillOpacity={0.55}
          stroke={bars.patchset}
          strokeDasharray="4 3"
        />
      </LegendItem>
      {LEGEND.markers.map((m) => (
        <LegendItem key={m.label} className={styles.legendItem} label={m.label} height={16}>
          <MarkerGlyph shape={m.shape} color={markers[m.tone]} x={8} y={8} size={4} />
        </LegendItem>
      ))}
    </div>
  );
}

/** One legend entry: a 16 px wide swatch and its label. */
function LegendItem({
  className,
  label,
  height = 12,
  children,
}: {
  className: string;
  label: string;
  height?: number;
  children: ReactNode;
}) {
  return (
    <span className={className}>
      <svg width={16} height={height} aria-hidden>
        {children}
      </svg>
      {label}
    </span>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  chart: css({ display: 'flex', alignItems: 'flex-start', width: '100%' }),
  labels: css({ flex: 'none', overflow: 'hidden' }),
  laneLabel: css({
    display: 'flex',
    alignItems: 'center',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
  laneLabelStrong: css({
    display: 'flex',
    alignItems: 'center',
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    fontSize: theme.typography.bodySmall.fontSize,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  plot: css({ flex: 1, minWidth: 0, overflow: 'hidden' }),
  tick: css({ fontSize: 11, fill: theme.colors.text.secondary }),
  marker: css({ cursor: 'default', '&:hover': { filter: 'brightness(1.3)' } }),
  legend: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5, 2),
    marginTop: theme.spacing(1),
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
  legendItem: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(0.5) }),
});
