import { useEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import cytoscape, { type Core, type ElementDefinition, type StylesheetJson } from 'cytoscape';
import { formattedValueToString, getValueFormat, type GrafanaTheme2 } from '@grafana/data';
import { Button, Combobox, useStyles2, useTheme2 } from '@grafana/ui';
import type { NodeKind } from '../../review-model/service-map.ts';
import { testIds } from '../../test-ids.ts';
import {
  STAT_UNIT,
  neighbourhood,
  type DrawEdge,
  type DrawNode,
  type EdgeStat,
  type Health,
  type LayoutName,
  type NodeStat,
} from '../../view-model/service-map-view.ts';
import { layeredPositions } from './layered-layout.ts';

// The graph itself: Cytoscape.js draws it on a canvas (thousands of elements, zoom and pan built
// in); ELK's layered layout runs in a worker and moves the nodes when it is done, after a quick
// breadth-first layout for the first paint. Clicking a node focuses on it and everything up- and
// downstream; Escape or "Show all" goes back. docs/service-map.md says why these libraries.

export interface Selection {
  kind: 'node' | 'edge';
  id: string;
}

interface Props {
  nodes: DrawNode[];
  edges: DrawEdge[];
  layout: LayoutName;
  nodeStat: NodeStat;
  edgeStat: EdgeStat;
  width: number;
  height: number;
  onSelect: (selection: Selection | undefined) => void;
}

/** Up to this many nodes the first frame is laid out breadth-first (hierarchical), above in a grid. */
const QUICK_LAYOUT_UP_TO = 200;

/** Above this many edges, edge labels are drawn only on hover: thousands of labels cost every frame. */
const EDGE_LABELS_UP_TO = 300;

const SHAPE: Record<NodeKind, cytoscape.Css.NodeShape> = {
  service: 'ellipse',
  database: 'barrel',
  user: 'round-rectangle',
  external: 'diamond',
  value: 'ellipse',
  tag: 'tag',
};

export function formatStat(stat: NodeStat | EdgeStat, value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) {
    return '–';
  }
  const decimals = stat === 'count' || stat === 'calls' || stat === 'traces' ? 0 : stat === 'errorShare' ? 1 : 2;
  return formattedValueToString(getValueFormat(STAT_UNIT[stat])(value, decimals));
}

function healthColour(theme: GrafanaTheme2, health: Health): string {
  return health === 'bad'
    ? theme.colors.error.main
    : health === 'warn'
      ? theme.colors.warning.main
      : theme.colors.success.main;
}

function elements(props: Props, theme: GrafanaTheme2): ElementDefinition[] {
  const nodeLabels = props.nodes.length <= 400;
  return [
    ...props.nodes.map((n) => ({
      group: 'nodes' as const,
      data: {
        id: n.id,
        label: nodeLabels ? `${n.label}\n${formatStat(props.nodeStat, n.stat)}` : n.label,
        shape: SHAPE[n.kind],
        size: 28 + Math.round(Math.sqrt(n.weight) * 36),
        errorPct: Math.round(n.errorShare * 1000) / 10,
        border: healthColour(theme, n.health),
      },
    })),
    ...props.edges.map((e) => ({
      group: 'edges' as const,
      data: {
        id: e.id,
        source: e.source,
        target: e.target,
        width: e.width,
        label: formatStat(props.edgeStat, e.stat),
        colour: e.health === 'ok' ? theme.colors.text.disabled : healthColour(theme, e.health),
      },
    })),
  ];
}

function stylesheet(theme: GrafanaTheme2, edgeLabels: boolean): StylesheetJson {
  return [
    {
      selector: 'node',
      style: {
        shape: 'data(shape)' as unknown as cytoscape.Css.NodeShape,
        width: 'data(size)',
        height: 'data(size)',
        'background-color': theme.colors.background.secondary,
        'border-width': 3,
        'border-color': 'data(border)',
        // The error share as an arc of the node.
        'pie-size': '100%',
        'pie-1-background-color': theme.colors.error.main,
        // A mapper string where the typings expect a number: Cytoscape reads data() mappers here too.
        'pie-1-background-size': 'data(errorPct)' as unknown as number,
        label: 'data(label)',
        color: theme.colors.text.primary,
        'font-size': 11,
        'text-wrap': 'wrap',
        'text-valign': 'bottom',
        'text-margin-y': 4,
        'min-zoomed-font-size': 7,
      },
    },
    {
      selector: 'edge',
      style: {
        width: 'data(width)',
        'line-color': 'data(colour)',
        'target-arrow-color': 'data(colour)',
        'target-arrow-shape': 'triangle',
        // Straight edges draw several times faster than curves: large graphs use them.
        'curve-style': edgeLabels ? 'bezier' : 'straight',
        'arrow-scale': 0.8,
        label: edgeLabels ? 'data(label)' : '',
        'font-size': 9,
        color: theme.colors.text.secondary,
        'text-background-color': theme.colors.background.primary,
        'text-background-opacity': 0.8,
        'min-zoomed-font-size': 8,
      },
    },
    { selector: 'edge.hover', style: { label: 'data(label)', 'z-index': 10 } },
    { selector: '.faded', style: { opacity: 0.12 } },
    { selector: 'node:selected', style: { 'border-color': theme.colors.primary.main, 'border-width': 5 } },
  ];
}

