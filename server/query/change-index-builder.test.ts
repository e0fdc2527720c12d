import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeListQuery, ChangeListResponse } from '../../src/review-model/code-review-api.ts';
import { Attr } from '../../src/review-model/span-schema.ts';
import { ChangeMapper } from '../mapping/change-mapper.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import { createLogger } from '../observability/logger.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { IngestStore } from '../store/ingest-store.ts';
import { ChangeIndexBuilder } from './change-index-builder.ts';
import { ChangeQueryService } from './change-query.ts';
import type { SpanRow, TempoReader } from './tempo-reader.ts';

// The index against the Tempo search path, over the same spans. Tempo is modelled here (its search
// as the sidecar uses it: spans of one name overlapping the range, the one that ends last per trace,
// only the selected attributes and those of the condition, at most `limit` traces), because the
// cases that matter (a restored change's two roots, a submit after a final abandon, full answers)
// must come out the same every run; test/integration/change-index.test.ts checks the real Tempo.

const DAY = 86_400_000;
const NOW = 400 * DAY;

/** Tempo's /api/search as TempoReader.searchSpans returns it, over a list of exported spans. */
class TempoModel {
  readonly spans: SpanRecord[] = [];
  searches = 0;

  searchSpans(
    name: string,
    fromMs: number,
    toMs: number,
    select: readonly string[],
    limit: number,
    _serviceName: string,
    condition?: string,
  ): Promise<SpanRow[]> {
    this.searches += 1;
    const [, conditionAttr, op, value] = /^span\.(\S+) (>|>=) (\d+)$/.exec(condition ?? '') ?? [];
    const from = Math.floor(fromMs / 1000) * 1000;
    const to = Math.ceil(toMs / 1000) * 1000;
    const traceRange = new Map<string, [number, number]>();
    for (const s of this.spans) {
      const r = traceRange.get(s.traceId) ?? [s.startMs, s.endMs];
      traceRange.set(s.traceId, [Math.min(r[0], s.startMs), Math.max(r[1], s.endMs)]);
    }
    const byTrace = new Map<string, SpanRecord>();
    for (const s of this.spans) {
      const [start, end] = traceRange.get(s.traceId) ?? [0, 0];
      const v = conditionAttr ? Number(s.attributes[conditionAttr]) : 0;
      const matches =
        s.name === name &&
        start <= to &&
        end >= from &&
        (!conditionAttr || (s.attributes[conditionAttr] !== undefined && (op === '>' ? v > +value : v >= +value)));
      const seen = byTrace.get(s.traceId);
      if (matches && (!seen || s.endMs > seen.endMs)) {
        byTrace.set(s.traceId, s);
      }
    }
    const keep = [...select, ...(conditionAttr ? [conditionAttr] : [])];
    return Promise.resolve(
      [...byTrace.values()].slice(0, limit).map((s) => ({
        traceId: s.traceId,
        startMs: s.startMs,
        endMs: s.endMs,
        attributes: Object.fromEntries(
          keep.flatMap((k) => (s.attributes[k] === undefined ? [] : [[k, s.attributes[k]]])),
        ) as SpanRow['attributes'],
      })),
    );
  }
}

const traceOf = (n: number) => n.toString(16).padStart(32, '0');

