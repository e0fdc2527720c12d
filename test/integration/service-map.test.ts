import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApiError } from '../../src/review-model/code-review-api.ts';
import type { ServiceMapResponse } from '../../src/review-model/service-map-api.ts';
import {
  GATEWAY_CLIENT_ATTR,
  GATEWAY_ROUTE_ATTR,
  topologyTraces,
  type TopologyTrace,
} from '../../server/demo/service-topology.ts';
import { sendTopologySpans } from '../../server/demo/topology-otlp.ts';
import { ServiceMapService } from '../../server/query/service-map-query.ts';
import { TempoReader } from '../../server/query/tempo-reader.ts';
import { SidecarProcess } from '../support/sidecar.ts';
import { TempoServer } from '../support/tempo.ts';
import {
  clientRouteTruth,
  edgeTable,
  lines,
  serviceGraphTruth,
  serviceHopTruth,
  type TruthEdge,
} from '../support/topology-truth.ts';
import { waitFor } from '../support/wait.ts';

// The service map against the real Tempo: a topology generator writes traces through OTLP and
// records the edges it made; the sidecar's GET /api/servicemap, answered from one Tempo search,
// must give exactly those edges, with their call and error counts, for every strategy.

const work = mkdtempSync(join(tmpdir(), 'reviewtrace-map-'));
const NAMESPACE = 'servicemap-it';
const TRACES = 300;
let tempo: TempoServer;
let sidecar: SidecarProcess;
let traces: TopologyTrace[];
let from: number;
let to: number;

const inNamespace = `resource.service.namespace = "${NAMESPACE}"`;

async function map(params: Record<string, string>): Promise<ServiceMapResponse> {
  const search = new URLSearchParams({ from: String(from), to: String(to), ...params });
  const r = await fetch(`${sidecar.url}/api/servicemap?${search}`, {
    headers: { authorization: `Bearer ${sidecar.apiToken}` },
  });
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()) as ServiceMapResponse;
}

function assertEdges(what: string, got: ServiceMapResponse, truth: Map<string, TruthEdge>): void {
  const want = lines(truth);
  assert.deepEqual(lines(edgeTable(got.edges)), want, `${what}: every edge, with its calls, errors and traces`);
  process.stdout.write(
    `service-map ${what}: ${want.length} edges from ${got.traces} traces, ${got.spans} spans: match\n`,
  );
}