export function GraphView(props: Props) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const container = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | undefined>(undefined);
  const [focused, setFocused] = useState<string | undefined>(undefined);
  const { onSelect } = props;
  const edgeLabels = props.edges.length <= EDGE_LABELS_UP_TO;
  const nodeOptions = useMemo(
    () => [...props.nodes].sort((a, b) => a.label.localeCompare(b.label)).map((n) => ({ value: n.id, label: n.label })),
    [props.nodes],
  );
  const { nodes, edges, nodeStat, edgeStat } = props;
  const elems = useMemo(
    () => elements({ ...props, nodes, edges, nodeStat, edgeStat }, theme),
    // Only what the elements are made of: a new render with the same data keeps the graph.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [nodes, edges, nodeStat, edgeStat, theme],
  );

  useEffect(() => {
    if (!container.current) {
      return;
    }
    const instance = cytoscape({
      container: container.current,
      elements: elems,
      style: stylesheet(theme, edgeLabels),
      // A quick hierarchical first paint; the layered layout replaces it (below).
      layout:
        props.layout === 'force'
          ? {
              name: 'cose',
              animate: false,
              randomize: false,
              // Strong repulsion and long ideal edges: review graphs are dense (everyone reviews
              // everyone), and the defaults pile their nodes on top of each other.
              nodeRepulsion: () => 1_000_000,
              idealEdgeLength: () => 160,
              edgeElasticity: () => 60,
              gravity: 0.2,
              numIter: 1500,
              padding: 30,
            }
          : props.nodes.length > QUICK_LAYOUT_UP_TO
            ? // A large graph's first frame in a grid (linear time): ELK's layout follows within moments.
              { name: 'grid', animate: false, avoidOverlap: false }
            : { name: 'breadthfirst', directed: true, spacingFactor: 1.1, animate: false },
      minZoom: 0.05,
      // Fitting a small graph must not blow its nodes up.
      maxZoom: 2,
      wheelSensitivity: 0.3,
      // Zooming and panning move a bitmap of the graph: smooth with thousands of elements.
      textureOnViewport: elems.length > 1000,
      motionBlur: false,
      boxSelectionEnabled: false,
    });
    cy.current = instance;
    // A user-timing mark when the first frame of the graph is on screen (bench:ui reads it).
    instance.one('render', () => requestAnimationFrame(() => performance.mark('reviewtrace:servicemap:painted')));
    let cancelled = false;
    if (props.layout === 'layered' && props.nodes.length > 1) {
      layeredPositions({
        nodes: props.nodes.map((n) => ({ id: n.id, width: 80, height: 60 })),
        edges: props.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
      }).then(
        (positions) => {
          if (cancelled) {
            return;
          }
          instance.batch(() => {
            instance.nodes().forEach((n) => {
              const p = positions.get(n.id());
              if (p) {
                n.position(p);
              }
            });
          });
          instance.fit(undefined, 20);
          container.current?.setAttribute('data-layout', 'layered');
        },
        () => container.current?.setAttribute('data-layout', 'quick'),
      );
    } else {
      container.current.setAttribute('data-layout', props.layout === 'force' ? 'force' : 'quick');
    }
    instance.on('tap', 'node', (ev) => {
      const id = ev.target.id() as string;
      setFocused(id);
      onSelect({ kind: 'node', id });
    });
    instance.on('tap', 'edge', (ev) => onSelect({ kind: 'edge', id: ev.target.id() as string }));
    instance.on('tap', (ev) => {
      if (ev.target === instance) {
        onSelect(undefined);
      }
    });
    instance.on('mouseover', 'edge', (ev) => ev.target.addClass('hover'));
    instance.on('mouseout', 'edge', (ev) => ev.target.removeClass('hover'));
    return () => {
      cancelled = true;
      instance.destroy();
      cy.current = undefined;
    };
    // The graph is rebuilt when its elements or layout change, not on every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [elems, props.layout]);

  useEffect(() => {
    cy.current?.resize();
  }, [props.width, props.height]);

  // Focus: everything but the node's up- and downstream neighbourhood fades.
  useEffect(() => {
    const instance = cy.current;
    if (!instance) {
      return;
    }
    instance.batch(() => {
      instance.elements().removeClass('faded');
      if (focused !== undefined) {
        const keep = neighbourhood(props.edges, focused);
        instance.nodes().forEach((n) => {
          if (!keep.has(n.id())) {
            n.addClass('faded');
          }
        });
        instance.edges().forEach((e) => {
          if (!keep.has(e.source().id()) || !keep.has(e.target().id())) {
            e.addClass('faded');
          }
        });
      }
    });
  }, [focused, props.edges]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setFocused(undefined);
        onSelect(undefined);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onSelect]);

  return (
    <div className={styles.wrap} style={{ width: props.width, height: props.height }}>
      <div
        ref={container}
        className={styles.canvas}
        data-testid={testIds.serviceMap.graph}
        data-nodes={props.nodes.length}
        data-edges={props.edges.length}
        data-focused={focused ?? ''}
      />
      <div className={styles.focusBar}>
        <div data-testid={testIds.serviceMap.focusPicker} className={styles.picker}>
          <Combobox<string>
            aria-label="Focus on a node"
            placeholder="Focus on a node…"
            options={nodeOptions}
            value={focused ?? null}
            isClearable
            onChange={(option) => {
              const id = option?.value;
              setFocused(id);
              onSelect(id === undefined ? undefined : { kind: 'node', id });
            }}
          />
        </div>
        {focused !== undefined && (
          <Button
            size="sm"
            variant="secondary"
            icon="arrow-left"
            data-testid={testIds.serviceMap.showAll}
            onClick={() => {
              setFocused(undefined);
              onSelect(undefined);
            }}
          >
            Show all
          </Button>
        )}
      </div>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrap: css({ position: 'relative' }),
  canvas: css({ position: 'absolute', inset: 0 }),
  focusBar: css({
    position: 'absolute',
    top: theme.spacing(1),
    left: theme.spacing(1),
    display: 'flex',
    gap: theme.spacing(1),
    zIndex: 1,
  }),
  picker: css({ width: 220 }),
});
