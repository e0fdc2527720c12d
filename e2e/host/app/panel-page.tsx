// One panel rendered as a dashboard renders it (Grafana's PanelStateWrapper, reduced): the plugin's
// module imported through SystemJS, its options (the plugin's defaults, then the URL's `options`
// JSON), the size (`width`, `height`), the time range (`from`, `to`: epoch ms or relative like
// now-6h) and dashboard variables (`var-<name>`, replaced by replaceVariables), an empty PanelData.
//   /d-solo/panel/<panel id>?options={…}&from=now-1h&to=now&width=900&height=500&var-ns=shop
import { useEffect, useMemo, useState } from 'react';
import { useLocation, useParams } from 'react-router-dom-v5-compat';
import {
  EventBusSrv,
  LoadingState,
  dateMath,
  dateTime,
  getDefaultTimeRange,
  standardEditorsRegistry,
  type PanelPlugin,
  type PanelPluginMeta,
  type TimeRange,
} from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, LoadingPlaceholder } from '@grafana/ui';
import { importPanelPlugin } from './plugin-loader.ts';

// Grafana registers its standard option editors (getAllOptionEditors(), in Grafana's own code, not
// a package) at start; a panel's options builder looks its editors up there, also to compute the
// defaults. The test host renders no panel editor: the ids are registered with empty editors.
const STANDARD_EDITOR_IDS = ['text', 'number', 'slider', 'boolean', 'radio', 'select', 'multiSelect', 'color', 'unit'];
standardEditorsRegistry.setInit(() =>
  STANDARD_EDITOR_IDS.map((id) => ({ id, name: id, description: '', editor: () => null })),
);

function timeRangeOf(params: URLSearchParams): TimeRange {
  const raw = { from: params.get('from') ?? 'now-6h', to: params.get('to') ?? 'now' };
  const parse = (v: string, roundUp: boolean) => (/^\d+$/.test(v) ? dateTime(Number(v)) : dateMath.parse(v, roundUp));
  const from = parse(raw.from, false);
  const to = parse(raw.to, true);
  return from && to ? { from, to, raw } : getDefaultTimeRange();
}

/** Grafana's replaceVariables() for the URL's `var-<name>` values: $name, ${name}, [[name]]. */
function variableReplacer(params: URLSearchParams): (text: string) => string {
  const vars = new Map([...params].filter(([k]) => k.startsWith('var-')).map(([k, v]) => [k.slice(4), v]));
  return (text) =>
    text.replace(
      /\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g,
      (all, a?: string, b?: string, c?: string) => vars.get(a ?? b ?? c ?? '') ?? all,
    );
}

export function PanelPage() {
  const { pluginId } = useParams();
  const location = useLocation();
  const [loaded, setLoaded] = useState<{ plugin?: PanelPlugin; error?: string }>({});
  useEffect(() => {
    let current = true;
    getBackendSrv()
      .get<PanelPluginMeta>(`/api/plugins/${pluginId ?? ''}/settings`)
      .then((meta) => importPanelPlugin(meta))
      .then(
        (plugin) => current && setLoaded({ plugin }),
        (err: Error) => current && setLoaded({ error: err.message ?? String(err) }),
      );
    return () => {
      current = false;
    };
  }, [pluginId]);
  const params = useMemo(() => new URLSearchParams(location.search), [location.search]);
  const timeRange = useMemo(() => timeRangeOf(params), [params]);
  const replaceVariables = useMemo(() => variableReplacer(params), [params]);
  const eventBus = useMemo(() => new EventBusSrv(), []);
  if (loaded.error) {
    return (
      <div data-testid="host-plugin-error">
        <Alert severity="error" title="Could not load the panel plugin">
          {loaded.error}
        </Alert>
      </div>
    );
  }
  if (!loaded.plugin?.panel) {
    return <LoadingPlaceholder text="Loading panel…" />;
  }
  const Panel = loaded.plugin.panel;
  const options = { ...(loaded.plugin.defaults as object), ...(JSON.parse(params.get('options') ?? '{}') as object) };
  const width = Number(params.get('width') ?? 900);
  const height = Number(params.get('height') ?? 500);
  return (
    <div data-testid="host-panel" style={{ width, height, position: 'relative', overflow: 'hidden' }}>
      <Panel
        id={1}
        data={{ state: LoadingState.Done, series: [], timeRange }}
        timeRange={timeRange}
        timeZone="browser"
        options={options}
        transparent={false}
        width={width}
        height={height}
        fieldConfig={{ defaults: {}, overrides: [] }}
        renderCounter={0}
        title="Service map"
        eventBus={eventBus}
        onOptionsChange={() => undefined}
        onFieldConfigChange={() => undefined}
        replaceVariables={replaceVariables}
        onChangeTimeRange={() => undefined}
      />
    </div>
  );
}
