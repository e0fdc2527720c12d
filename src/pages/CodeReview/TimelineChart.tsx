import {
  useCallback,
  useEffect,
  useMemo,
  useState,
  type KeyboardEvent,
  type ReactElement,
  type ReactNode,
} from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { Button, ButtonGroup, IconButton, Tooltip, useStyles2, useTheme2 } from '@grafana/ui';
import type { ChangeTimeline } from '../../review-model/code-review-api.ts';
import { testIds } from '../../test-ids.ts';
import {
  layoutTimeline,
  markerGroupTooltip,
  timelineDomain,
  type LaneLayout,
  type MarkerGroupLayout,
} from '../../view-model/timeline-layout.ts';
import { BAR_STYLE, LEGEND, MARKER_STYLE, WAITING_STYLE } from '../../view-model/timeline-palette.ts';
import { isZoomed, windowAround, zoomWindow, type TimeWindow } from '../../view-model/timeline-zoom.ts';
import { FilledRect, MarkerGlyph, PatternDefs, paletteColor } from './TimelineGlyphs.tsx';
import { TimelineOverview } from './TimelineOverview.tsx';

const LANE_HEIGHT = 28;
const AXIS_HEIGHT = 26;
const LABEL_WIDTH = 220;
/** A marker's hover target: wide as the clustering gap, so targets never overlap. */
const MARKER_GAP = 12;

interface Props {
  timeline: ChangeTimeline;
  /** Open bars are drawn up to this time. */
  nowMs: number;
  /** The page's time zone: the axis and the hover texts read in it. */
  timeZone: TimeZone;
}

/** Width of an element, following resizes. */
function useElementWidth(): [(node: HTMLDivElement | null) => void, number, HTMLDivElement | null] {
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
  return [setNode, width, node];
}

