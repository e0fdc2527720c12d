// What the specs share: where things are (set by global-setup.ts), the app's settings through
// Grafana's settings API (restored after every test), navigation to the app's pages (`app`), and
// readers for the change table. Works the same against the test host and a real Grafana: against a
// real Grafana (GRAFANA_URL) the test is @grafana/plugin-e2e's, which logs in (playwright.config.ts)
// and navigates with Grafana's page objects; the test host has no Grafana API behind those
// fixtures, so there the test is Playwright's own.
import { test as grafanaTest } from '@grafana/plugin-e2e';
import { test as playwrightTest, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { testIds } from '../../src/test-ids.ts';
import type { ChangeDetailResponse, ChangeListResponse } from '../../src/review-model/code-review-api.ts';

export { expect };
export const PLUGIN_ID = 'reviewtrace-codereview-app';
export const ids = testIds;

export interface SidecarRef {
  /** As the test runner reaches it. */
  url: string;
  token: string;
}

export interface E2eEnv {
  mode: 'host' | 'grafana';
  baseURL: string;
  /** The demo sidecar, as the tests reach it. */
  sidecar: SidecarRef;
  /** The demo sidecar's URL as Grafana's server (or the test host) reaches it. */
  grafanaSidecarUrl: string;
  /** A sidecar on an empty database (host mode; in Grafana mode only when E2E_EMPTY_SIDECAR_URL is set). */
  emptySidecar?: SidecarRef;
}

export function requiredEnv(name: string): string {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set: run the specs through npm run test:e2e (global-setup.ts sets it)`);
  }
  return v;
}

export function e2eEnv(): E2eEnv {
  const empty = process.env.E2E_EMPTY_SIDECAR_URL;
  return {
    mode: process.env.E2E_MODE === 'grafana' ? 'grafana' : 'host',
    baseURL: requiredEnv('E2E_BASE_URL'),
    sidecar: { url: requiredEnv('E2E_SIDECAR_URL'), token: requiredEnv('E2E_SIDECAR_TOKEN') },
    grafanaSidecarUrl: requiredEnv('E2E_GRAFANA_SIDECAR_URL'),
    emptySidecar: empty ? { url: empty, token: requiredEnv('E2E_EMPTY_SIDECAR_TOKEN') } : undefined,
  };
}

export interface AppSettings {
  sidecarUrl: string;
  apiToken?: string;
  tempoDatasourceUid?: string;
}

/** POST /api/plugins/<id>/settings, as the config page does (Grafana's API; the host implements it). */
export async function setAppSettings(request: APIRequestContext, s: AppSettings): Promise<void> {
  const r = await request.post(`/api/plugins/${PLUGIN_ID}/settings`, {
    data: {
      enabled: true,
      pinned: true,
      jsonData: { sidecarUrl: s.sidecarUrl, tempoDatasourceUid: s.tempoDatasourceUid ?? 'tempo' },
      ...(s.apiToken === undefined ? {} : { secureJsonData: { apiToken: s.apiToken } }),
    },
  });
  expect(r.ok(), `saving the app settings: HTTP ${r.status()} ${await r.text()}`).toBeTruthy();
}

export async function getAppSettings(request: APIRequestContext): Promise<Record<string, unknown>> {
  const r = await request.get(`/api/plugins/${PLUGIN_ID}/settings`);
  expect(r.ok(), `reading the app settings: HTTP ${r.status()}`).toBeTruthy();
  return (await r.json()) as Record<string, unknown>;
}

/** The sidecar's query API, read directly (what the page must show). */
export async function sidecarGet<T>(s: SidecarRef, path: string): Promise<T> {
  const r = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${s.token}` } });
  if (!r.ok) {
    throw new Error(`sidecar ${path}: HTTP ${r.status} ${await r.text()}`);
  }
  return (await r.json()) as T;
}

export function listApi(s: SidecarRef, query: Record<string, string | number | string[]>): Promise<ChangeListResponse> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      qs.append(k, String(x));
    }
  }
  return sidecarGet<ChangeListResponse>(s, `/api/changes?${qs.toString()}`);
}

export function detailApi(s: SidecarRef, change: number): Promise<ChangeDetailResponse> {
  return sidecarGet<ChangeDetailResponse>(s, `/api/changes/${change}`);
}

/** An absolute range (epoch ms in the URL, which the page accepts) so that the page and the API agree. */
export function rangeDays(days: number, endMs = Date.now()): { from: number; to: number } {
  const to = Math.ceil(endMs / 60_000) * 60_000;
  return { from: to - days * 86_400_000, to };
}

/**
 * Like rangeDays, but ending five minutes ago: the demo keeps writing traces, so a range that reaches
 * "now" holds more spans when the page asks than when the test asked the API a moment earlier.
 */
export function settledRangeDays(days: number): { from: number; to: number } {
  return rangeDays(days, Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000);
}

function search(query: Record<string, string | number | string[]>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    for (const x of Array.isArray(v) ? v : [v]) {
      qs.append(k, String(x));
    }
  }
  const s = qs.toString();
  return s ? `?${s}` : '';
}

async function failOnHostError(page: Page, ready: string): Promise<void> {
  const hostError = page.getByTestId('host-plugin-error');
  await expect(page.getByTestId(ready).or(hostError).first()).toBeVisible({ timeout: 60_000 });
  if (await hostError.isVisible()) {
    throw new Error(`the plugin did not load: ${await hostError.innerText()}`);
  }
}

