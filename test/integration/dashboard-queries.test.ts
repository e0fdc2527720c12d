import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChangeDetailResponse, ChangeListResponse, TimelineBar } from '../../src/review-model/code-review-api.ts';
import { SidecarProcess } from '../support/sidecar.ts';
import { TempoServer } from '../support/tempo.ts';
import { removeTestDir } from '../support/test-dirs.ts';
import { waitFor } from '../support/wait.ts';

// Every query of the provisioned "Code review overview" dashboard, sent to a real Tempo loaded with
// the demo history the way Grafana's Tempo data source sends it (TraceQL metrics instant and range
// queries, TraceQL searches for the tables), checked against what the sidecar's query API says
// about the same range. A panel without a check here fails the test: a new panel needs one.

const DASHBOARD = new URL('../../provisioning/dashboards/code-review-overview.json', import.meta.url);
const DAY = 86_400_000;
const work = mkdtempSync(join(tmpdir(), 'reviewtrace-dashboard-'));
let tempo: TempoServer;
let sidecar: SidecarProcess;
let range: { from: number; to: number };

interface Target {
  refId: string;
  query: string;
  queryType?: string;
  metricsQueryType?: 'instant' | 'range';
  step?: string;
  tableType?: string;
  limit?: number;
  spss?: number;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
}