describe('service map on the real Tempo', { timeout: 600_000 }, () => {
  before(async () => {
    tempo = await TempoServer.start(join(work, 'tempo'));
    to = Date.now();
    from = to - 3_600_000;
    traces = [...topologyTraces({ seed: 11, traces: TRACES, startMs: from + 60_000, endMs: to - 120_000 })];
    await sendTopologySpans(
      tempo.otlpEndpoint,
      traces.flatMap((t) => t.spans),
      { namespace: NAMESPACE },
    );
    sidecar = await SidecarProcess.start(
      ['demo', '--changes', '40'],
      {
        REVIEWTRACE_DATA_DIR: join(work, 'sidecar'),
        REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint,
        REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
        REVIEWTRACE_QUERY__CACHE_SECONDS: '0',
      },
      join(work, 'sidecar.log'),
    );
    await sidecar.ready();
    // Tempo shows new traces in search within moments: wait until all of ours are there.
    const reader = new TempoReader(tempo.url, {}, 10_000);
    await waitFor(
      `Tempo to find all ${TRACES} generated traces`,
      async () => {
        const body = await reader.search(`{ ${inNamespace} && nestedSetParent = -1 }`, from, to, 5000, 1);
        return (body.traces?.length ?? 0) >= TRACES ? true : undefined;
      },
      120_000,
      500,
    );
  });

  after(async () => {
    await sidecar?.stop();
    await tempo?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('service graph (Tempo service-graphs semantics): every edge the generator made, with calls and errors', async () => {
    const got = await map({
      strategy: 'serviceGraph',
      filter: `{ ${inNamespace} && (span:kind = client || span:kind = server || span:kind = producer || span:kind = consumer) }`,
    });
    assert.equal(got.traces, TRACES);
    assert.deepEqual([got.wholeTraces, got.partialTraces], [0, 0]);
    assertEdges('serviceGraph', got, serviceGraphTruth(traces));
    const kinds = new Map(got.nodes.map((n) => [n.id, n.kind]));
    assert.deepEqual(
      ['user', 'catalog-db', 'stripe-api', 'api-gateway'].map((n) => kinds.get(n)),
      ['user', 'database', 'external', 'service'],
    );
  });

  it('parent → child by service.name: each hop, traces counted once per edge', async () => {
    const got = await map({ strategy: 'parentChild', tag: 'service.name', filter: `{ ${inNamespace} }` });
    assertEdges('parentChild', got, serviceHopTruth(traces));
  });

  it('attribute pair: app.client → http.route on the same span', async () => {
    const got = await map({
      strategy: 'attributePair',
      fromAttribute: GATEWAY_CLIENT_ATTR,
      toAttribute: GATEWAY_ROUTE_ATTR,
      filter: `{ ${inNamespace} && span.${GATEWAY_CLIENT_ATTR} != nil }`,
    });
    assertEdges('attributePair', got, clientRouteTruth(traces));
  });

  it('reads whole the traces a span-set limit cut short, and gets the same edges', async () => {
    const service = new ServiceMapService(new TempoReader(tempo.url, {}, 10_000), {
      cacheTtlMs: 0,
      spansPerSpanSet: 3,
      maxWholeTraces: 1000,
    });
    const got = await service.map(
      {
        from,
        to,
        strategy: 'serviceGraph',
        filter: `{ ${inNamespace} && (span:kind = client || span:kind = server || span:kind = producer || span:kind = consumer) }`,
      },
      Date.now(),
    );
    assert.ok(got.wholeTraces > 0, 'some traces were read whole');
    assertEdges('serviceGraph, spss 3', got, serviceGraphTruth(traces));
  });

  it('refuses a filter that is not a span-set filter, and says which parameter is wrong', async () => {
    for (const [params, field] of [
      [{ filter: '{ } | count() > 1' }, 'filter'],
      [{ strategy: 'parentChild', valueRegex: '(a+)+' }, 'valueRegex'],
      [{ tag: 'bad tag!' }, 'tag'],
      [{ nodeLimit: '0' }, 'nodeLimit'],
      [{ from: '0' }, 'from'],
    ] as const) {
      const search = new URLSearchParams({ from: String(from), to: String(to), ...params });
      const r = await fetch(`${sidecar.url}/api/servicemap?${search}`, {
        headers: { authorization: `Bearer ${sidecar.apiToken}` },
      });
      assert.equal(r.status, 400, JSON.stringify(params));
      const body = (await r.json()) as ApiError;
      assert.equal(body.code, 'bad_request');
      assert.match(body.error, new RegExp(field));
    }
    const unauthorized = await fetch(`${sidecar.url}/api/servicemap?from=${from}&to=${to}`);
    assert.equal(unauthorized.status, 401);
  });

  it('cuts the map at the node limit and says how much it left out', async () => {
    const got = await map({ strategy: 'parentChild', filter: `{ ${inNamespace} }`, nodeLimit: '5' });
    assert.equal(got.nodes.length, 5);
    assert.ok(got.truncated && got.truncated.nodes > 0 && got.truncated.edges > 0);
    const kept = new Set(got.nodes.map((n) => n.id));
    assert.ok(got.edges.every((e) => kept.has(e.source) && kept.has(e.target)));
  });

  it('who reviews whom on the demo review history (owner → reviewer on review spans)', async () => {
    const got = await waitFor('review spans in Tempo', async () => {
      // The demo history spreads its 40 changes over weeks before now.
      const m = await map({
        strategy: 'attributePair',
        from: String(Date.now() - 30 * 86_400_000),
        to: String(Date.now()),
      });
      return m.edges.length > 0 ? m : undefined;
    });
    assert.ok(got.nodes.every((n) => n.kind === 'value'));
    assert.ok(got.edges.every((e) => e.source !== e.target && e.stats.calls > 0 && e.type === 'pair'));
  });
});
