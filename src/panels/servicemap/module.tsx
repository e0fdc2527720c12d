import { PanelPlugin, type SelectableValue } from '@grafana/data';
import '../../public-path.ts';
import {
  DEFAULT_PANEL_OPTIONS,
  type EdgeStat,
  type NodeStat,
  type ServiceMapPanelOptions,
} from '../../view-model/service-map-view.ts';
import { ServiceMapPanel } from './ServiceMapPanel.tsx';

// reviewtrace-servicemap-panel, nested in the ReviewTrace app: a node graph aggregated by the
// sidecar from one Tempo search (docs/service-map.md). It reads through the app's proxy route.

const STAT_OPTIONS: Array<SelectableValue<NodeStat>> = [
  { value: 'ratePerSec', label: 'Rate (per second)' },
  { value: 'count', label: 'Count' },
  { value: 'errorShare', label: 'Error share' },
  { value: 'p50Ms', label: 'p50 duration' },
  { value: 'p95Ms', label: 'p95 duration' },
];

const d = DEFAULT_PANEL_OPTIONS;

export const plugin = new PanelPlugin<ServiceMapPanelOptions>(ServiceMapPanel).setPanelOptions((builder) =>
  builder
    .addRadio({
      path: 'strategy',
      name: 'Edges',
      description: 'How spans become edges.',
      defaultValue: d.strategy,
      settings: {
        options: [
          {
            value: 'serviceGraph',
            label: 'Service graph',
            description: 'client → server spans, like Tempo’s service graph',
          },
          { value: 'parentChild', label: 'Parent → child by tag' },
          { value: 'attributePair', label: 'Attribute A → B', description: 'e.g. owner → reviewer on review spans' },
        ],
      },
    })
    .addTextInput({
      path: 'filter',
      name: 'TraceQL filter',
      description:
        'A span-set filter such as { resource.service.namespace = "$namespace" }. Empty: the default for the edges chosen.',
      defaultValue: d.filter,
    })
    .addTextInput({
      path: 'tag',
      name: 'Tag',
      description: 'service.name, name (the span name), or any attribute.',
      defaultValue: d.tag,
      showIf: (o) => o.strategy === 'parentChild',
    })
    .addTextInput({
      path: 'valueRegex',
      name: 'Values (regex)',
      description: 'Only values matching it become nodes; others are passed through to their parent.',
      defaultValue: d.valueRegex,
      showIf: (o) => o.strategy === 'parentChild',
    })
    .addBooleanSwitch({
      path: 'tagNode',
      name: 'Node for the tag',
      defaultValue: d.tagNode,
      showIf: (o) => o.strategy === 'parentChild',
    })
    .addTextInput({
      path: 'fromAttribute',
      name: 'Attribute A (from)',
      defaultValue: d.fromAttribute,
      showIf: (o) => o.strategy === 'attributePair',
    })
    .addTextInput({
      path: 'toAttribute',
      name: 'Attribute B (to)',
      defaultValue: d.toAttribute,
      showIf: (o) => o.strategy === 'attributePair',
    })
    .addNumberInput({
      path: 'nodeLimit',
      name: 'Node limit',
      description: 'The busiest nodes are kept; the panel says how many it left out.',
      defaultValue: d.nodeLimit,
      settings: { min: 1, max: 1000, integer: true },
    })
    .addRadio({
      path: 'layout',
      name: 'Layout',
      defaultValue: d.layout,
      settings: {
        options: [
          { value: 'layered', label: 'Layered' },
          { value: 'force', label: 'Force' },
        ],
      },
    })
    .addSelect({ path: 'nodeStat', name: 'Node figure', defaultValue: d.nodeStat, settings: { options: STAT_OPTIONS } })
    .addSelect({
      path: 'edgeStat',
      name: 'Edge figure',
      defaultValue: d.edgeStat,
      settings: {
        options: [
          { value: 'ratePerSec' as EdgeStat, label: 'Rate (per second)' },
          { value: 'calls', label: 'Calls' },
          { value: 'traces', label: 'Traces' },
          { value: 'errorShare', label: 'Error share' },
          { value: 'p50Ms', label: 'p50 duration' },
          { value: 'p95Ms', label: 'p95 duration' },
        ],
      },
    })
    .addNumberInput({
      path: 'errorWarn',
      name: 'Warning from error share',
      description: '0.01 = 1 %',
      defaultValue: d.errorWarn,
      settings: { min: 0, max: 1, step: 0.01 },
    })
    .addNumberInput({
      path: 'errorBad',
      name: 'Failing from error share',
      defaultValue: d.errorBad,
      settings: { min: 0, max: 1, step: 0.01 },
    })
    .addTextInput({
      path: 'datasourceUid',
      name: 'Tempo data source UID',
      description: 'For Explore links. Empty: the first Tempo data source.',
      defaultValue: d.datasourceUid,
    }),
);