/** Ctrl/⌘ + wheel over the plot zooms around the pointer (native listener: React's is passive). */
function useWheelZoom(node: HTMLDivElement | null, onZoom: (factor: number, atShare: number) => void) {
  useEffect(() => {
    if (!node) {
      return;
    }
    const onWheel = (e: WheelEvent) => {
      if (!e.ctrlKey && !e.metaKey) {
        return; // a plain wheel scrolls the lanes
      }
      e.preventDefault();
      const box = node.getBoundingClientRect();
      onZoom(e.deltaY < 0 ? 0.8 : 1.25, (e.clientX - box.left) / Math.max(1, box.width));
    };
    node.addEventListener('wheel', onWheel, { passive: false });
    return () => node.removeEventListener('wheel', onWheel);
  }, [node, onZoom]);
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

/**
 * The Gantt-like chart of a change: a toolbar and an overview (zoom window) above a scrolling area
 * of lanes whose time axis sticks to its top; one lane per patch set until one is expanded.
 */
export function TimelineChart({ timeline, nowMs, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const [measure, width, plotNode] = useElementWidth();
  const [measureOverview, overviewWidth] = useElementWidth();
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(() => new Set());
  const full = useMemo(() => timelineDomain(timeline, nowMs), [timeline, nowMs]);
  const [zoom, setZoom] = useState<TimeWindow | undefined>();
  const view = zoom ?? full;
  const layout = useMemo(
    () =>
      layoutTimeline(timeline, {
        width: Math.max(width, 200),
        nowMs,
        laneHeight: LANE_HEIGHT,
        axisHeight: 0,
        view,
        expanded,
        markerGapPx: MARKER_GAP,
        timeZone,
      }),
    [timeline, nowMs, width, view, expanded, timeZone],
  );
  const onWheelZoom = useCallback(
    (factor: number, atShare: number) =>
      setZoom((z) => {
        const v = z ?? full;
        return zoomWindow(v, full, factor, v.startMs + atShare * (v.endMs - v.startMs));
      }),
    [full],
  );
  useWheelZoom(plotNode, onWheelZoom);

  const patchSets = layout.lanes.filter((l) => l.kind === 'patchset' && l.childLanes > 0);
  const toggle = (ps: number) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (!next.delete(ps)) {
        next.add(ps);
      }
      return next;
    });
  const zoomTo = (group: MarkerGroupLayout) =>
    setZoom(windowAround(full, group.members[0].atMs, group.members[group.members.length - 1].atMs));

  return (
    <div className={styles.root}>
      <PatternDefs theme={theme} />
      <div className={styles.toolbar}>
        <ButtonGroup>
          <Button
            size="sm"
            variant="secondary"
            icon="search-plus"
            aria-label="Zoom in"
            tooltip="Zoom in (or Ctrl + wheel over the lanes)"
            onClick={() => setZoom(zoomWindow(view, full, 0.5))}
            data-testid={testIds.timeline.zoomIn}
          />
          <Button
            size="sm"
            variant="secondary"
            icon="search-minus"
            aria-label="Zoom out"
            tooltip="Zoom out"
            disabled={!isZoomed(view, full)}
            onClick={() => setZoom(zoomWindow(view, full, 2))}
            data-testid={testIds.timeline.zoomOut}
          />
          <Button
            size="sm"
            variant="secondary"
            disabled={!isZoomed(view, full)}
            onClick={() => setZoom(undefined)}
            data-testid={testIds.timeline.zoomReset}
          >
            Reset zoom
          </Button>
        </ButtonGroup>
        <ButtonGroup>
          <Button
            size="sm"
            variant="secondary"
            fill="text"
            icon="angle-down"
            onClick={() => setExpanded(new Set(patchSets.map((l) => l.patchSet ?? 0)))}
            data-testid={testIds.timeline.expandAll}
          >
            Expand all
          </Button>
          <Button
            size="sm"
            variant="secondary"
            fill="text"
            icon="angle-right"
            disabled={expanded.size === 0}
            onClick={() => setExpanded(new Set())}
            data-testid={testIds.timeline.collapseAll}
          >
            Collapse all
          </Button>
        </ButtonGroup>
        <span className={styles.hint}>Drag on the overview to zoom; click a grouped marker to zoom into it.</span>
      </div>
      <div className={styles.row}>
        <div className={styles.labelSpacer} style={{ width: LABEL_WIDTH }}>
          Overview
        </div>
        <div ref={measureOverview} className={styles.plot}>
          {overviewWidth > 0 && (
            <TimelineOverview
              timeline={timeline}
              nowMs={nowMs}
              width={overviewWidth}
              full={full}
              view={view}
              onView={setZoom}
            />
          )}
        </div>
      </div>
      <div className={styles.scroll} data-testid={testIds.timeline.lanes}>
        <div
          className={styles.axisRow}
          data-testid={testIds.timeline.axis}
          data-start-ms={layout.domain.startMs}
          data-end-ms={layout.domain.endMs}
        >
          <div className={styles.labelSpacer} style={{ width: LABEL_WIDTH }}>
            {layout.lanes.length} lanes
          </div>
          <svg width={layout.width} height={AXIS_HEIGHT} className={styles.axisSvg} aria-hidden>
            {layout.ticks.map((tick) => (
              <g key={tick.atMs}>
                <line
                  x1={tick.x}
                  x2={tick.x}
                  y1={AXIS_HEIGHT - 6}
                  y2={AXIS_HEIGHT}
                  stroke={theme.colors.border.medium}
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
          </svg>
        </div>
        <div className={styles.chart} data-testid={testIds.timeline.chart}>
          <div className={styles.labels} style={{ width: LABEL_WIDTH }}>
            {layout.lanes.map((lane) => (
              <LaneLabel key={lane.id} lane={lane} onToggle={toggle} />
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
                {layout.ticks.map((tick) => (
                  <line
                    key={tick.atMs}
                    x1={tick.x}
                    x2={tick.x}
                    y1={0}
                    y2={layout.height}
                    stroke={theme.colors.border.weak}
                  />
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
                          <g data-testid={testIds.timeline.waiting(w.index)} data-on={w.on}>
                            <FilledRect
                              x={w.x}
                              y={w.y + 1}
                              width={w.width}
                              height={w.height - 2}
                              fill={WAITING_STYLE[w.on]}
                              theme={theme}
                              opacity={0.3}
                            />
                          </g>
                        </Hover>
                      ))}
                    {lane.bars.map((bar) => (
                      <Hover key={bar.index} lines={bar.tooltip}>
                        <g
                          data-testid={testIds.timeline.bar(lane.id, bar.index)}
                          data-open={bar.open}
                          data-tone={bar.tone}
                        >
                          <FilledRect
                            x={bar.x}
                            y={bar.y}
                            width={bar.width}
                            height={bar.height}
                            fill={BAR_STYLE[bar.tone]}
                            theme={theme}
                            open={bar.open}
                          />
                        </g>
                      </Hover>
                    ))}
                  </g>
                ))}
                {layout.nowX !== undefined && (
                  <line
                    x1={layout.nowX}
                    x2={layout.nowX}
                    y1={0}
                    y2={layout.height}
                    stroke={theme.colors.text.secondary}
                    strokeDasharray="2 3"
                    data-testid={testIds.timeline.now}
                  />
                )}
                {layout.markers.map((group) => (
                  <Marker key={`${group.laneId}/${group.key}`} group={group} theme={theme} onZoom={zoomTo} />
                ))}
              </svg>
            )}
          </div>
        </div>
      </div>
      <Legend />
    </div>
  );
}

function LaneLabel({ lane, onToggle }: { lane: LaneLayout; onToggle: (patchSet: number) => void }) {
  const styles = useStyles2(getStyles);
  const strong = lane.kind === 'change' || lane.kind === 'patchset';
  const child = lane.kind === 'review' || lane.kind === 'ci';
  return (
    <div
      className={strong ? styles.laneLabelStrong : styles.laneLabel}
      style={{ height: LANE_HEIGHT, paddingLeft: child ? 28 : 4 }}
      title={lane.who ? `${lane.label} (${lane.who})` : lane.label}
      data-testid={testIds.timeline.laneLabel(lane.id)}
    >
      {lane.childLanes > 0 && lane.patchSet !== undefined ? (
        <IconButton
          name={lane.expanded ? 'angle-down' : 'angle-right'}
          size="sm"
          aria-expanded={lane.expanded}
          aria-label={`${lane.expanded ? 'Hide' : 'Show'} the ${lane.childLanes} review and CI lanes of ${lane.label}`}
          tooltip={`${lane.expanded ? 'Hide' : 'Show'} its ${lane.childLanes} review and CI lanes`}
          onClick={() => onToggle(lane.patchSet ?? 0)}
          data-testid={testIds.timeline.laneToggle(lane.id)}
        />
      ) : (
        strong && <span className={styles.toggleSpacer} />
      )}
      <span className={styles.labelText}>{lane.label}</span>
      {!lane.expanded && lane.childLanes > 0 && <span className={styles.childCount}>+{lane.childLanes}</span>}
    </div>
  );
}

/** One marker, or a group of markers too close to tell apart: its count, all of them on hover, zoom on click. */
function Marker({
  group,
  theme,
  onZoom,
}: {
  group: MarkerGroupLayout;
  theme: GrafanaTheme2;
  onZoom: (group: MarkerGroupLayout) => void;
}) {
  const styles = useStyles2(getStyles);
  const hit = <rect x={group.x - MARKER_GAP / 2} y={group.y - 9} width={MARKER_GAP} height={18} fill="transparent" />;
  if (group.members.length === 1) {
    const m = group.members[0];
    const look = MARKER_STYLE[m.style];
    return (
      <Hover lines={m.tooltip}>
        <g
          data-testid={testIds.timeline.markerOf(m.id)}
          data-kind={m.kind}
          data-lane={m.laneId}
          className={styles.marker}
        >
          {hit}
          <MarkerGlyph shape={look.shape} color={paletteColor(theme, look.color)} x={group.x} y={group.y} />
        </g>
      </Hover>
    );
  }
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onZoom(group);
    }
  };
  return (
    <Hover lines={markerGroupTooltip(group.members)}>
      <g
        data-testid={testIds.timeline.markerGroup(`${group.laneId}-${group.key}`)}
        data-lane={group.laneId}
        data-count={group.members.length}
        data-members={group.members.map((m) => m.id).join(',')}
        className={styles.group}
        role="button"
        tabIndex={0}
        aria-label={`${group.members.length} events: zoom in to tell them apart`}
        onClick={() => onZoom(group)}
        onKeyDown={onKeyDown}
      >
        {hit}
        <circle cx={group.x} cy={group.y} r={8} fill={theme.colors.text.primary} />
        <text x={group.x} y={group.y + 3.5} textAnchor="middle" className={styles.groupCount}>
          {group.members.length > 99 ? '99+' : group.members.length}
        </text>
      </g>
    </Hover>
  );
}

