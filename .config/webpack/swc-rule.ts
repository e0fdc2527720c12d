// The swc-loader rule for TypeScript and TSX, shared by the plugin's build and the browser tests'
// Grafana stand-in (e2e/host/build-host.ts), so both compile the same way.
import type { RuleSetRule } from 'webpack';

export function swcRule(development: boolean): RuleSetRule {
  return {
    test: /\.[cm]?[jt]sx?$/,
    exclude: /node_modules/,
    use: {
      loader: 'swc-loader',
      options: {
        jsc: {
          target: 'es2020',
          parser: { syntax: 'typescript', tsx: true, decorators: false, dynamicImport: true },
          // The automatic runtime imports react/jsx-runtime, which Grafana shares (external).
          transform: { react: { runtime: 'automatic', development } },
        },
      },
    },
  };
}
