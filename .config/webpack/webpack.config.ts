// The Grafana app plugin's build, after @grafana/create-plugin's .config/webpack/webpack.config.ts:
// webpack 5 + swc-loader, one AMD `module.js` per plugin that Grafana loads through SystemJS, Grafana's
// shared packages external (externals.ts), lazy chunks loaded from the plugin's public path.
// `npm run build` (production) and `npm run dev` (watch). Runs as TypeScript on Node >= 22.18 (type
// stripping), so it is erasable-only like the sidecar. Nothing is downloaded at build time.

import path from 'node:path';
import CopyWebpackPlugin from 'copy-webpack-plugin';
import TerserPlugin from 'terser-webpack-plugin';
import type { Configuration } from 'webpack';

import { externals } from './externals.ts';
import { swcRule } from './swc-rule.ts';
import {
  DIST_DIR,
  PLUGIN_README,
  ROOT_DIR,
  SOURCE_DIR,
  entries,
  fillPluginJson,
  fillReadme,
  nestedPlugins,
  pluginAssets,
  rootPluginJson,
  rootPluginJsonPath,
} from './plugin-files.ts';

type Env = Record<string, string | boolean | undefined>;

function copyPatterns(mode: string) {
  const toDist = (file: string) => path.relative(SOURCE_DIR, file);
  const nested = nestedPlugins();
  return [
    {
      from: rootPluginJsonPath,
      to: 'plugin.json',
      transform: (content: Buffer) => fillPluginJson(content.toString('utf8'), mode),
    },
    ...nested.map((n) => ({
      from: n.pluginJson,
      to: `${n.dir}/plugin.json`,
      transform: (content: Buffer) => fillPluginJson(content.toString('utf8'), mode),
    })),
    // The catalog's README (what Grafana's plugin page shows), not the repository's developer README.
    {
      from: PLUGIN_README,
      to: 'README.md',
      transform: (content: Buffer) => fillReadme(content.toString('utf8')),
    },
    // Grafana's plugin validator requires both in the archive; a missing one fails the build.
    { from: path.join(ROOT_DIR, 'CHANGELOG.md'), to: 'CHANGELOG.md' },
    { from: path.join(ROOT_DIR, 'LICENSE'), to: 'LICENSE', toType: 'file' as const },
    ...pluginAssets(rootPluginJsonPath, SOURCE_DIR).map((file) => ({ from: file, to: toDist(file) })),
    ...nested.flatMap((n) =>
      pluginAssets(n.pluginJson, path.dirname(n.module)).map((file) => ({ from: file, to: toDist(file) })),
    ),
  ];
}

export default function config(env: Env = {}): Configuration {
  const production = Boolean(env.production);
  const mode = production ? 'production' : 'development';
  return {
    mode,
    context: SOURCE_DIR,
    entry: entries(),
    devtool: production ? 'source-map' : 'eval-source-map',
    externals,
    cache: {
      type: 'filesystem',
      buildDependencies: {
        config: [
          import.meta.filename,
          path.join(import.meta.dirname, 'externals.ts'),
          path.join(import.meta.dirname, 'plugin-files.ts'),
        ],
      },
    },
    module: {
      rules: [
        // `import text from 'file?raw'`: the file's text as a string (the layout worker's code, which
        // runs from a Blob URL so it needs no URL of its own under the plugin's public path).
        { resourceQuery: /raw/, type: 'asset/source' },
        { ...swcRule(!production), resourceQuery: { not: [/raw/] } },
        {
          test: /\.(png|jpe?g|gif|svg)$/,
          type: 'asset/resource',
          generator: { filename: production ? '[hash][ext]' : '[file]' },
        },
      ],
    },
    optimization: {
      minimize: production,
      minimizer: [new TerserPlugin({ extractComments: false })],
    },
    output: {
      clean: true,
      path: DIST_DIR,
      filename: '[name].js',
      chunkFilename: production ? '[name].js?_cache=[contenthash]' : '[name].js',
      library: { type: 'amd' },
      // The default; src/public-path.ts replaces it at run time with the folder module.js came from
      // (a CDN or a sub-path), as create-plugin's grafana-public-path module does.
      publicPath: `public/plugins/${rootPluginJson.id}/`,
      uniqueName: rootPluginJson.id,
    },
    plugins: [new CopyWebpackPlugin({ patterns: copyPatterns(mode) })],
    resolve: {
      // Sources import each other with their .ts/.tsx extensions (as Node's type stripping needs).
      extensions: ['.js', '.jsx', '.ts', '.tsx'],
    },
    performance: { hints: false },
    watchOptions: { ignored: /node_modules|dist/ },
  };
}
