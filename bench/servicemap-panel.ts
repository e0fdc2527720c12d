import type { Page } from 'playwright-core';
import type { ServiceMapResponse } from '../src/review-model/service-map-api.ts';
import type { MapEdge, MapNode } from '../src/review-model/service-map.ts';
import { rng } from '../server/demo/random.ts';

// bench:ui's service-map panel part: a synthetic map of a given size, handed to the panel in place of
// the sidecar's answer (the rendering is measured here, not the search: bench:servicemap measures
// that), then the time from the answer's arrival to the first painted frame, and the frame times
// while zooming.

/** A layered-looking call graph: `nodes` services, `edges` distinct calls mostly from lower to higher ranks. */
export function syntheticMap(nodes: number, edges: number, seed = 1): ServiceMapResponse {
  const r = rng(seed);
  const ids = Array.from({ length: nodes }, (_, i) => `service-${String(i).padStart(4, '0')}`);
  const stats = (count: number) => ({
    count,
    ratePerSec: count / 3600,
    errors: Math.floor(count * r() * 0.05),
    errorShare: r() * 0.05,
    p50Ms: 5 + r() * 50,
    p95Ms: 60 + r() * 200,
  });
  const mapNodes: MapNode[] = ids.map((id) => ({
    id,
    title: id,
    kind: 'service',
    stats: stats(1 + Math.floor(r() * 5000)),
  }));
  const seen = new Set<string>();
  const mapEdges: MapEdge[] = [];
  while (mapEdges.length < edges) {
    const a = Math.floor(r() * (nodes - 1));
    const b = Math.min(nodes - 1, a + 1 + Math.floor(r() * Math.min(40, nodes - a - 1)));
    const id = `${ids[a]}>${ids[b]}`;
    if (seen.has(id)) {
      continue;
    }
    seen.add(id);
    const calls = 1 + Math.floor(r() * 2000);
    mapEdges.push({
      id,
      source: ids[a],
      target: ids[b],
      type: '',
      stats: { calls, traces: calls, errors: 0, errorShare: 0, ratePerSec: calls / 3600, p50Ms: 10, p95Ms: 90 },
    });
  }
  return {
    nodes: mapNodes,
    edges: mapEdges,
    traces: edges,
    spans: edges * 2,
    query: '{ } | select(…)',
    wholeTraces: 0,
    partialTraces: 0,
    traceLimitReached: false,
    asOfMs: Date.now(),
  };
}

/** Serves `map` as the sidecar's /api/servicemap answer to this page. */
export async function serveMap(page: Page, map: () => ServiceMapResponse): Promise<void> {
  await page.route('**/sidecar/api/servicemap?**', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(map()) }),
  );
}

/** Loads the panel; ms from the answer's arrival (responseEnd) to the first painted frame. */
export async function panelPaintRun(page: Page, url: string): Promise<number> {
  await page.goto(url);
  const handle = await page.waitForFunction(
    () => {
      const mark = performance.getEntriesByName('reviewtrace:servicemap:painted')[0];
      const answer = performance
        .getEntriesByType('resource')
        .find((e) => e.name.includes('/sidecar/api/servicemap?')) as PerformanceResourceTiming | undefined;
      return mark && answer ? mark.startTime - answer.responseEnd : undefined;
    },
    undefined,
    { timeout: 60_000, polling: 20 },
  );
  return (await handle.jsonValue()) as number;
}

/** Zooms in and out over the graph for about two seconds; the median and p95 frame time. */
export async function zoomFrames(page: Page): Promise<{ medianMs: number; p95Ms: number; frames: number }> {
  const graph = page.getByTestId('servicemap-graph');
  const box = await graph.boundingBox();
  if (!box) {
    throw new Error('no graph to zoom');
  }
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__frames = [];
    w.__recording = true;
    let last = performance.now();
    const tick = (t: number) => {
      w.__frames.push(t - last);
      last = t;
      if (w.__recording) {
        requestAnimationFrame(tick);
      }
    };
    requestAnimationFrame(tick);
  });
  for (let i = 0; i < 60; i += 1) {
    await page.mouse.wheel(0, i % 20 < 10 ? -120 : 120);
    await page.waitForTimeout(30);
  }
  const frames = await page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__recording = false;
    return w.__frames.slice(1);
  });
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
  return { medianMs: at(0.5), p95Ms: at(0.95), frames: frames.length };
}
