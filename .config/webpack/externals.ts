import type { Configuration, ExternalItemFunctionData } from 'webpack';

// Grafana's shared modules: Grafana's SystemJS loader hands the plugin its own copies of these, so the
// bundle must not contain them (two Reacts or two @grafana/runtime instances break hooks, the theme
// and the backend service). The list follows @grafana/create-plugin's
// (.config/bundler/externals.ts), which mirrors Grafana's
// public/app/features/plugins/loader/sharedDependencies.ts.
//
// Routing: Grafana shares `react-router` as React Router v6 (through react-router-dom-v5-compat) but
// `react-router-dom` as the legacy v5. So `react-router` is external and `react-router-dom` is NOT:
// the plugin imports only v6 APIs from `react-router` (eslint.config.js forbids `react-router-dom`).
export const externals: Configuration['externals'] = [
  // `module` is the AMD loader's meta module (its `uri` gives the dynamic public path, src/public-path.ts).
  { 'amd-module': 'module' },
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  // The automatic JSX runtime is shared too (Grafana >= 10.x), so React 18 and React 19 hosts each
  // give the plugin the runtime that matches their React.
  'react/jsx-runtime',
  'react/jsx-dev-runtime',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  'i18next',
  'react-router',
  'd3',
  'angular',
  /^@grafana\/ui/i,
  /^@grafana\/runtime/i,
  /^@grafana\/data/i,
  // Legacy SDK imports: `grafana/app/...` is served by Grafana as `app/...`.
  ({ request }: ExternalItemFunctionData, callback: (error?: Error, result?: string) => void) => {
    const prefix = 'grafana/';
    if (request?.startsWith(prefix)) {
      callback(undefined, request.slice(prefix.length));
      return;
    }
    callback();
  },
];
