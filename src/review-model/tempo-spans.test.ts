import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildServiceMap } from './service-map.ts';
import {
  base64ToHex,
  parseSearchSpans,
  parseTraceSpans,
  type SearchResponseJson,
  type TraceResponseJson,
} from './tempo-spans.ts';

// Recorded from a real Tempo (2.8-dev) loaded with the demo topology (server/demo/service-topology.ts):
// a service-graph search (5 traces, spss 50), the same search cut by spss 3, and one trace by id.
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
const search = fixture<SearchResponseJson>('tempo-search-service-graph.json');
const cut = fixture<SearchResponseJson>('tempo-search-spss-cut.json');
const trace = fixture<TraceResponseJson>('tempo-trace-by-id.json');

describe("Tempo's JSON to spans", () => {
  it('reads every span of a search once, with kind, status, parent and service from the selected intrinsics', () => {
    const parsed = parseSearchSpans(search);
    const rawSpans = (search.traces ?? []).flatMap((t) => t.spanSet?.spans ?? []);
    assert.equal(parsed.traces, search.traces?.length);
    assert.equal(parsed.spans.length, rawSpans.length);
    assert.deepEqual(parsed.cutTraces, [], 'spss 50 cut nothing');
    assert.ok(parsed.spans.every((s) => s.traceId.length === 32 && s.spanId.length === 16));
    const roots = parsed.spans.filter((s) => s.parentSpanId === undefined);
    assert.equal(roots.length, search.traces?.length, 'one root per trace: 0000000000000000 means none');
    assert.ok(roots.every((s) => s.kind === 'server'));
    assert.ok(parsed.spans.every((s) => s.service !== undefined && s.kind !== 'unspecified'));
    const stripped = (search.traces ?? []).find((t) => (t.traceID ?? '').length < 32);
    assert.ok(stripped, 'the recording has a trace id with its leading zero stripped');
    assert.ok(parsed.spans.some((s) => s.traceId === `0${stripped.traceID}`));
    const db = parsed.spans.find((s) => s.attributes['db.system'] !== undefined);
    assert.ok(db && db.kind === 'client');
    assert.ok(parsed.spans.every((s) => s.durationMs > 0 && s.startMs > 1.7e12));
  });

  it('says which traces a span-set limit cut short', () => {
    const parsed = parseSearchSpans(cut);
    const expected = (cut.traces ?? [])
      .filter((t) => (t.spanSet?.matched ?? 0) > (t.spanSet?.spans?.length ?? 0))
      .map((t) => (t.traceID ?? '').padStart(32, '0'));
    assert.ok(expected.length > 0);
    assert.deepEqual(parsed.cutTraces, expected);
  });

  it('reads a whole trace by id (base64 ids, OTLP names) as the search would give it', () => {
    assert.equal(base64ToHex('H+XJTh+j1tM='), '1fe5c94e1fa3d6d3');
    const spans = parseTraceSpans(trace);
    const traceId = spans[0].traceId;
    const fromSearch = parseSearchSpans(search).spans.filter((s) => s.traceId === traceId);
    assert.ok(fromSearch.length > 0, 'the trace read by id is one of the search results');
    const shape = (s: (typeof spans)[number]) =>
      `${s.spanId}|${s.parentSpanId ?? '-'}|${s.service}|${s.kind}|${s.error}`;
    assert.deepEqual(spans.map(shape).sort(), fromSearch.map(shape).sort());
  });

  it('builds the same service graph from a search and from the same traces read whole', () => {
    const parsed = parseSearchSpans(search);
    const ids = [...new Set(parsed.spans.map((s) => s.traceId))];
    const one = ids.find((id) => id === parseTraceSpans(trace)[0].traceId);
    assert.ok(one);
    const edges = (spans: typeof parsed.spans) =>
      buildServiceMap(spans, { strategy: 'serviceGraph', rangeMs: 60_000 }).edges.map(
        (e) => `${e.id}:${e.stats.calls}`,
      );
    assert.deepEqual(edges(parseTraceSpans(trace)), edges(parsed.spans.filter((s) => s.traceId === one)));
  });
});
