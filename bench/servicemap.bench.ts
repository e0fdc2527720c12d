// bench:servicemap — the service map from one Tempo search against the per-trace approach people use
// today (tta: list the tag's values, one search per value, then one GET per trace, sequentially),
// on the same 2,000 traces in a real Tempo, both measured in this run. Prints one JSON line.
//
//   npm run bench:servicemap [-- --traces 2000 --runs 3]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { topologyTraces } from '../server/demo/service-topology.ts';
import { sendTopologySpans } from '../server/demo/topology-otlp.ts';
import { ServiceMapService } from '../server/query/service-map-query.ts';
import { TempoReader } from '../server/query/tempo-reader.ts';
import { buildServiceMap, type MapSpan } from '../src/review-model/service-map.ts';
import { parseTraceSpans } from '../src/review-model/tempo-spans.ts';
import { TempoServer } from '../test/support/tempo.ts';
import { edgeTable, lines } from '../test/support/topology-truth.ts';
import { waitFor } from '../test/support/wait.ts';

const { values } = parseArgs({
  options: {
    traces: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
  },
});
const TRACES = Number(values.traces);
const RUNS = Number(values.runs);
const NAMESPACE = 'bench-servicemap';

const note = (msg: string) => process.stderr.write(`[bench:servicemap] ${msg}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const work = mkdtempSync(join(tmpdir(), 'reviewtrace-bench-map-'));
const tempo = await TempoServer.start(join(work, 'tempo'));
try {
  const to = Date.now();
  const from = to - 3_600_000;
  const generated = [...topologyTraces({ seed: 5, traces: TRACES, startMs: from + 60_000, endMs: to - 60_000 })];
  note(`sending ${TRACES} traces (${generated.reduce((n, t) => n + t.spans.length, 0)} spans) to Tempo`);
  await sendTopologySpans(
    tempo.otlpEndpoint,
    generated.flatMap((t) => t.spans),
    { namespace: NAMESPACE },
  );
  const reader = new TempoReader(tempo.url, {}, 60_000);
  const mine = `resource.service.namespace = "${NAMESPACE}"`;
  await waitFor(
    `Tempo to find all ${TRACES} traces`,
    async () => {
      const body = await reader.search(`{ ${mine} && nestedSetParent = -1 }`, from, to, TRACES * 2, 1);
      return (body.traces?.length ?? 0) >= TRACES ? true : undefined;
    },
    180_000,
    1000,
  );

  // Ours: GET /api/servicemap's logic, parent → child by service.name (tta's model), one search.
  const ours = async () => {
    const service = new ServiceMapService(reader, { cacheTtlMs: 0 });
    const t0 = performance.now();
    const map = await service.map(
      { from, to, strategy: 'parentChild', tag: 'service.name', filter: `{ ${mine} }`, traceLimit: TRACES * 2 },
      Date.now(),
    );
    return { ms: performance.now() - t0, map };
  };

  // The reference: the tag's values, one search per value, then each trace fetched whole, one GET
  // at a time. (tta fetches a trace once per value that found it; this reference fetches each
  // trace once, which only makes it faster.)
  const perTrace = async () => {
    const t0 = performance.now();
    const valuesUrl = `${tempo.url}/api/v2/search/tag/resource.service.name/values?${new URLSearchParams({
      q: `{ ${mine} }`,
      start: String(Math.floor(from / 1000)),
      end: String(Math.ceil(to / 1000)),
    })}`;
    const tagValues = ((await (await fetch(valuesUrl)).json()) as { tagValues?: { value: string }[] }).tagValues ?? [];
    const ids = new Set<string>();
    for (const v of tagValues) {
      const body = await reader.search(`{ ${mine} && resource.service.name = "${v.value}" }`, from, to, TRACES * 2, 1);
      for (const t of body.traces ?? []) {
        if (t.traceID) {
          ids.add(t.traceID.padStart(32, '0'));
        }
      }
    }
    const spans: MapSpan[] = [];
    for (const id of ids) {
      const body = await reader.traceJson(id);
      if (body) {
        spans.push(...parseTraceSpans(body));
      }
    }
    const map = buildServiceMap(spans, { strategy: 'parentChild', tag: 'service.name', rangeMs: to - from });
    return { ms: performance.now() - t0, map, values: tagValues.length, traces: ids.size };
  };

  const oursMs: number[] = [];
  const refMs: number[] = [];
  let identical = true;
  let last: { edges: number; spans: number; traces: number; values: number } = {
    edges: 0,
    spans: 0,
    traces: 0,
    values: 0,
  };
  for (let run = 1; run <= RUNS; run += 1) {
    const a = await ours();
    const b = await perTrace();
    oursMs.push(a.ms);
    refMs.push(b.ms);
    const same = JSON.stringify(lines(edgeTable(a.map.edges))) === JSON.stringify(lines(edgeTable(b.map.edges)));
    identical &&= same && a.map.traces === b.map.traces;
    last = { edges: a.map.edges.length, spans: a.map.spans, traces: a.map.traces, values: b.values };
    note(
      `run ${run}/${RUNS}: ours ${a.ms.toFixed(0)} ms (${a.map.traces} traces, ${a.map.spans} spans), per-trace ${b.ms.toFixed(0)} ms (${b.values} searches + ${b.traces} GETs), edges identical: ${same}`,
    );
  }
  const result = {
    bench: 'servicemap',
    traces: last.traces,
    spans: last.spans,
    edges: last.edges,
    oursMs: Math.round(median(oursMs)),
    perTraceFetchMs: Math.round(median(refMs)),
    ratio: Math.round((median(refMs) / median(oursMs)) * 10) / 10,
    edgesIdentical: identical,
    runs: RUNS,
    referenceSearches: last.values,
    oursMsAll: oursMs.map(Math.round),
    perTraceFetchMsAll: refMs.map(Math.round),
    node: process.version,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await tempo.stop();
  rmSync(work, { recursive: true, force: true });
}
