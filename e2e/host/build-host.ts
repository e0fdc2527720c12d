// Builds the test host's browser bundle (e2e/host/app/) with webpack + swc into an ignored folder
// (node_modules/.cache/reviewtrace-e2e/host/ by default): host.js (+ host.css) holding the REAL react,
// react-dom, @grafana/data, @grafana/ui, @grafana/runtime, rxjs, @emotion/*, lodash and React Router
// that it hands to the plugin as SystemJS shared modules. Production mode (minified), so that the UI
// benchmark does not measure an unminified Grafana stand-in. webpack's filesystem cache makes a
// rebuild take a few seconds.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import TerserPlugin from 'terser-webpack-plugin';
import webpack from 'webpack';
import { swcRule } from '../../.config/webpack/swc-rule.ts';

const repo = new URL('../../', import.meta.url).pathname;

export const DEFAULT_HOST_BUNDLE_DIR = join(repo, 'node_modules/.cache/reviewtrace-e2e/host');

export async function buildHostBundle(outDir = DEFAULT_HOST_BUNDLE_DIR): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const compiler = webpack({
    mode: 'production',
    context: repo,
    entry: { host: join(repo, 'e2e/host/app/main.tsx') },
    devtool: false,
    output: {
      path: outDir,
      filename: '[name].js',
      cssFilename: '[name].css',
      clean: true,
      publicPath: '/public/build/',
    },
    experiments: { css: true },
    cache: {
      type: 'filesystem',
      cacheDirectory: join(repo, 'node_modules/.cache/reviewtrace-e2e/webpack'),
      buildDependencies: {
        config: [new URL(import.meta.url).pathname, join(repo, '.config/webpack/swc-rule.ts')],
      },
    },
    module: {
      rules: [
        swcRule(false),
        // Some dependencies of @grafana/ui import extensionless paths from ESM files.
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
      ],
    },
    resolve: { extensions: ['.tsx', '.ts', '.mjs', '.js', '.jsx', '.json'] },
    optimization: {
      minimize: true,
      minimizer: [new TerserPlugin({ minify: TerserPlugin.swcMinify, extractComments: false })],
    },
    performance: { hints: false },
    infrastructureLogging: { level: 'error' },
  });
  const stats = await new Promise<webpack.Stats>((resolve, reject) => {
    compiler.run((err, result) => {
      compiler.close(() => undefined);
      if (err || !result) {
        reject(err ?? new Error('webpack produced no result'));
      } else {
        resolve(result);
      }
    });
  });
  if (stats.hasErrors()) {
    const errors = stats.toJson({ all: false, errors: true }).errors ?? [];
    throw new Error(
      `building the test host bundle failed:\n${errors
        .slice(0, 5)
        .map((e) => e.message)
        .join('\n')}`,
    );
  }
  return outDir;
}
