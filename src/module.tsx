// The app plugin's entry (dist/module.js). Pages load lazily, so Grafana's first load of the plugin
// stays small. See docs/plugin.md.
import './public-path.ts';

import { lazy, Suspense, useEffect } from 'react';
import { AppPlugin, type AppRootProps } from '@grafana/data';
import { config } from '@grafana/runtime';
import { LoadingPlaceholder } from '@grafana/ui';
import { prefetchFirstPage } from './api/change-list-prefetch.ts';
import type { AppConfigProps } from './components/AppConfig/AppConfig.tsx';
import type { AppSettings } from './types.ts';

const LazyApp = lazy(() => import('./components/App/App.tsx'));
const LazyAppConfig = lazy(() => import('./components/AppConfig/AppConfig.tsx'));

function App(props: AppRootProps<AppSettings>) {
  // The change list's first request leaves now, while the page's code loads (docs/plugin.md).
  useEffect(() => prefetchFirstPage(window.location.search, config.bootData?.user?.timezone), []);
  return (
    <Suspense fallback={<LoadingPlaceholder text="" />}>
      <LazyApp {...props} />
    </Suspense>
  );
}

function AppConfig(props: AppConfigProps) {
  return (
    <Suspense fallback={<LoadingPlaceholder text="" />}>
      <LazyAppConfig {...props} />
    </Suspense>
  );
}

export const plugin = new AppPlugin<AppSettings>().setRootPage(App).addConfigPage({
  title: 'Configuration',
  icon: 'cog',
  body: AppConfig,
  id: 'configuration',
});