/** Opens the app's pages and waits until the plugin has rendered them. */
export interface AppNavigation {
  /** The Code Review page (/a/<app id>/) with a query string. */
  gotoCodeReview(query?: Record<string, string | number | string[]>): Promise<void>;
  /** The app's configuration page (/plugins/<app id>?page=configuration). */
  gotoConfig(): Promise<void>;
  /**
   * The service-map panel as a dashboard renders it, with these options over [from, to]. Against a
   * real Grafana only the provisioned overview dashboard's panels can be opened (by strategy).
   */
  gotoServiceMap(
    options: Record<string, unknown>,
    range: { from: number; to: number },
    size?: { width: number; height: number },
  ): Promise<void>;
}

export const PANEL_ID = 'reviewtrace-servicemap-panel';

/** What the service-map panel shows when it is done: the graph, or one of its states. */
export async function serviceMapSettled(page: Page, orElse?: Locator): Promise<void> {
  const s = ids.serviceMap;
  let done = page.getByTestId(s.panel).or(page.getByTestId(s.error)).or(page.getByTestId(s.noData));
  if (orElse) {
    done = done.or(orElse);
  }
  await expect(done.first()).toBeVisible({ timeout: 60_000 });
}

const hostTest = playwrightTest.extend<{ app: AppNavigation }>({
  app: async ({ page }, use) => {
    await use({
      gotoCodeReview: async (query = {}) => {
        await page.goto(`/a/${PLUGIN_ID}/${search(query)}`);
        await failOnHostError(page, ids.codeReview.page);
      },
      gotoConfig: async () => {
        await page.goto(`/plugins/${PLUGIN_ID}?page=configuration`);
        await failOnHostError(page, ids.config.form);
      },
      gotoServiceMap: async (options, range, size = { width: 1200, height: 700 }) => {
        const q = new URLSearchParams({
          options: JSON.stringify(options),
          from: String(range.from),
          to: String(range.to),
          width: String(size.width),
          height: String(size.height),
        });
        await page.goto(`/d-solo/panel/${PANEL_ID}?${q.toString()}`);
        const hostError = page.getByTestId('host-plugin-error');
        await serviceMapSettled(page, hostError);
        if (await hostError.isVisible()) {
          throw new Error(`the panel did not load: ${await hostError.innerText()}`);
        }
      },
    });
  },
});

const grafanaAppTest = grafanaTest.extend<{ app: AppNavigation }>({
  app: async ({ page, gotoAppPage, gotoAppConfigPage }, use) => {
    await use({
      gotoCodeReview: async (query = {}) => {
        await gotoAppPage({ pluginId: PLUGIN_ID, queryParams: new URLSearchParams(search(query)) });
        await expect(page.getByTestId(ids.codeReview.page)).toBeVisible({ timeout: 60_000 });
      },
      gotoConfig: async () => {
        await gotoAppConfigPage({ pluginId: PLUGIN_ID });
        await expect(page.getByTestId(ids.config.form)).toBeVisible({ timeout: 60_000 });
      },
      gotoServiceMap: async (options, range) => {
        // The provisioned overview dashboard: panel 31 is the demo service map, 32 who reviews whom.
        const panelId = options.strategy === 'attributePair' ? 32 : 31;
        await page.goto(`/d-solo/reviewtrace-overview?panelId=${panelId}&from=${range.from}&to=${range.to}`);
        await serviceMapSettled(page);
      },
    });
  },
});

// Both give the specs the same fixtures (Playwright's and `app`); plugin-e2e's own are used only in
// grafanaAppTest above.
const base = (process.env.GRAFANA_URL ? grafanaAppTest : hostTest) as unknown as typeof hostTest;

export interface RowInfo {
  number: number;
  cells: string[];
}

/** The rendered (non-placeholder) rows of the change table in display order. */
export async function visibleRows(page: Page): Promise<RowInfo[]> {
  return page.getByTestId(ids.codeReview.table).evaluate((table) => {
    const rows = [...table.querySelectorAll('[role="row"][data-testid^="change-row-"]')].filter(
      (r) => !(r.getAttribute('data-testid') ?? '').startsWith('change-row-placeholder-'),
    );
    return rows
      .map((r) => ({
        index: Number(r.getAttribute('aria-rowindex')),
        number: Number((r.getAttribute('data-testid') ?? '').replace('change-row-', '')),
        cells: [...r.querySelectorAll('[role="cell"]')].map((c) => (c.textContent ?? '').trim()),
      }))
      .sort((a, b) => a.index - b.index)
      .map(({ number, cells }) => ({ number, cells }));
  });
}

/** A count as the page shows it ("5,000") as a number. */
export function countOf(text: string): number {
  return Number(text.replace(/[^0-9]/g, ''));
}

/* eslint-disable no-empty-pattern -- Playwright fixtures take their dependencies as a destructured object */
export const test = base.extend<{ env: E2eEnv; restoreSettings: undefined }>({
  env: async ({}, use) => {
    await use(e2eEnv());
  },
  baseURL: async ({}, use) => {
    await use(e2eEnv().baseURL);
  },
  extraHTTPHeaders: async ({}, use) => {
    const user = process.env.GRAFANA_USER;
    const password = process.env.GRAFANA_PASSWORD;
    await use(
      process.env.E2E_MODE === 'grafana' && user && password
        ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
        : {},
    );
  },
  // Every test starts and ends with the app pointed at the demo sidecar with the right token.
  restoreSettings: [
    async ({ request, env }, use) => {
      const defaults = { sidecarUrl: env.grafanaSidecarUrl, apiToken: env.sidecar.token };
      await setAppSettings(request, defaults);
      await use(undefined);
      await setAppSettings(request, defaults);
    },
    { auto: true },
  ],
});
/* eslint-enable no-empty-pattern */
