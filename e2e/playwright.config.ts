// Browser tests (npm run test:e2e): Playwright's runner driving Debian's Chromium against the built
// plugin. Without GRAFANA_URL, global-setup.ts starts a real Tempo, the real sidecar replaying the
// demo history, and the test host that stands in for Grafana; with GRAFANA_URL the same specs run
// against that Grafana, logged in by @grafana/plugin-e2e's setup project. See docs/testing.md.
// The specs format expected values with the page's pure formatters, which use @grafana/data: load
// its CommonJS build, as the unit tests do (test/support/grafana-data-cjs.ts says why). Workers load
// this config too, so the hook is in place there before any spec.
import '../test/support/grafana-data-cjs.ts';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { defineConfig } from '@playwright/test';
import type { PluginOptions } from '@grafana/plugin-e2e';
import { launchOptions } from './support/chromium.ts';

const grafanaUrl = process.env.GRAFANA_URL?.replace(/\/+$/, '');
const grafanaUser = {
  user: process.env.GRAFANA_USER || 'admin',
  password: process.env.GRAFANA_PASSWORD || 'admin',
};
/** plugin-e2e's setup project that logs in (and creates GRAFANA_USER when it is not the admin). */
const pluginE2eAuth = () => `${dirname(createRequire(import.meta.url).resolve('@grafana/plugin-e2e'))}/auth`;

export default defineConfig<PluginOptions>({
  testDir: './specs',
  outputDir: '../test-results/e2e',
  globalSetup: './global-setup.ts',
  // The specs change the app's settings (one Grafana, one set of settings): one worker, in order.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    ...(grafanaUrl ? { baseURL: grafanaUrl, user: grafanaUser, grafanaAPICredentials: grafanaUser } : {}),
    launchOptions: launchOptions(),
    viewport: { width: 1440, height: 1000 },
    timezoneId: 'UTC',
    locale: 'en-US',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 20_000,
    navigationTimeout: 60_000,
  },
  projects: grafanaUrl
    ? [
        { name: 'auth', testDir: pluginE2eAuth(), testMatch: [/.*\.js/] },
        {
          name: 'chromium',
          dependencies: ['auth'],
          // plugin-e2e writes the session to this file; the name must not change.
          use: { browserName: 'chromium', storageState: `playwright/.auth/${grafanaUser.user}.json` },
        },
      ]
    : [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
