// npm run bench:ui — one JSON line: how fast the Code Review page is in headless Chromium
// (playwright-core, Debian's chromium) against the test host (e2e/host/, Grafana's stand-in), the
// real sidecar and a real Tempo loaded by `reviewtrace-server demo --no-follow --changes 5000`.
//
//   listInteractiveMs  navigation start → the first change row is rendered AND a click on it has been
//                      handled (the row shows as selected). Median of --runs page loads.
//   waitingOnShownMs   on a loaded list, a click on "Waiting on" → the people's table is rendered and
//                      the next frame has started. Median of --runs.
//   timelineDrawnMs    a click on change 7 (40 patch sets) → all 40 patch set lanes of its timeline are
//                      in the DOM and the next frame has started. Median of --runs clicks, each on a
//                      freshly loaded page.
// Beside them, measured in the same runs: the /api/changes and /api/changes/7 requests themselves
// (Resource Timing in the page, through the host's plugin proxy), a plain navigation to a static page
// on the same host, the page's own load event (the host shell, before the plugin renders), and the
// time to scroll the virtualised list to its middle and see real rows there.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { TempoServer } from '../test/support/tempo.ts';
import { SidecarProcess } from '../test/support/sidecar.ts';
import { waitFor } from '../test/support/wait.ts';
import { buildHostBundle } from '../e2e/host/build-host.ts';
import { TestHost } from '../e2e/host/server.ts';
import { launchOptions } from '../e2e/support/chromium.ts';
import { panelPaintRun, serveMap, syntheticMap, zoomFrames } from './servicemap-panel.ts';
import type { SidecarStatus } from '../src/review-model/code-review-api.ts';
import {
  MARATHON_CHANGE,
  PLUGIN_ID,
  demoRangeMs,
  ensurePluginBuilt,
  newApiToken,
  startDemoSidecar,
  waitForDemoData,
} from '../e2e/support/stack.ts';

const { values } = parseArgs({
  options: {
    changes: { type: 'string', default: '5000' },
    runs: { type: 'string', default: '7' },
  },
});
const changes = Number(values.changes);
const runs = Math.max(5, Number(values.runs));
const ROW_HEIGHT = 36;

