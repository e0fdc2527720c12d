// Loads an app plugin the way Grafana's frontend does: SystemJS (with the AMD extra) imports
// public/plugins/<id>/module.js, the plugin's externals resolve through the import map of shared
// modules, and importAppPlugin() initialises the exported AppPlugin with the meta from
// GET /api/plugins/<id>/settings.
import 'systemjs/dist/system.js';
import 'systemjs/dist/extras/amd.js';
import { AppPlugin, PanelPlugin, type AppPluginMeta, type PanelPluginMeta } from '@grafana/data';
import { config, getBackendSrv } from '@grafana/runtime';
import { SHARED_BY_GRAFANA_NOT_PROVIDED, registerSharedModules } from './shared-modules.ts';

let initialised = false;

/** Grafana's initSystemJSHooks(): the import map of shared modules plus a resolve hook. */
export function initSystemJS(): void {
  if (initialised) {
    return;
  }
  initialised = true;
  const system = window.System;
  registerSharedModules(system);
  const proto = system.constructor.prototype;
  const originalResolve = proto.resolve;
  proto.resolve = function resolve(this: HostSystemJS, id: string, parentUrl?: string): string {
    try {
      return originalResolve.call(this, id, parentUrl);
    } catch (err) {
      if (SHARED_BY_GRAFANA_NOT_PROVIDED.has(id)) {
        throw new Error(
          `The plugin imports '${id}', which Grafana shares with plugins but the test host does not provide yet: add it to e2e/host/app/shared-modules.ts.`,
        );
      }
      // Grafana logs "SystemJS: failed to resolve" and the import then fails: a plugin cannot get a
      // package Grafana does not share, it has to bundle it.
      throw new Error(
        `The plugin imports '${id}', which is not one of the modules Grafana shares with plugins (public/app/features/plugins/loader/sharedDependencies.ts), so it fails to load in Grafana too. Bundle it: remove it from the webpack externals. (${(err as Error).message})`,
      );
    }
  };
}

export function getPluginSettings(pluginId: string): Promise<AppPluginMeta> {
  return getBackendSrv().get<AppPluginMeta>(`/api/plugins/${pluginId}/settings`, undefined, undefined, {
    showErrorAlert: false,
  });
}

/** Grafana's importPanelPlugin(): the module's exported PanelPlugin, with its meta. */
export async function importPanelPlugin(meta: PanelPluginMeta): Promise<PanelPlugin> {
  initSystemJS();
  const exports = await window.System.import(`${config.appSubUrl ?? ''}/${meta.module}`);
  if (!(exports.plugin instanceof PanelPlugin)) {
    throw new Error(`${meta.module} exports no PanelPlugin as \`plugin\``);
  }
  const plugin = exports.plugin as PanelPlugin;
  plugin.meta = meta;
  return plugin;
}

/** Grafana's importAppPlugin(). */
export async function importAppPlugin(meta: AppPluginMeta): Promise<AppPlugin> {
  initSystemJS();
  // resolveModulePath(): relative module paths are served under appSubUrl.
  const path =
    meta.module.startsWith('/') || meta.module.startsWith('http')
      ? meta.module
      : `${config.appSubUrl ?? ''}/${meta.module}`;
  const exports = await window.System.import(path);
  const plugin = exports.plugin instanceof AppPlugin ? exports.plugin : new AppPlugin();
  plugin.init(meta);
  plugin.meta = meta;
  plugin.setComponentsFromLegacyExports(exports);
  return plugin;
}
