import fs from 'node:fs';
import path from 'node:path';

// What goes into dist/ besides the bundles: every plugin.json (the app's at the repository root,
// nested plugins' beside their module.tsx under src/), with %VERSION%, %TODAY% and %PLUGIN_ID%
// filled in and `buildMode` added (as @grafana/create-plugin does), the plugin's own README
// (src/README.md, shown in Grafana's plugin catalog; the repository's README.md is for developers),
// CHANGELOG.md, LICENSE, and the logos and screenshots each plugin.json names.

export const ROOT_DIR = process.cwd();
export const SOURCE_DIR = path.join(ROOT_DIR, 'src');
export const DIST_DIR = path.join(ROOT_DIR, 'dist');
export const PLUGIN_README = path.join(SOURCE_DIR, 'README.md');

interface PluginJson {
  id: string;
  info?: { logos?: { small?: string; large?: string }; screenshots?: Array<{ path: string }> };
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export const rootPluginJsonPath = path.join(ROOT_DIR, 'plugin.json');
export const rootPluginJson = readJson<PluginJson>(rootPluginJsonPath);
export const packageVersion = readJson<{ version: string }>(path.join(ROOT_DIR, 'package.json')).version;

/** Nested plugins (e.g. a panel shipped inside the app): src/<dir>/plugin.json beside src/<dir>/module.ts(x). */
export function nestedPlugins(): Array<{ dir: string; pluginJson: string; module: string }> {
  const found: Array<{ dir: string; pluginJson: string; module: string }> = [];
  for (const rel of fs.globSync('**/plugin.json', { cwd: SOURCE_DIR })) {
    const dir = path.dirname(rel);
    const module = ['module.tsx', 'module.ts'].map((m) => path.join(SOURCE_DIR, dir, m)).find((m) => fs.existsSync(m));
    if (dir !== '.' && module) {
      found.push({ dir, pluginJson: path.join(SOURCE_DIR, rel), module });
    }
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

/** webpack entries: `module` for the app, `<dir>/module` for each nested plugin. */
export function entries(): Record<string, string> {
  const result: Record<string, string> = { module: path.join(SOURCE_DIR, 'module.tsx') };
  for (const nested of nestedPlugins()) {
    result[`${nested.dir}/module`] = nested.module;
  }
  return result;
}

export function fillPluginJson(text: string, mode: string, today = new Date()): string {
  const filled = text
    .replaceAll('%VERSION%', packageVersion)
    .replaceAll('%TODAY%', today.toISOString().slice(0, 10))
    .replaceAll('%PLUGIN_ID%', rootPluginJson.id);
  return `${JSON.stringify({ ...(JSON.parse(filled) as object), buildMode: mode }, null, 2)}\n`;
}

export function fillReadme(text: string): string {
  return text.replaceAll('%VERSION%', packageVersion).replaceAll('%PLUGIN_ID%', rootPluginJson.id);
}

/** Logos and screenshots named by a plugin.json, relative to the folder of its module. */
export function pluginAssets(pluginJsonFile: string, moduleDir: string): string[] {
  const json = readJson<PluginJson>(pluginJsonFile);
  const logos = [json.info?.logos?.small, json.info?.logos?.large];
  const screenshots = (json.info?.screenshots ?? []).map((s) => s.path);
  return [...new Set([...logos, ...screenshots].filter((p): p is string => Boolean(p)))].map((p) =>
    path.join(moduleDir, p),
  );
}