/** Spans of `count` closed changes of every kind the list distinguishes, deterministic. */
function closedChanges(count: number): SpanRecord[] {
  const spans: SpanRecord[] = [];
  let seed = 7;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let n = 1; n <= count; n += 1) {
    const created = Math.round(40 * DAY + next() * 300 * DAY);
    const closed = created + Math.round(next() * 10 * DAY) + 1000;
    const kind = n % 5;
    const root = (startMs: number, endMs: number, extra: SpanRecord['attributes'], key = 'change'): SpanRecord => ({
      traceId: traceOf(n),
      spanId: `${key}/${n}`,
      name: 'change',
      startMs,
      endMs,
      status: 'unset',
      attributes: {
        [Attr.changeNumber]: String(n),
        [Attr.changeTitle]: `Change ${n}`,
        [Attr.project]: ['core', 'web', 'docs'][n % 3],
        [Attr.branch]: 'main',
        [Attr.owner]: n % 7 === 0 ? 'renovate-bot' : ['alice', 'bob', 'carol'][n % 3],
        [Attr.ownerName]: 'not selected by the list',
        [Attr.patchSetCount]: 1 + (n % 4),
        [Attr.reviewRounds]: n % 3,
        [Attr.reviewersJson]: JSON.stringify(n % 2 ? ['dave'] : ['dave', 'erin']),
        [Attr.timeToFirstReviewMs]: kind === 3 ? undefined : (n * 997) % 50_000,
        ...extra,
      },
    });
    const submit = (atMs: number): SpanRecord => ({
      traceId: traceOf(n),
      spanId: `submit/${n}`,
      name: 'submit',
      startMs: atMs,
      endMs: atMs + 1,
      status: 'unset',
      attributes: {},
    });
    switch (kind) {
      case 0: // merged
      case 1:
        spans.push(submit(closed), root(created, closed, { [Attr.changeStatus]: 'MERGED' }));
        break;
      case 2: // abandoned for good, restored, merged: a root of the second generation
        spans.push(
          root(created, closed, { [Attr.changeStatus]: 'ABANDONED' }),
          submit(closed + DAY),
          root(created, closed + DAY, { [Attr.changeStatus]: 'MERGED', [Attr.rootGeneration]: 2 }, 'change/2'),
        );
        break;
      case 3: // abandoned without a review
        spans.push(
          root(created, closed, { [Attr.changeStatus]: 'ABANDONED', [Attr.unreviewedWaitMs]: closed - created }),
        );
        break;
      case 4: // written by a version that wrote the root at the first abandon, merged later: only the submit says so
        spans.push(root(created, closed, { [Attr.changeStatus]: 'ABANDONED' }), submit(closed + 2 * DAY));
        break;
    }
  }
  return spans;
}

const mapper = () =>
  new ChangeMapper({ serverId: 's', botPatterns: [/-bot$/], commentMaxChars: 10, ciLabel: 'Verified' });

function service(
  tempo: TempoModel,
  store: IngestStore,
  indexEnabled: boolean,
  maxChanges = 10_000,
): ChangeQueryService {
  return new ChangeQueryService(tempo as unknown as TempoReader, store, mapper(), {
    serverId: 's',
    serviceName: 'gerrit',
    maxChanges,
    cacheTtlMs: 0,
    index: { enabled: indexEnabled, retentionMs: 365 * DAY },
  });
}

const QUERIES: ChangeListQuery[] = [
  { from: NOW - 365 * DAY, to: NOW, limit: 1000 },
  { from: NOW - 365 * DAY, to: NOW, status: 'merged', sort: 'timeToMergeOrAge', limit: 1000, includeBots: true },
  { from: NOW - 365 * DAY, to: NOW, status: 'abandoned', sort: 'timeToFirstReview', dir: 'asc', limit: 1000 },
  { from: 100 * DAY, to: 130 * DAY, project: ['web'], sort: 'number', limit: 1000 },
];

/** The answer without what says where it came from. */
const content = ({ sources: _sources, ...rest }: ChangeListResponse) => rest;