function Legend() {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  return (
    <div className={styles.legend} data-testid={testIds.timeline.legend}>
      {LEGEND.waiting.map((w) => (
        <LegendItem key={w.on} className={styles.legendItem} label={w.label}>
          <FilledRect x={0} y={0} width={16} height={12} fill={WAITING_STYLE[w.on]} theme={theme} opacity={0.45} />
        </LegendItem>
      ))}
      {LEGEND.bars.map((b) => (
        <LegendItem key={b.tone} className={styles.legendItem} label={b.label}>
          {b.tone === 'change' ? (
            <FilledRect x={0} y={4} width={16} height={4} fill={BAR_STYLE.change} theme={theme} />
          ) : (
            <FilledRect x={0.5} y={1} width={15} height={10} fill={BAR_STYLE[b.tone]} theme={theme} />
          )}
        </LegendItem>
      ))}
      <LegendItem className={styles.legendItem} label={LEGEND.openBar}>
        <FilledRect x={0.5} y={1.5} width={15} height={9} fill={BAR_STYLE.patchset} theme={theme} open />
      </LegendItem>
      {LEGEND.markers.map((m) => (
        <LegendItem key={m.style} className={styles.legendItem} label={m.label} height={16}>
          <MarkerGlyph
            shape={MARKER_STYLE[m.style].shape}
            color={paletteColor(theme, MARKER_STYLE[m.style].color)}
            x={8}
            y={8}
            size={4}
          />
        </LegendItem>
      ))}
      <LegendItem className={styles.legendItem} label={LEGEND.cluster} height={16}>
        <circle cx={8} cy={8} r={7} fill={theme.colors.text.primary} />
        <text x={8} y={11} textAnchor="middle" className={styles.groupCount}>
          3
        </text>
      </LegendItem>
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

const getStyles = (theme: GrafanaTheme2) => {
  const label = {
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(0.5),
    whiteSpace: 'nowrap',
    overflow: 'hidden',
    fontSize: theme.typography.bodySmall.fontSize,
  } as const;
  return {
    root: css({ display: 'flex', flexDirection: 'column', minHeight: 0, flex: 1, gap: theme.spacing(1) }),
    toolbar: css({ display: 'flex', alignItems: 'center', flexWrap: 'wrap', gap: theme.spacing(1) }),
    hint: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
    row: css({ display: 'flex', alignItems: 'center', width: '100%', flex: 'none' }),
    // The lanes scroll; the axis sticks to the top of this area so it stays in view.
    scroll: css({
      flex: 1,
      minHeight: 120,
      overflow: 'auto',
      border: `1px solid ${theme.colors.border.weak}`,
      borderRadius: theme.shape.radius.default,
      scrollbarGutter: 'stable',
    }),
    axisRow: css({
      position: 'sticky',
      top: 0,
      zIndex: 1,
      display: 'flex',
      background: theme.colors.background.primary,
      borderBottom: `1px solid ${theme.colors.border.medium}`,
    }),
    axisSvg: css({ display: 'block', flex: 'none' }),
    labelSpacer: css({
      flex: 'none',
      padding: theme.spacing(0, 0.5),
      alignSelf: 'center',
      color: theme.colors.text.secondary,
      fontSize: theme.typography.bodySmall.fontSize,
    }),
    chart: css({ display: 'flex', alignItems: 'flex-start', width: '100%' }),
    labels: css({ flex: 'none', overflow: 'hidden' }),
    laneLabel: css({ ...label, color: theme.colors.text.secondary }),
    laneLabelStrong: css({ ...label, fontWeight: theme.typography.fontWeightMedium }),
    labelText: css({ overflow: 'hidden', textOverflow: 'ellipsis' }),
    toggleSpacer: css({ display: 'inline-block', width: 16, flex: 'none' }),
    childCount: css({ color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightRegular }),
    plot: css({ flex: 1, minWidth: 0, overflow: 'hidden' }),
    tick: css({ fontSize: 11, fill: theme.colors.text.secondary }),
    marker: css({ cursor: 'default', '&:hover': { filter: 'brightness(1.3)' } }),
    group: css({ cursor: 'zoom-in', '&:hover': { filter: 'brightness(1.3)' }, outline: 'none' }),
    groupCount: css({
      fontSize: 10,
      fontWeight: theme.typography.fontWeightBold,
      fill: theme.colors.background.primary,
    }),
    legend: css({
      display: 'flex',
      flexWrap: 'wrap',
      flex: 'none',
      gap: theme.spacing(0.5, 2),
      fontSize: theme.typography.bodySmall.fontSize,
      color: theme.colors.text.secondary,
    }),
    legendItem: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(0.5) }),
  };
};
