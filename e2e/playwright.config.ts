// Browser tests (npm run test:e2e): Playwright's runner driving Debian's Chromium against the built
// plugin. Without GRAFANA_URL, global-setup.ts starts a real Tempo, the real sidecar replaying the
// demo history, and the test host that stands in for Grafana; with GRAFANA_URL the same specs run
// against that Grafana. See docs/testing.md.
import { defineConfig } from '@playwright/test';
import { launchOptions } from './support/chromium.ts';

export default defineConfig({
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
    launchOptions: launchOptions(),
    viewport: { width: 1440, height: 1000 },
    timezoneId: 'UTC',
    locale: 'en-US',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 20_000,
    navigationTimeout: 60_000,
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