function panels(): Panel[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const all: Panel[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      all.push(p);
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  return all.filter((p) => (p.targets ?? []).length > 0);
}

async function sidecarApi<T>(path: string): Promise<T> {
  const r = await fetch(`${sidecar.url}${path}`, { headers: { authorization: `Bearer ${sidecar.apiToken}` } });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return (await r.json()) as T;
}

async function tempoGet<T>(path: string, params: Record<string, string | number>): Promise<T> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  const r = await fetch(`${tempo.url}${path}?${qs}`);
  const text = await r.text();
  assert.equal(r.status, 200, `Tempo ${path} ${params.q}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

// ---- what Grafana's Tempo data source sends -----------------------------------------------------

const seconds = (ms: number) => Math.floor(ms / 1000);

interface MetricsSeries {
  labels?: Array<{ key: string; value: { stringValue?: string } }>;
  samples?: Array<{ timestampMs: string; value?: number }>;
  value?: number;
}

/** An instant TraceQL metrics query over the range (metricsQueryType "instant"): its one value. */
async function instant(q: string): Promise<number> {
  const body = await tempoGet<{ series?: MetricsSeries[] }>('/api/metrics/query', {
    q,
    start: seconds(range.from),
    end: seconds(range.to),
  });
  return (body.series ?? []).reduce((sum, s) => sum + (s.value ?? 0), 0);
}

/** A range TraceQL metrics query (metricsQueryType "range"): value per bucket label (epoch ms). */
async function series(q: string, step: string, from = range.from): Promise<Map<number, number>> {
  const body = await tempoGet<{ series?: MetricsSeries[] }>('/api/metrics/query_range', {
    q,
    start: seconds(from),
    end: seconds(range.to),
    step,
  });
  const out = new Map<number, number>();
  for (const s of body.series ?? []) {
    for (const sample of s.samples ?? []) {
      const t = Number(sample.timestampMs);
      out.set(t, (out.get(t) ?? 0) + (sample.value ?? 0));
    }
  }
  return out;
}

interface SearchSpan {
  spanID: string;
  attributes?: Array<{ key: string; value: Record<string, string | number | boolean> }>;
}
interface SearchTrace {
  traceID: string;
  spanSets?: Array<{ spans?: SearchSpan[] }>;
  spanSet?: { spans?: SearchSpan[] };
}

/** A TraceQL search as a table panel sends it (tableType "spans"): one row per span. */
async function table(t: Target): Promise<Array<Record<string, string | number | boolean>>> {
  const body = await tempoGet<{ traces?: SearchTrace[] }>('/api/search', {
    q: t.query,
    start: seconds(range.from),
    end: seconds(range.to),
    limit: t.limit ?? 20,
    spss: t.spss ?? 3,
  });
  const rows: Array<Record<string, string | number | boolean>> = [];
  for (const trace of body.traces ?? []) {
    const seen = new Set<string>();
    for (const set of trace.spanSets ?? (trace.spanSet ? [trace.spanSet] : [])) {
      for (const span of set.spans ?? []) {
        if (seen.has(span.spanID)) {
          continue;
        }
        seen.add(span.spanID);
        const row: Record<string, string | number | boolean> = { traceID: trace.traceID };
        for (const a of span.attributes ?? []) {
          const v = Object.values(a.value)[0];
          row[a.key] = typeof v === 'string' && /^-?\d+$/.test(v) && a.value.intValue !== undefined ? Number(v) : v;
        }
        rows.push(row);
      }
    }
  }
  return rows;
}

/** How many spans a TraceQL search matches in the range (each trace's `matched`, not its sample). */
async function matchedSpans(q: string): Promise<number> {
  const body = await tempoGet<{
    traces?: Array<{ spanSets?: Array<{ matched?: number }>; spanSet?: { matched?: number } }>;
  }>('/api/search', { q, start: seconds(range.from), end: seconds(range.to), limit: 10_000, spss: 1 });
  return (body.traces ?? [])
    .flatMap((t) => t.spanSets ?? (t.spanSet ? [t.spanSet] : []))
    .reduce((n, set) => n + (set.matched ?? 0), 0);
}

// ---- what the sidecar's API says ------------------------------------------------------------------

interface Truth {
  changes: ChangeListResponse['changes'];
  details: ChangeDetailResponse[];
  /** Instants (epoch ms) of merges, abandons and failed CI runs; closed review waits. */
  submits: number[];
  abandons: number[];
  ciFailures: Array<{ change: number; startMs: number }>;
  reviewWaits: Array<{ change: number; startMs: number; ms: number }>;
}

async function truth(): Promise<Truth> {
  const changes: Truth['changes'] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await sidecarApi<ChangeListResponse>(
      `/api/changes?from=${range.from}&to=${range.to}&limit=1000&offset=${offset}&includeBots=true`,
    );
    changes.push(...page.changes);
    if (changes.length >= page.total) {
      break;
    }
  }
  // A few at a time: each reads a whole trace from Tempo.
  const details: ChangeDetailResponse[] = [];
  for (let i = 0; i < changes.length; i += 8) {
    details.push(
      ...(await Promise.all(
        changes.slice(i, i + 8).map((c) => sidecarApi<ChangeDetailResponse>(`/api/changes/${c.number}`)),
      )),
    );
  }
  const inRange = (t: number) => t >= range.from && t < range.to;
  const closed = (b: TimelineBar) => !b.open;
  const t: Truth = { changes, details, submits: [], abandons: [], ciFailures: [], reviewWaits: [] };
  for (const d of details) {
    for (const m of d.timeline.markers) {
      if (m.kind === 'submit' && inRange(m.atMs)) {
        t.submits.push(m.atMs);
      }
      if (m.kind === 'abandon' && inRange(m.atMs)) {
        t.abandons.push(m.atMs);
      }
    }
    for (const lane of d.timeline.lanes) {
      for (const b of lane.bars.filter(closed).filter((x) => inRange(x.startMs))) {
        if (lane.kind === 'ci' && (b.outcome === 'failure' || b.error)) {
          t.ciFailures.push({ change: d.change.number, startMs: b.startMs });
        }
        if (lane.kind === 'review') {
          t.reviewWaits.push({ change: d.change.number, startMs: b.startMs, ms: b.endMs - b.startMs });
        }
      }
    }
  }
  return t;
}

/** The q-quantile by nearest rank. */
function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)];
}

/** The label (epoch ms) of the bucket of `stepMs` an instant falls in, as perBucket explains. */
const bucketLabel = (t: number, stepMs: number, major: 2 | 3) =>
  (major === 3 ? Math.ceil(t / stepMs) : Math.floor(t / stepMs)) * stepMs;

/**
 * Counts per bucket of `stepMs`, keyed by the time Tempo labels each bucket with. Both versions cut
 * buckets at multiples of the step (UTC days for 24h). 2.x: [t0, t0 + step) labelled t0, its start.
 * 3.x: (t0, t0 + step] labelled t0 + step, its end (right-closed intervals), so a day's count is one
 * step later than on 2.x, and an instant on a boundary belongs to the day before.
 */
function perBucket(instants: number[], stepMs: number, major: 2 | 3): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of instants) {
    const bucket = bucketLabel(t, stepMs, major);
    out.set(bucket, (out.get(bucket) ?? 0) + 1);
  }
  return out;
}

const nonZero = (m: Map<number, number>) => [...m].filter(([, v]) => v > 0).sort(([a], [b]) => a - b);

// ---- one check per panel query ---------------------------------------------------------------------

interface Check {
  panel: string;
  expected: unknown;
  actual: unknown;
  ok: boolean;
}

/** A range query's step in ms; Tempo refuses "1d", so the dashboard writes hours. */
const stepMsOf = (target: Target) => (target.step ? Number(/^(\d+)h$/.exec(target.step)?.[1] ?? NaN) * 3_600_000 : NaN);

/** The instants (per the API) a count query counts, or undefined for a query that is not a count. */
function countedInstants(q: string, t: Truth): number[] | undefined {
  if (q === '{ name = "submit" } | count_over_time()') {
    return t.submits;
  }
  if (q === '{ name = "abandon" } | count_over_time()') {
    return t.abandons;
  }
  if (q === '{ name = "ci" && span.cicd.pipeline.result = "failure" } | count_over_time()') {
    return t.ciFailures.map((f) => f.startMs);
  }
  return undefined;
}

async function checkTarget(panel: Panel, target: Target, t: Truth): Promise<Check> {
  const name = `${panel.title} [${target.refId}]`;
  const q = target.query;
  const stepMs = stepMsOf(target);
  const counted = (expected: number[]) =>
    target.metricsQueryType === 'range'
      ? (async () => {
          assert.ok(Number.isFinite(stepMs), `${name}: a step in hours (Tempo refuses "1d"), got ${target.step}`);
          const want = nonZero(perBucket(expected, stepMs, tempo.major));
          const got = nonZero(await series(q, target.step ?? ''));
          return { panel: name, expected: want, actual: got, ok: JSON.stringify(want) === JSON.stringify(got) };
        })()
      : instant(q).then((got) => ({
          panel: name,
          expected: expected.length,
          actual: got,
          ok: got === expected.length,
        }));

  const instants = countedInstants(q, t);
  if (instants) {
    return counted(instants);
  }
  const quantileQuery = /^\{ name = "review" \} \| quantile_over_time\(duration, (\.\d+)\)$/.exec(q);
  if (quantileQuery) {
    const want = quantile(
      t.reviewWaits.map((w) => w.ms),
      Number(quantileQuery[1]),
    );
    const got = (await instant(q)) * 1000; // Tempo answers durations in seconds
    // Tempo estimates quantiles from power-of-two histogram buckets: the estimate is in the true
    // value's bucket, within a factor of two of it.
    return {
      panel: name,
      expected: `${want} ms (within ×2)`,
      actual: `${Math.round(got)} ms`,
      ok: got >= want / 2 && got <= want * 2,
    };
  }
  if (target.tableType === 'spans') {
    return checkTable(name, target, t);
  }
  return { panel: name, expected: 'a check for this query', actual: q, ok: false };
}

async function checkTable(name: string, target: Target, t: Truth): Promise<Check> {
  const rows = await table(target);
  const byNumber = new Map(t.changes.map((c) => [c.number, c]));
  const limit = target.limit ?? 20;
  const q = target.query;
  let wantRows: number;
  let problems: string[] = [];
  if (q.startsWith('{ name = "change" && span.vcs.change.state = "merged" }')) {
    const merged = t.changes.filter((c) => c.status === 'MERGED');
    wantRows = Math.min(limit, merged.length);
    problems = rows.flatMap((r) => {
      const c = byNumber.get(Number(r['vcs.change.id']));
      if (!c || c.status !== 'MERGED') {
        return [`row ${String(r['vcs.change.id'])} is not a merged change of the range`];
      }
      const want = {
        'gerrit.patchset.count': c.patchSets,
        'gerrit.review.rounds': c.rounds,
        'gerrit.review.time_to_first_review_ms': c.timeToFirstReviewMs,
        'gerrit.review.time_to_merge_ms': c.timeToMergeMs,
        'vcs.change.title': c.subject,
      };
      return Object.entries(want)
        .filter(([k, v]) => v !== undefined && r[k] !== v)
        .map(([k, v]) => `change ${c.number} ${k}: API ${String(v)}, Tempo ${String(r[k])}`);
    });
  } else if (q.startsWith('{ name = "change" && span.gerrit.patchset.count > 3 }')) {
    // Closed changes with a root span in Tempo (an abandon that is not final yet has none).
    const many = t.changes.filter((c) => c.status !== 'NEW' && c.source !== 'overlay' && c.patchSets > 3);
    wantRows = Math.min(limit, many.length);
    problems = rows.flatMap((r) => {
      const c = byNumber.get(Number(r['vcs.change.id']));
      return !c || c.patchSets !== r['gerrit.patchset.count'] || c.patchSets <= 3
        ? [
            `row ${String(r['vcs.change.id'])}: API ${c?.patchSets} patch sets, Tempo ${String(r['gerrit.patchset.count'])}`,
          ]
        : [];
    });
  } else if (q.startsWith('{ name = "review" && duration > 24h }')) {
    const slow = t.reviewWaits.filter((w) => w.ms > DAY);
    const perChange = new Map<number, number>();
    for (const w of slow) {
      perChange.set(w.change, Math.min(target.spss ?? 3, (perChange.get(w.change) ?? 0) + 1));
    }
    wantRows = [...perChange.values()].slice(0, limit).reduce((a, b) => a + b, 0);
    problems = rows
      .filter((r) => !perChange.has(Number(r['vcs.change.id'])))
      .map((r) => `row of change ${String(r['vcs.change.id'])} has no slow review in the API`);
  } else if (q.startsWith('{ name = "ci" && span.cicd.pipeline.result = "failure" }')) {
    const perChange = new Map<number, number>();
    for (const f of t.ciFailures) {
      perChange.set(f.change, Math.min(target.spss ?? 3, (perChange.get(f.change) ?? 0) + 1));
    }
    wantRows = [...perChange.values()].slice(0, limit).reduce((a, b) => a + b, 0);
    problems = rows
      .filter((r) => !perChange.has(Number(r['vcs.change.id'])))
      .map((r) => `row of change ${String(r['vcs.change.id'])} has no CI failure in the API`);
  } else if (q.startsWith('{ name = "review" } | select(span.gerrit.owner, span.gerrit.reviewer')) {
    const withReviews = new Set(t.reviewWaits.map((w) => w.change));
    wantRows = Math.min(limit, withReviews.size);
    problems = rows
      .filter((r) => typeof r['gerrit.reviewer'] !== 'string' || typeof r['gerrit.owner'] !== 'string')
      .map(() => 'a row without owner or reviewer');
  } else {
    return { panel: name, expected: 'a check for this query', actual: q, ok: false };
  }
  return {
    panel: name,
    expected: `${wantRows} rows`,
    actual: `${rows.length} rows${problems.length ? `; ${problems.slice(0, 3).join('; ')}` : ''}`,
    ok: rows.length === wantRows && problems.length === 0,
  };
}

describe('the provisioned dashboard on the real Tempo (demo history)', { timeout: 600_000 }, () => {
  before(async () => {
    tempo = await TempoServer.start(join(work, 'tempo'));
    const env = {
      REVIEWTRACE_DATABASE_PATH: join(work, 'demo.db'),
      REVIEWTRACE_DATA_DIR: work,
      REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint,
      REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
    };
    const loader = await SidecarProcess.start(['demo', '--no-follow', '--changes', '200'], env, join(work, 'load.log'));
    await waitFor('the demo history to be exported', async () => (loader.process.running ? undefined : true), 180_000);
    assert.equal(loader.process.child.exitCode, 0, `demo --no-follow failed; see ${join(work, 'load.log')}`);
    const to = Math.floor(Date.now() / 60_000) * 60_000;
    // The dashboard's default range: the last 30 days.
    range = { from: to - 30 * DAY, to };
    sidecar = await SidecarProcess.start(['demo', '--changes', '200'], env, join(work, 'serve.log'));
    await sidecar.ready();
  });

  after(async () => {
    await sidecar?.stop();
    await tempo?.stop();
    removeTestDir(work);
  });

  it('answers every panel query with the sidecar API’s numbers', async () => {
    const targets = panels().flatMap((p) => (p.targets ?? []).map((t) => ({ p, t })));
    assert.ok(targets.length >= 12, `${targets.length} queries`);
    // Tempo 3.0 searches history older than query_backend_after (15 min) only in backend blocks: the
    // live-store writes its block after max_block_duration (30 s) and the querier sees it after the
    // next blocklist_poll (15 s, as compose). Wait until a plain search finds every submit the API
    // has, so that a mismatch below is a wrong number rather than data Tempo cannot see yet.
    // (The API's change detail reads the trace from Tempo too: it may answer 404 at first.)
    await waitFor(
      "Tempo's search to find every submit the API has",
      async () => {
        const want = (await truth()).submits.length;
        return (await matchedSpans('{ name = "submit" }')) === want ? true : undefined;
      },
      180_000,
      2000,
    );
    let checks: Check[] = [];
    let lastError: unknown;
    // Tempo 2.8 serves TraceQL metrics from the blocks its metrics-generator flushes (seconds after
    // the spans arrive), and the demo keeps going live: compare until they agree, or show the last try.
    await waitFor(
      'every panel to match the API',
      async () => {
        try {
          const t = await truth();
          checks = await Promise.all(targets.map(({ p, t: target }) => checkTarget(p, target, t)));
          assert.ok(t.submits.length > 20 && t.reviewWaits.length > 100, 'the range holds the demo history');
        } catch (err) {
          lastError = err;
          return undefined;
        }
        return checks.every((c) => c.ok) ? true : undefined;
      },
      120_000,
      3000,
    ).catch(() => undefined);
    if (checks.length !== targets.length) {
      throw lastError instanceof Error ? lastError : new Error(`the panels could not be checked: ${String(lastError)}`);
    }
    const show = (v: unknown) =>
      Array.isArray(v)
        ? `${v.length} steps, ${v.reduce((n: number, [, x]: [number, number]) => n + x, 0)} in all`
        : String(v);
    for (const c of checks) {
      process.stdout.write(
        `dashboard panel ${c.panel}: expected ${show(c.expected)}, Tempo ${show(c.actual)}: ${c.ok ? 'match' : 'MISMATCH'}\n`,
      );
    }
    assert.deepEqual(
      checks.filter((c) => !c.ok).map((c) => c.panel),
      [],
      'panels whose Tempo answer differs from the API',
    );
  });

  it('sums a stat panel over a range starting inside the history: whole steps, from at most one step (3.x: two) before it', async () => {
    // The summed stat panels count whole steps: 2.x from the step the range starts in, 3.x also the
    // step ahead of it (right-closed buckets, see docs/deployment.md). Checked with ranges that start
    // just after a counted event: a minute after it (same step), and a minute into the next step.
    const stats = panels()
      .filter((p) => p.type === 'stat')
      .flatMap((p) => (p.targets ?? []).filter((x) => x.metricsQueryType === 'range').map((x) => ({ p, x })));
    assert.ok(stats.length >= 2, `${stats.length} summed stat panels`);
    const t = await truth();
    for (const { p, x } of stats) {
      const stepMs = stepMsOf(x);
      const instants = countedInstants(x.query, t);
      assert.ok(instants && instants.length > 0 && Number.isFinite(stepMs), `${p.title}: a count with a step in hours`);
      const sorted = [...instants].sort((a, b) => a - b);
      // An event early enough in its step that a minute later is still the same step.
      const event = sorted.find((i) => i >= sorted[Math.floor(sorted.length / 2)] && i % stepMs < stepMs - 60_000);
      assert.ok(event !== undefined, `${p.title}: an event to start next to`);
      for (const from of [event + 60_000, Math.floor(event / stepMs) * stepMs + stepMs + 60_000]) {
        const aligned = Math.floor(from / stepMs) * stepMs;
        // Tempo answers every bucket labelled at or after the range's start, rounded down to a step.
        const counted: number[] = instants.filter((i) => bucketLabel(i, stepMs, tempo.major) >= aligned);
        const got = [...(await series(x.query, x.step ?? '', from)).values()].reduce((a, b) => a + b, 0);
        const inRange = instants.filter((i) => i >= from).length;
        process.stdout.write(
          `dashboard panel ${p.title} from ${new Date(from).toISOString()}: Tempo ${got}, API ${inRange} in the range and ${counted.length - inRange} in the whole steps before it\n`,
        );
        assert.equal(got, counted.length, `${p.title} from ${new Date(from).toISOString()}: Tempo's sum`);
      }
    }
  });
});
