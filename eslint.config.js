import { builtinModules } from 'node:module';
import js from '@eslint/js';
import grafanaConfig from '@grafana/eslint-config';
import prettier from 'eslint-config-prettier';
import react from 'eslint-plugin-react';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The Grafana plugin's sources: browser code, React and TSX. src/review-model is the sidecar's too,
// and keeps the repository's rules only.
const PLUGIN_FILES = ['src/**/*.{ts,tsx}'];
const NOT_PLUGIN = ['src/review-model/**'];
// Framework-free code (shared with the sidecar, or the plugin's pure logic with node --test tests).
const FRAMEWORK_FREE = ['src/review-model/**', 'src/view-model/**', 'src/test-ids.ts'];
// The sidecar's share of it may not use Grafana's packages at all; the plugin's view logic may use
// @grafana/data's pure utilities (date math, time zones, formatting; node --test loads them
// through test/support/grafana-data-cjs.ts) and @grafana/schema's types.
const SHARED_WITH_SIDECAR = ['src/review-model/**', 'src/test-ids.ts'];

// Import rules (no-restricted-imports; for a file, the last block that matches it wins, so each
// block lists everything that applies to its files).
const GRAFANA_SHARED_PATHS = [
  'moment',
  {
    name: 'react-router-dom',
    message:
      "Grafana shares react-router-dom as v5: import React Router v6 APIs from 'react-router' (external) instead.",
  },
];
/** The plugin runs in the browser (tests beside it run in Node and are exempt). */
const NO_NODE = { regex: `^(node:|(${builtinModules.join('|')})(/|$))`, message: 'Browser code: no Node modules.' };
const FRAMEWORKS = ['react', 'react-*', 'react/*', '@grafana/*', '@emotion/*', 'rxjs'];
const NOT_FRAMEWORK_FREE = {
  group: [...FRAMEWORKS, '!@grafana/data', '!@grafana/schema'],
  message: 'Framework-free module: no React, @grafana/ui or runtime, emotion or rxjs.',
};
const NOT_SHARED = { group: FRAMEWORKS, message: 'Shared with the sidecar: no framework or Grafana package.' };
const TESTS = ['**/*.test.ts'];
const restrict = (patterns, paths = []) => ['error', { paths, patterns }];

// @grafana/eslint-config (v10) is a flat config meant for a whole plugin repository. Here it applies to
// the plugin's sources only, and uses typescript-eslint's plugin instance (the same package, but
// ESLint refuses two objects under one plugin name).
const grafanaForPlugin = grafanaConfig.map((config) => ({
  ...config,
  files: PLUGIN_FILES,
  ignores: NOT_PLUGIN,
  ...(config.plugins?.['@typescript-eslint']
    ? { plugins: { ...config.plugins, '@typescript-eslint': tseslint.plugin } }
    : {}),
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-results/', '.data/'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-console': 'error',
    },
  },
  {
    // Open-change state is plain JSON (persisted and served as-is), so its maps are records.
    files: ['server/mapping/change-mapper.ts'],
    rules: { '@typescript-eslint/no-dynamic-delete': 'off' },
  },
  {
    // A benchmark's output is its one JSON line on stdout.
    files: ['bench/**'],
    rules: { 'no-console': 'off' },
  },
  // The Grafana app plugin (src/): Grafana's rules, React, the rules of hooks.
  ...grafanaForPlugin,
  { ...react.configs.flat['jsx-runtime'], files: PLUGIN_FILES, ignores: NOT_PLUGIN },
  {
    files: PLUGIN_FILES,
    ignores: NOT_PLUGIN,
    plugins: { 'react-hooks': reactHooks },
    languageOptions: {
      globals: { ...globals.browser },
      ecmaVersion: 'latest',
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: { react: { version: '19.0' } },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      'react-hooks/exhaustive-deps': 'error',
      'react/prop-types': 'off',
      // The repository's stricter choices win over Grafana's where they differ.
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      // Grafana's public APIs only: deprecated ones go away in the next major.
      '@typescript-eslint/no-deprecated': 'error',
      'no-restricted-imports': restrict([NO_NODE], GRAFANA_SHARED_PATHS),
    },
  },
  { files: TESTS, rules: { 'no-restricted-imports': 'off' } },
  {
    // Pure logic stays free of React and Grafana's UI: node --test runs it.
    files: FRAMEWORK_FREE,
    rules: { 'no-restricted-imports': restrict([NOT_FRAMEWORK_FREE, NO_NODE]) },
  },
  {
    // What the sidecar imports uses no Grafana package: the sidecar does not ship them.
    files: SHARED_WITH_SIDECAR,
    rules: { 'no-restricted-imports': restrict([NOT_SHARED, NO_NODE]) },
  },
  {
    files: FRAMEWORK_FREE.map((f) => (f.endsWith('**') ? `${f}/*.test.ts` : f)),
    ignores: ['src/test-ids.ts'],
    rules: { 'no-restricted-imports': restrict([NOT_FRAMEWORK_FREE]) },
  },
  {
    // The sidecar shares only the framework-free folder with the plugin.
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict([
        {
          regex: '/src/(?!review-model/)',
          message: 'The sidecar imports only src/review-model/ of the plugin (docs/architecture.md, "Layout").',
        },
        { group: FRAMEWORKS, message: 'The sidecar does not ship the plugin’s frameworks.' },
      ]),
    },
  },
  prettier,
);
