// The test host's frontend: a stand-in for Grafana's app shell around an app plugin. It sets up the
// @grafana/runtime services the plugin uses (config from window.grafanaBootData, backendSrv,
// dataSourceSrv, locationService), the theme, and React Router as Grafana 12/13 does (a v5 Router on
// locationService's history with react-router-dom-v5-compat's CompatRouter, v6 <Routes> inside), and
// renders the plugin at Grafana's URLs:
//   /a/<app id>/*        the app's root page (AppRootProps: meta, basename, path, query, onNavChanged)
//   /plugins/<app id>    the app's configuration page (configPages[?page=<id>, default the first] body with
//                        { plugin, query })
import { Component, useEffect, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { Router } from 'react-router-dom';
import { CompatRouter, Route, Routes, useLocation, useParams } from 'react-router-dom-v5-compat';
import { urlUtil, type AppPlugin } from '@grafana/data';
import { config, locationService, setBackendSrv, setDataSourceSrv } from '@grafana/runtime';
import { Alert, GlobalStyles, LoadingPlaceholder, PortalContainer, ThemeContext } from '@grafana/ui';
import { HostBackendSrv } from './backend-srv.ts';
import { HostDataSourceSrv } from './datasource-srv.ts';
import { PanelPage } from './panel-page.tsx';
import { getPluginSettings, importAppPlugin, initSystemJS } from './plugin-loader.ts';

setBackendSrv(new HostBackendSrv());
setDataSourceSrv(new HostDataSourceSrv());
initSystemJS();

type Loaded = { plugin: AppPlugin; error?: undefined } | { plugin?: undefined; error: string };

function useAppPlugin(pluginId: string | undefined): Loaded | undefined {
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  useEffect(() => {
    let current = true;
    setLoaded(undefined);
    if (!pluginId) {
      setLoaded({ error: 'no plugin id in the URL' });
      return;
    }
    getPluginSettings(pluginId)
      .then((meta) => importAppPlugin(meta))
      .then(
        (plugin) => current && setLoaded({ plugin }),
        (err: unknown) => {
          const e = err as { message?: string; status?: number; data?: { message?: string } };
          const message = e.data?.message ?? e.message ?? String(err);
          // eslint-disable-next-line no-console
          console.error('test host: could not load plugin', pluginId, err);
          if (current) {
            setLoaded({ error: e.status ? `HTTP ${e.status}: ${message}` : message });
          }
        },
      );
    return () => {
      current = false;
    };
  }, [pluginId]);
  return loaded;
}

class PluginErrorBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {};

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (this.state.error) {
      return <LoadError title="The plugin failed to render" message={this.state.error.message} />;
    }
    return this.props.children;
  }
}

function LoadError({ title, message }: { title: string; message: string }) {
  return (
    <div data-testid="host-plugin-error">
      <Alert severity="error" title={title}>
        {message}
      </Alert>
    </div>
  );
}

/** What both plugin pages show until the plugin has loaded: a placeholder, or why it failed. */
function NotLoaded({ loaded }: { loaded: Loaded | undefined }) {
  return loaded?.error !== undefined ? (
    <LoadError title="Could not load the plugin" message={loaded.error} />
  ) : (
    <LoadingPlaceholder text="Loading plugin…" />
  );
}

/** What both plugin pages read from their route: the plugin (as it loads) and the URL's query. */
function usePluginRoute() {
  const { pluginId } = useParams();
  const location = useLocation();
  const loaded = useAppPlugin(pluginId);
  const query = urlUtil.parseKeyValue(location.search.replace(/^\?/, ''));
  return { pluginId, path: location.pathname, query, loaded };
}

/** Grafana's AppRootPage, reduced to what a plugin sees. */
function AppRootPage() {
  const { pluginId, path, query, loaded } = usePluginRoute();
  if (!loaded?.plugin) {
    return <NotLoaded loaded={loaded} />;
  }
  const { plugin } = loaded;
  if (!plugin.meta.enabled) {
    return <LoadError title="App not enabled" message="Enable the app on its configuration page." />;
  }
  if (!plugin.root) {
    return <LoadError title="Plugin has no root page" message="No root app page component found" />;
  }
  const Root = plugin.root;
  return (
    <PluginErrorBoundary>
      <Root meta={plugin.meta} basename={`/a/${pluginId}`} onNavChanged={() => undefined} query={query} path={path} />
    </PluginErrorBoundary>
  );
}

/** Grafana's plugin details page, reduced to the app's configuration page tab. */
function PluginConfigPage() {
  const { query, loaded } = usePluginRoute();
  if (!loaded?.plugin) {
    return <NotLoaded loaded={loaded} />;
  }
  const { plugin } = loaded;
  const pages = plugin.configPages ?? [];
  const page = pages.find((p) => p.id === query.page) ?? pages[0];
  if (!page) {
    return <LoadError title="No configuration page" message="The plugin has no configuration page." />;
  }
  const Body = page.body;
  return (
    <div>
      <h2>{plugin.meta.name}</h2>
      <nav style={{ marginBottom: 16 }}>
        {pages.map((p) => (
          <strong key={p.id} style={{ marginRight: 12 }}>
            {p.title}
          </strong>
        ))}
      </nav>
      <PluginErrorBoundary>
        <Body plugin={plugin} query={query} />
      </PluginErrorBoundary>
    </div>
  );
}

function NotFound() {
  const location = useLocation();
  return <LoadError title="Page not found" message={`The test host serves no page at ${location.pathname}`} />;
}

function HostApp() {
  return (
    <ThemeContext.Provider value={config.theme2}>
      <GlobalStyles />
      <Router history={locationService.getHistory()}>
        <CompatRouter>
          <div data-testid="test-host" style={{ padding: 16 }}>
            <div style={{ fontSize: 12, opacity: 0.6, marginBottom: 8 }}>
              ReviewTrace test host (a stand-in for Grafana {config.buildInfo.version})
            </div>
            <Routes>
              <Route path="/a/:pluginId/*" element={<AppRootPage />} />
              <Route path="/plugins/:pluginId" element={<PluginConfigPage />} />
              <Route path="/d-solo/panel/:pluginId" element={<PanelPage />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </div>
        </CompatRouter>
      </Router>
      <PortalContainer />
    </ThemeContext.Provider>
  );
}

const root = document.getElementById('reactRoot');
if (!root) {
  throw new Error('#reactRoot is missing');
}
createRoot(root).render(<HostApp />);