describe('change index vs the Tempo search path', () => {
  it('serves the same list, figures and facets from the index as from Tempo, for every kind of closed change', async () => {
    const tempo = new TempoModel();
    tempo.spans.push(...closedChanges(200));
    const indexed = new IngestStore(':memory:');
    indexed.enqueueSpans(tempo.spans, 0);
    indexed.setChangeIndexState({ state: 'ready' });
    const fromIndex = service(tempo, indexed, true);
    const fromTempo = service(tempo, new IngestStore(':memory:'), false);
    for (const q of QUERIES) {
      tempo.searches = 0;
      const a = await fromIndex.list(q, NOW);
      assert.equal(tempo.searches, 0, 'the index path does not search Tempo');
      assert.deepEqual([a.sources.closed, a.sources.index], ['index', 'ready']);
      const b = await fromTempo.list(q, NOW);
      assert.deepEqual([b.sources.closed, b.sources.index], ['tempo', 'disabled']);
      assert.ok(a.total > 0, `${JSON.stringify(q)} lists changes`);
      assert.deepEqual(content(a), content(b), JSON.stringify(q));
    }
    const all = await fromIndex.list(QUERIES[0], NOW);
    const restored = all.changes.find((c) => c.number === 2);
    const mergedLater = all.changes.find((c) => c.number === 4);
    assert.deepEqual([restored?.status, mergedLater?.status], ['MERGED', 'MERGED']);
    assert.ok(all.changes.some((c) => c.unreviewedWaitMs !== undefined));
    assert.deepEqual(
      await fromIndex.trends(QUERIES[0], NOW),
      await fromTempo.trends(QUERIES[0], NOW),
      'the trends are the same too',
    );
  });

  it('searches Tempo while the index is rebuilt, rebuilds it in slices (halving full ones), then serves the same from it', async () => {
    const tempo = new TempoModel();
    tempo.spans.push(...closedChanges(120));
    const store = new IngestStore(':memory:');
    // A small search limit, so that the rebuild must split its slices to see every change.
    const queries = service(tempo, store, true, 10);
    const builder = new ChangeIndexBuilder(queries, store, new SidecarMetrics(), createLogger('silent'), {
      enabled: true,
      retentionMs: 365 * DAY,
      sliceMs: 60 * DAY,
    });
    assert.deepEqual(builder.status(), { state: 'rebuilding', rebuildProgress: 0, changes: 0 });
    const q: ChangeListQuery = { from: NOW - 200 * DAY, to: NOW, limit: 1000, includeBots: true };
    const before = await queries.list(q, NOW);
    assert.deepEqual([before.sources.closed, before.sources.index], ['tempo', 'rebuilding']);
    const { searches } = await builder.rebuild(NOW);
    assert.ok(searches > 7, `the 60-day slices were halved (${searches} slices searched)`);
    assert.deepEqual(builder.status(), { state: 'ready', changes: 120 });
    const after = await queries.list(q, NOW);
    assert.deepEqual([after.sources.closed, after.sources.index], ['index', 'ready']);
    assert.ok(after.total > before.total, 'the index is not cut at query.maxChanges, a Tempo search is');
    const reference = service(tempo, new IngestStore(':memory:'), false);
    for (const query of QUERIES) {
      assert.deepEqual(content(await queries.list(query, NOW)), content(await reference.list(query, NOW)));
    }
    // A range that starts before the retention is searched in Tempo (the index has pruned it).
    const old = await queries.list({ ...q, from: NOW - 366 * DAY }, NOW);
    assert.equal(old.sources.closed, 'tempo');
  });

  it('needs no slice searches when Tempo holds no root at all, and retries a failed rebuild', async () => {
    const tempo = new TempoModel();
    const store = new IngestStore(':memory:');
    const metrics = new SidecarMetrics();
    const builder = new ChangeIndexBuilder(service(tempo, store, true), store, metrics, createLogger('silent'), {
      enabled: true,
      retentionMs: 365 * DAY,
      sliceMs: DAY,
      retryMs: 1,
    });
    let failures = 1;
    const search = tempo.searchSpans.bind(tempo);
    tempo.searchSpans = (...args) => (failures-- > 0 ? Promise.reject(new Error('Tempo is down')) : search(...args));
    builder.start();
    await builder.idle();
    assert.equal(store.changeIndexState().state, 'rebuilding', 'the first try failed');
    const deadline = Date.now() + 5000;
    while (store.changeIndexState().state !== 'ready' && Date.now() < deadline) {
      await builder.idle();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(store.changeIndexState().state, 'ready');
    assert.equal(tempo.searches, 1, 'one search found Tempo empty');
    assert.deepEqual(
      (await metrics.registry.getSingleMetricAsString('reviewtrace_change_index_rebuilds_total')).split('\n').slice(2),
      [
        'reviewtrace_change_index_rebuilds_total{outcome="failed"} 1',
        'reviewtrace_change_index_rebuilds_total{outcome="completed"} 1',
      ],
    );
    await builder.stop();
  });

  it('searches the hour before a rebuild again later, for roots Tempo could not show yet', async () => {
    const tempo = new TempoModel();
    tempo.spans.push(...closedChanges(5));
    const store = new IngestStore(':memory:');
    const builder = new ChangeIndexBuilder(
      service(tempo, store, true),
      store,
      new SidecarMetrics(),
      createLogger('silent'),
      {
        enabled: true,
        retentionMs: 365 * DAY,
        sliceMs: 30 * DAY,
        recheckAfterMs: 1,
      },
    );
    await builder.rebuild(NOW);
    assert.equal(store.indexedChangeCount(), 5);
    // Exported by a lost database just before the rebuild, searchable in Tempo only now.
    const [late] = closedChanges(6).filter((span) => span.name === 'change' && span.traceId === traceOf(6));
    tempo.spans.push({ ...late, startMs: NOW - 40 * 60_000, endMs: NOW - 30 * 60_000 });
    const deadline = Date.now() + 5000;
    while (store.indexedChangeCount() < 6 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(
      store.indexedRoots(NOW - DAY, NOW).map((r) => r.attributes[Attr.changeNumber]),
      ['6'],
    );
    await builder.stop();
  });
});
