// The modules Grafana's frontend hands to plugins through SystemJS (Grafana's
// public/app/features/plugins/loader/sharedDependencies.ts, registered by buildImportMap() as
// `package:<name>` and mapped with SystemJS.addImportMap), with the REAL packages behind them.
//
// Grafana registers some of them lazily (`() => import(...)`); the host bundles them and registers
// them at once, which a plugin cannot tell apart. Names Grafana shares but this host does not bundle
// (jquery, moment, d3, ...) fail with a message saying so; names Grafana does not share at all fail
// the way they fail in Grafana (the plugin must bundle them).
import * as emotionCss from '@emotion/css';
import * as emotionReact from '@emotion/react';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUIraw from '@grafana/ui';
import * as lodash from 'lodash';
import * as react from 'react';
import * as reactDom from 'react-dom';
import * as reactDomClient from 'react-dom/client';
import * as jsxDevRuntime from 'react/jsx-dev-runtime';
import * as jsxRuntime from 'react/jsx-runtime';
import * as reactRouterDom from 'react-router-dom';
import * as reactRouterCompat from 'react-router-dom-v5-compat';
import * as rxjs from 'rxjs';
import * as rxjsOperators from 'rxjs/operators';

/** Grafana's SHARED_DEPENDENCY_PREFIX. */
const PREFIX = 'package';

// "Help the 6.4 to 6.5 migration": Grafana exposes these @grafana/data classes on @grafana/ui too.
const grafanaUI = {
  ...grafanaUIraw,
  PanelPlugin: grafanaData.PanelPlugin,
  DataSourcePlugin: grafanaData.DataSourcePlugin,
  AppPlugin: grafanaData.AppPlugin,
  DataSourceApi: grafanaData.DataSourceApi,
};

/** What this host provides, keyed as in Grafana's sharedDependenciesMap. */
export const PROVIDED: Record<string, object> = {
  '@emotion/css': emotionCss,
  '@emotion/react': emotionReact,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUI,
  emotion: emotionCss,
  // Grafana: import('lodash').then((m) => ({ ...m, move: arrayMove, __useDefault: true }))
  lodash: { ...lodash, __useDefault: true },
  react,
  // Shared since Grafana 12.3 (and 11.6.11, 12.0.10, 12.1.7, 12.2.5): plugins built for >= 12.3
  // externalise the JSX runtime so it matches the React that Grafana runs (19 in Grafana 13).
  'react/jsx-runtime': jsxRuntime,
  'react/jsx-dev-runtime': jsxDevRuntime,
  'react-dom': reactDom,
  'react-dom/client': reactDomClient,
  // Grafana shares react-router-dom v5 as `react-router-dom`, and React Router v6 (through
  // react-router-dom-v5-compat, which re-exports react-router v6) as `react-router`.
  'react-router-dom': reactRouterDom,
  'react-router': reactRouterCompat,
  rxjs,
  'rxjs/operators': rxjsOperators,
};

/** Shared by Grafana (same file) but not bundled by this host: add them here when a plugin needs one. */
export const SHARED_BY_GRAFANA_NOT_PROVIDED = new Set([
  '@grafana/data/unstable',
  '@grafana/runtime/unstable',
  '@grafana/ui/unstable',
  '@grafana/slate-react',
  '@kusto/monaco-kusto',
  'd3',
  'i18next',
  'jquery',
  'moment',
  'prismjs',
  'react-dom/server',
  'react-inlinesvg',
  'react-redux',
  'redux',
  'slate',
  'slate-plain-serializer',
  'slate-react',
]);

/** SystemJS.set every provided module as `package:<name>` and map the bare names to them (buildImportMap). */
export function registerSharedModules(system: HostSystemJS): Record<string, string> {
  const imports: Record<string, string> = {};
  for (const [name, module] of Object.entries(PROVIDED)) {
    const id = `${PREFIX}:${name}`;
    system.set(id, module);
    imports[name] = id;
  }
  system.addImportMap({ imports });
  return imports;
}