function note(line: string): void {
  process.stderr.write(`[bench:ui] ${line}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const round = (x: number) => Math.round(x * 10) / 10;

interface ListRun {
  firstRowMs: number;
  interactiveMs: number;
  loadEventMs: number;
  apiChangesMs: number;
  /** When the page sent its first /api/changes request (after the host shell and the plugin's chunks loaded). */
  apiChangesStartMs: number;
  total: number;
  /** The page's "Tempo could not be searched" warning, when it showed one. */
  tempoWarning?: string;
}

// Installed before the page's own scripts on every navigation (acting only on URLs with
// benchProbe=1, a parameter the page keeps but ignores): watches for the first real row, clicks it
// as soon as it is there (a task later) and records when the click took effect.
const LIST_PROBE = `(() => {
  if (!location.search.includes('benchProbe=1')) return;
  const b = (window.__bench = {});
  const rowSel = '[role="row"][data-testid^="change-row-"]:not([data-testid^="change-row-placeholder-"])';
  const observer = new MutationObserver(() => {
    if (b.firstRowAt === undefined) {
      const row = document.querySelector(rowSel);
      if (row) {
        b.firstRowAt = performance.now();
        b.rowId = row.getAttribute('data-testid');
        setTimeout(() => { b.clickedAt = performance.now(); row.click(); }, 0);
      }
    } else if (b.selectedAt === undefined && b.clickedAt !== undefined) {
      const row = document.querySelector('[data-testid="' + b.rowId + '"]');
      if (row && row.getAttribute('aria-selected') === 'true') {
        b.selectedAt = performance.now();
        requestAnimationFrame(() => { b.framedAt = performance.now(); });
      }
    }
  });
  const start = () => observer.observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-selected'] });
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, { once: true });
})();`;

async function listRun(page: Page, url: string): Promise<ListRun> {
  await page.goto(url, { waitUntil: 'commit' });
  const b = await page.waitForFunction(
    () => {
      const w = window as unknown as { __bench?: { framedAt?: number } };
      return w.__bench?.framedAt !== undefined ? w.__bench : undefined;
    },
    undefined,
    { timeout: 60_000, polling: 50 },
  );
  const bench = (await b.jsonValue()) as { firstRowAt: number; framedAt: number };
  const timing = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const apiEntries = performance.getEntriesByType('resource').filter((e) => e.name.includes('/sidecar/api/changes?'));
    const api = apiEntries.map((e) => e.duration);
    const apiStart = apiEntries.map((e) => e.startTime);
    const caption = document.querySelector('[data-testid="change-table-total"]')?.textContent ?? '';
    const warning = document.querySelector('[data-testid="tempo-warning"]')?.textContent ?? undefined;
    return {
      loadEventMs: nav?.loadEventEnd ?? 0,
      apiChangesMs: api[0] ?? NaN,
      apiChangesStartMs: apiStart[0] ?? NaN,
      caption,
      warning,
    };
  });
  return {
    firstRowMs: bench.firstRowAt,
    interactiveMs: bench.framedAt,
    loadEventMs: timing.loadEventMs,
    apiChangesMs: timing.apiChangesMs,
    apiChangesStartMs: timing.apiChangesStartMs,
    total: Number(timing.caption.trim().split(' ')[0].replace(/,/g, '')),
    tempoWarning: timing.warning,
  };
}

/** Scrolls the virtualised list to its middle; ms until a real (loaded) row is shown there. */
async function scrollRun(page: Page, total: number): Promise<number> {
  return page.evaluate(
    ({ index, rowHeight }) =>
      new Promise<number>((resolve, reject) => {
        const table = document.querySelector('[data-testid="change-table"]');
        const scroller = table?.firstElementChild as HTMLElement | null;
        if (!scroller) {
          reject(new Error('no scroll container'));
          return;
        }
        const t0 = performance.now();
        const found = () => {
          const rows = [...document.querySelectorAll('[role="row"][data-testid^="change-row-"]')];
          return rows.some(
            (r) =>
              !(r.getAttribute('data-testid') ?? '').startsWith('change-row-placeholder-') &&
              Math.abs(Number(r.getAttribute('aria-rowindex')) - 2 - index) < 30,
          );
        };
        const observer = new MutationObserver(() => {
          if (found()) {
            observer.disconnect();
            resolve(performance.now() - t0);
          }
        });
        observer.observe(table as Node, { subtree: true, childList: true, attributes: true });
        scroller.scrollTop = index * rowHeight;
        setTimeout(() => {
          observer.disconnect();
          reject(new Error('the list did not show rows after scrolling'));
        }, 30_000);
      }),
    { index: Math.floor(total / 2), rowHeight: ROW_HEIGHT },
  );
}

/**
 * On a loaded list, a click on "Waiting on" → the people's table is rendered (its first person row is
 * in the DOM and the next frame has started); and the /api/waiting request itself.
 */
async function waitingRun(page: Page, url: string): Promise<{ shownMs: number; apiWaitingMs: number }> {
  await page.goto(url);
  const toggle = page.getByTestId('waiting-on-toggle');
  await page.locator('[role="row"][data-testid^="change-row-"]').first().waitFor({ state: 'visible', timeout: 60_000 });
  await page.evaluate(() => {
    const w = window as unknown as { __wo?: { clickAt?: number; shownMs?: number } };
    const wo: { clickAt?: number; shownMs?: number } = {};
    w.__wo = wo;
    document
      .querySelector('[data-testid="waiting-on-toggle"]')
      ?.addEventListener('click', () => (wo.clickAt = performance.now()), { capture: true, once: true });
    const observer = new MutationObserver(() => {
      if (wo.clickAt !== undefined && document.querySelector('[data-testid^="waiting-on-person-"]')) {
        observer.disconnect();
        requestAnimationFrame(() => (wo.shownMs = performance.now() - (wo.clickAt ?? 0)));
      }
    });
    observer.observe(document.body, { subtree: true, childList: true });
  });
  await toggle.click();
  const handle = await page.waitForFunction(
    () => (window as unknown as { __wo?: { shownMs?: number } }).__wo?.shownMs,
    undefined,
    { timeout: 60_000, polling: 50 },
  );
  const shownMs = (await handle.jsonValue()) as number;
  const apiWaitingMs = await page.evaluate(
    () =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.includes('/sidecar/api/waiting?'))
        .map((e) => e.duration)[0] ?? NaN,
  );
  return { shownMs, apiWaitingMs };
}

async function timelineRun(page: Page, url: string): Promise<{ drawnMs: number; apiDetailMs: number }> {
  await page.goto(url);
  const row = page.getByTestId(`change-row-${MARATHON_CHANGE}`);
  await row.waitFor({ state: 'visible', timeout: 60_000 });
  await page.evaluate(
    (id) =>
      new Promise<void>((resolve) => {
        const w = window as unknown as { __tl?: { clickAt?: number; drawnMs?: number } };
        const tl: { clickAt?: number; drawnMs?: number } = {};
        w.__tl = tl;
        const el = document.querySelector(`[data-testid="change-row-${id}"]`);
        el?.addEventListener('click', () => (tl.clickAt = performance.now()), { capture: true, once: true });
        const observer = new MutationObserver(() => {
          if (
            tl.clickAt !== undefined &&
            document.querySelectorAll('[data-testid="timeline-panel"] g[data-kind="patchset"]').length >= 40
          ) {
            observer.disconnect();
            requestAnimationFrame(() => (tl.drawnMs = performance.now() - (tl.clickAt ?? 0)));
          }
        });
        observer.observe(document.body, { subtree: true, childList: true });
        resolve();
      }),
    MARATHON_CHANGE,
  );
  await row.click();
  const handle = await page.waitForFunction(
    () => (window as unknown as { __tl?: { drawnMs?: number } }).__tl?.drawnMs,
    undefined,
    { timeout: 60_000, polling: 50 },
  );
  const drawnMs = (await handle.jsonValue()) as number;
  const apiDetailMs = await page.evaluate(
    (id) =>
      performance
        .getEntriesByType('resource')
        .filter((e) => e.name.endsWith(`/sidecar/api/changes/${id}`))
        .map((e) => e.duration)[0] ?? NaN,
    MARATHON_CHANGE,
  );
  return { drawnMs, apiDetailMs };
}

async function staticRun(page: Page, url: string): Promise<number> {
  await page.goto(url, { waitUntil: 'load' });
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return nav?.loadEventEnd ?? NaN;
  });
}

async function main(): Promise<void> {
  const launch = launchOptions();
  await ensurePluginBuilt(note);
  const bundle = buildHostBundle();
  const work = mkdtempSync(join(tmpdir(), 'reviewtrace-bench-ui-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    note('starting Tempo');
    const tempo = await TempoServer.start(join(work, 'tempo'));
    stops.push(() => tempo.stop());
    const dir = join(work, 'sidecar');
    mkdirSync(dir, { recursive: true });
    const token = newApiToken();
    // The change index keeps what the test Tempo keeps (10 years): the demo history reaches back
    // further than the default year at 5,000 changes and more.
    const indexRetention = { REVIEWTRACE_INDEX__RETENTION_DAYS: '3650' };
    const loadStart = Date.now();
    note(`loading: reviewtrace-server demo --no-follow --changes ${changes}`);
    const loader = await SidecarProcess.start(
      ['demo', '--no-follow', '--changes', String(changes)],
      {
        REVIEWTRACE_DATABASE_PATH: join(dir, 'demo.db'),
        REVIEWTRACE_DATA_DIR: dir,
        REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint,
        REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
        REVIEWTRACE_HTTP__API_TOKEN: token,
        REVIEWTRACE_LOG__LEVEL: 'info',
        ...indexRetention,
      },
      join(dir, 'load.log'),
    );
    await waitFor(
      'demo --no-follow to export the history',
      () => (loader.process.running ? undefined : true),
      1_200_000,
      500,
    );
    if (loader.process.child.exitCode !== 0) {
      throw new Error(`demo --no-follow exited with ${loader.process.child.exitCode}; see ${loader.process.logPath}`);
    }
    const loadMs = Date.now() - loadStart;
    // The same database, following: it adds nothing (every span is in its ledger) and serves the API.
    note('serving: reviewtrace-server demo (same database)');
    const demo = await startDemoSidecar(tempo, dir, 'serve', ['--changes', String(changes)], token, {
      REVIEWTRACE_DATABASE_PATH: join(dir, 'demo.db'),
      ...indexRetention,
    });
    stops.push(() => demo.sidecar.stop());
    const index = await waitFor(
      'the change index to be complete',
      async () => {
        const status = (await (await fetch(`${demo.url}/ready`)).json()) as SidecarStatus;
        return status.changeIndex?.state === 'rebuilding' ? undefined : status.changeIndex;
      },
      1_200_000,
      1000,
    );
    note(`change index: ${index?.state ?? 'not reported'}, ${index?.changes ?? 0} closed changes`);
    const rangeMs = demoRangeMs(changes);
    const apiTotal = await waitForDemoData(demo, rangeMs, 600_000);
    note(`${apiTotal} changes in range`);

    const host = await TestHost.start({
      bundleDir: await bundle,
      pluginDist: process.env.E2E_PLUGIN_DIST || undefined,
      settings: {
        jsonData: { sidecarUrl: demo.url, tempoDatasourceUid: 'tempo' },
        secureJsonData: { apiToken: token },
      },
    });
    stops.push(() => host.stop());

    const browser = await chromium.launch(launch);
    stops.push(() => browser.close());
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: 'UTC' });
    await context.addInitScript(LIST_PROBE);
    const page = await context.newPage();
    const days = Math.ceil(rangeMs / 86_400_000);
    const listUrl = `${host.url}/a/${PLUGIN_ID}/?from=now-${days}d&to=now&sort=number&dir=asc`;
    const probedListUrl = `${listUrl}&benchProbe=1`;
    const staticUrl = `${host.url}/static/blank.html`;

    note('warm-up');
    const warm = await listRun(page, probedListUrl);
    if (warm.total <= 0) {
      throw new Error('the list shows no changes');
    }
    const lists: ListRun[] = [];
    // Page loads that did not show every change (the sidecar could not search Tempo): reported, not timed.
    const degraded: string[] = [];
    const scrolls: number[] = [];
    const timelines: Array<{ drawnMs: number; apiDetailMs: number }> = [];
    const waitings: Array<{ shownMs: number; apiWaitingMs: number }> = [];
    const statics: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      let l = await listRun(page, probedListUrl);
      while (l.total !== apiTotal) {
        degraded.push(`${l.total} of ${apiTotal} changes shown${l.tempoWarning ? `: ${l.tempoWarning}` : ''}`);
        note(`run ${i + 1}: ${degraded[degraded.length - 1]} — loading again`);
        if (degraded.length > runs) {
          throw new Error(`too many incomplete page loads: ${degraded.join(' | ')}`);
        }
        l = await listRun(page, probedListUrl);
      }
      lists.push(l);
      scrolls.push(await scrollRun(page, l.total));
      timelines.push(await timelineRun(page, listUrl));
      waitings.push(await waitingRun(page, listUrl));
      statics.push(await staticRun(page, staticUrl));
      note(
        `run ${i + 1}/${runs}: list ${round(l.interactiveMs)} ms (first row ${round(l.firstRowMs)}, /api/changes ${round(l.apiChangesMs)}), timeline ${round(timelines[i].drawnMs)} ms, waiting on ${round(waitings[i].shownMs)} ms`,
      );
    }
    // The service-map panel: first paint of 500 nodes / 1,500 edges, frames while zooming 1,000 / 3,000.
    const panelPage = await context.newPage();
    let servedMap = syntheticMap(500, 1500);
    await serveMap(panelPage, () => servedMap);
    const panelUrl = (n: number) =>
      `${host.url}/d-solo/panel/reviewtrace-servicemap-panel?${new URLSearchParams({
        options: JSON.stringify({ strategy: 'serviceGraph', layout: 'layered' }),
        from: 'now-1h',
        to: 'now',
        width: '1400',
        height: '900',
        run: String(n),
      }).toString()}`;
    await panelPaintRun(panelPage, panelUrl(0));
    const paints: number[] = [];
    for (let i = 1; i <= runs; i += 1) {
      paints.push(await panelPaintRun(panelPage, panelUrl(i)));
    }
    note(`service map 500/1,500: first paint ${paints.map(round).join(', ')} ms`);
    servedMap = syntheticMap(1000, 3000, 2);
    await panelPaintRun(panelPage, panelUrl(runs + 1));
    await panelPage.waitForTimeout(1000);
    const zoom = await zoomFrames(panelPage);
    note(
      `service map 1,000/3,000: zoom frames median ${round(zoom.medianMs)} ms, p95 ${round(zoom.p95Ms)} ms (${zoom.frames} frames)`,
    );
    // Where the list's closed changes came from (the change index, or a Tempo search), as the page got them.
    const answerNow = Date.now();
    const listSources = (
      (await (
        await fetch(`${demo.url}/api/changes?from=${answerNow - days * 86_400_000}&to=${answerNow}&limit=1`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { sources: unknown }
    ).sources;
    const chromiumVersion = browser.version();
    const result = {
      bench: 'ui',
      changes: lists[0].total,
      demoChanges: changes,
      listInteractiveMs: round(median(lists.map((l) => l.interactiveMs))),
      timelineDrawnMs: round(median(timelines.map((t) => t.drawnMs))),
      waitingOnShownMs: round(median(waitings.map((w) => w.shownMs))),
      runs,
      serviceMapPaintMs: round(median(paints)),
      serviceMapZoomFrameMs: round(zoom.medianMs),
      targets: {
        listInteractiveMs: 1500,
        timelineDrawnMs: 300,
        waitingOnShownMs: 1000,
        serviceMapPaintMs: 500,
        serviceMapZoomFrameMs: 33,
      },
      serviceMap: {
        paintNodes: 500,
        paintEdges: 1500,
        paintMsAll: paints.map(round),
        zoomNodes: 1000,
        zoomEdges: 3000,
        zoomFrameP95Ms: round(zoom.p95Ms),
        zoomFrames: zoom.frames,
      },
      firstRowMs: round(median(lists.map((l) => l.firstRowMs))),
      scrollToMiddleMs: round(median(scrolls)),
      reference: {
        apiChangesMs: round(median(lists.map((l) => l.apiChangesMs))),
        apiChangesSentAtMs: round(median(lists.map((l) => l.apiChangesStartMs))),
        apiChangeDetailMs: round(median(timelines.map((t) => t.apiDetailMs))),
        apiWaitingMs: round(median(waitings.map((w) => w.apiWaitingMs))),
        staticPageLoadMs: round(median(statics)),
        hostPageLoadEventMs: round(median(lists.map((l) => l.loadEventMs))),
      },
      listSources,
      incompleteLoads: degraded,
      listInteractiveMsAll: lists.map((l) => round(l.interactiveMs)),
      timelineDrawnMsAll: timelines.map((t) => round(t.drawnMs)),
      loadHistoryMs: loadMs,
      chromium: chromiumVersion,
      node: process.version,
      plugin: JSON.parse(readFileSync(join(host.pluginDist, 'plugin.json'), 'utf8')).info?.version as string,
    };
    console.log(JSON.stringify(result));
  } finally {
    for (const stop of stops.reverse()) {
      await stop().catch(() => undefined);
    }
    // The logs of Tempo and the sidecars stay in test-results/ (ignored by git).
    const logs = new URL('../test-results/bench-ui-logs/', import.meta.url).pathname;
    rmSync(logs, { recursive: true, force: true });
    mkdirSync(logs, { recursive: true });
    for (const entry of readdirSync(work, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.log')) {
        cpSync(join(entry.parentPath, entry.name), join(logs, entry.name));
      }
    }
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
