import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeSummary } from '../../src/review-model/code-review-api.ts';
import { changeSummary } from '../../src/review-model/change-summary-for-tests.ts';
import { ChangeMapper } from '../mapping/change-mapper.ts';
import { IngestStore } from '../store/ingest-store.ts';
import {
  ChangeQueryService,
  facetsOf,
  filterChanges,
  latestPerTrace,
  mergeOrAgeMs,
  sortChanges,
  timeSlices,
  waitingOf,
} from './change-query.ts';
import { TempoReader, type SpanRow } from './tempo-reader.ts';

const c = (over: Partial<ChangeSummary>): ChangeSummary =>
  changeSummary({ owner: 'alice', status: 'MERGED', rounds: 1, ...over });

const all = [
  c({
    number: 1,
    project: 'web',
    owner: 'alice',
    reviewers: ['bob'],
    status: 'MERGED',
    timeToFirstReviewMs: 50,
    timeToMergeMs: 500,
  }),
  c({ number: 2, project: 'core', owner: 'bob', reviewers: ['alice', 'carol'], status: 'NEW', createdMs: 100 }),
  c({
    number: 3,
    project: 'core',
    owner: 'renovate-bot',
    ownerIsBot: true,
    status: 'ABANDONED',
    closedMs: 300,
    timeToFirstReviewMs: 10,
  }),
  c({
    number: 4,
    project: 'web',
    branch: 'release',
    owner: 'carol',
    reviewers: ['bob'],
    status: 'MERGED',
    timeToMergeMs: 100,
  }),
];

describe('change list logic', () => {
  it('filters by every field, bots only when asked', () => {
    const nums = (q: Parameters<typeof filterChanges>[1]) => filterChanges(all, q).map((x) => x.number);
    assert.deepEqual(nums({ from: 0, to: 1 }), [1, 2, 4], 'bots are out by default');
    assert.deepEqual(nums({ from: 0, to: 1, includeBots: true }), [1, 2, 3, 4]);
    assert.deepEqual(nums({ from: 0, to: 1, project: ['web'] }), [1, 4]);
    assert.deepEqual(nums({ from: 0, to: 1, project: ['web', 'core'], branch: ['release'] }), [4]);
    assert.deepEqual(nums({ from: 0, to: 1, reviewer: ['bob'] }), [1, 4]);
    assert.deepEqual(nums({ from: 0, to: 1, owner: ['bob'] }), [2]);
    assert.deepEqual(nums({ from: 0, to: 1, status: 'open' }), [2]);
    assert.deepEqual(nums({ from: 0, to: 1, status: 'abandoned', includeBots: true }), [3]);
  });

  it('sorts both ways, missing values last', () => {
    const sorted = (key: Parameters<typeof sortChanges>[1], dir: 'asc' | 'desc') => {
      const xs = [...all];
      sortChanges(xs, key, dir, 1000);
      return xs.map((x) => x.number);
    };
    assert.deepEqual(sorted('timeToFirstReview', 'asc'), [3, 1, 4, 2]);
    assert.deepEqual(sorted('timeToFirstReview', 'desc'), [1, 3, 4, 2]);
    assert.deepEqual(sorted('project', 'asc'), [3, 2, 4, 1]);
    // merge time for merged, age for open (1000 - 100), time to close for abandoned
    assert.deepEqual(sorted('timeToMergeOrAge', 'desc'), [2, 1, 3, 4]);
    assert.equal(mergeOrAgeMs(all[1], 1000), 900);
  });

  it('offers every value present as a facet', () => {
    assert.deepEqual(facetsOf(all), {
      projects: ['core', 'web'],
      branches: ['main', 'release'],
      owners: ['alice', 'bob', 'carol', 'renovate-bot'],
      reviewers: ['alice', 'bob', 'carol'],
    });
  });

  it('cuts a range into consecutive slices that cover it exactly', () => {
    assert.deepEqual(timeSlices(1_000, 601_000, 3), [
      [1_000, 201_000],
      [201_000, 401_000],
      [401_000, 601_000],
    ]);
    assert.deepEqual(timeSlices(0, 1_001, 1), [[0, 1_001]]);
    assert.deepEqual(timeSlices(0, 1_500, 4), [[0, 1_500]], 'a range under two seconds is not cut');
    const slices = timeSlices(1_700_000_000_123, 1_736_864_000_456, 7);
    assert.equal(slices.length, 7);
    assert.equal(slices[0][0], 1_700_000_000_123);
    assert.equal(slices[6][1], 1_736_864_000_456);
    slices.slice(1).forEach(([from], i) => assert.equal(from, slices[i][1], 'no gap, no overlap'));
  });

  it('asks Tempo again when a whole range came back empty, and keeps a change found in two slices once', async () => {
    // A stand-in for TempoReader: Tempo's brief empty answer (while a block leaves the ingester)
    // cannot be produced on demand, so the sequence of answers is scripted here.
    const root = (traceId: string, number: number) => ({
      traceId,
      startMs: 1000,
      endMs: 2000,
      attributes: { 'vcs.change.id': String(number), 'gerrit.change.status': 'MERGED' },
    });
    const calls: string[] = [];
    const answers: Record<string, Array<ReturnType<typeof root>[]>> = {
      '0-5000': [[], [], [root('a'.repeat(32), 1), root('b'.repeat(32), 2)]],
      '5000-10000': [[], [], [root('b'.repeat(32), 2), root('c'.repeat(32), 3)]],
    };
    const tempo = {
      async searchSpans(name: string, from: number, to: number, ...rest: unknown[]) {
        if (rest[3] !== undefined) {
          calls.push(`later roots ${from}-${to}`); // the search for roots of a later generation
          return [];
        }
        calls.push(`${name} ${from}-${to}`);
        return name === 'change' ? (answers[`${from}-${to}`].shift() ?? []) : [];
      },
    } as unknown as TempoReader;
    const store = new IngestStore(':memory:');
    const service = new ChangeQueryService(
      tempo,
      store,
      new ChangeMapper({ serverId: 's', botPatterns: [], commentMaxChars: 10, ciLabel: 'Verified' }),
      {
        serverId: 's',
        serviceName: 'gerrit',
        maxChanges: 100,
        cacheTtlMs: 0,
        searchSlices: 2,
      },
    );
    const { changes } = await service.changesInRange(0, 10_000, 20_000);
    assert.deepEqual(changes.map((c) => c.number).sort(), [1, 2, 3]);
    assert.equal(calls.filter((c) => c.startsWith('change')).length, 6, 'two slices, asked three times');
    store.close();
  });

  it('reads a closed change from its root span, and a later submit wins over a first abandon', () => {
    const mapper = new ChangeMapper({
      serverId: 's',
      botPatterns: [/-bot$/],
      commentMaxChars: 10,
      ciLabel: 'Verified',
    });
    const store = new IngestStore(':memory:');
    const service = new ChangeQueryService(new TempoReader('http://127.0.0.1:9', {}, 1000), store, mapper, {
      serverId: 's',
      serviceName: 'gerrit',
      maxChanges: 10,
      cacheTtlMs: 0,
    });
    const row = {
      traceId: 'a'.repeat(32),
      startMs: 1000,
      endMs: 5000,
      attributes: {
        'vcs.change.id': '42',
        'gerrit.change.status': 'ABANDONED',
        'gerrit.owner': 'dependabot-bot',
        'gerrit.reviewers': ['x', 'y'],
        'gerrit.patchset.count': 3,
      },
    };
    const abandoned = service.fromRoot(row);
    assert.deepEqual(
      [
        abandoned?.number,
        abandoned?.status,
        abandoned?.closedMs,
        abandoned?.ownerIsBot,
        abandoned?.reviewers,
        abandoned?.patchSets,
      ],
      [42, 'ABANDONED', 5000, true, ['x', 'y'], 3],
    );
    const merged = service.fromRoot(row, 9000);
    assert.deepEqual([merged?.status, merged?.closedMs, merged?.timeToMergeMs], ['MERGED', 9000, 8000]);
    const mergedRoot = { ...row, attributes: { ...row.attributes, 'gerrit.change.status': 'MERGED' } };
    assert.equal(service.fromRoot(mergedRoot)?.timeToMergeMs, 4000, 'time to merge from the root span’s duration');
    assert.equal(service.fromRoot({ ...row, attributes: {} }), undefined, 'no change number, no row');
    const withJson = { ...row, attributes: { ...row.attributes, 'gerrit.reviewers.json': '["alice","o\'neil, jr"]' } };
    assert.deepEqual(
      service.fromRoot(withJson)?.reviewers,
      ['alice', "o'neil, jr"],
      'the JSON string wins over the list (Tempo 2.8 mixes lists up between the traces of a search)',
    );
    store.close();
  });

  it('keeps one root per trace: the latest generation, else the one that ends last', () => {
    const row = (traceId: string, endMs: number, generation?: number): SpanRow => ({
      traceId,
      startMs: 0,
      endMs,
      attributes: generation === undefined ? {} : { 'gerrit.change.generation': generation },
    });
    const kept = latestPerTrace([row('a', 9000), row('a', 5000, 2), row('b', 1000), row('b', 3000)]);
    assert.deepEqual(
      kept.map((r) => [r.traceId, r.endMs]),
      [
        ['a', 5000],
        ['b', 3000],
      ],
    );
  });

  it('serves an abandoned change whose abandon is not final from the overlay, as abandoned', () => {
    const mapper = new ChangeMapper({ serverId: 's', botPatterns: [], commentMaxChars: 10, ciLabel: 'Verified' });
    const change = { project: 'p', branch: 'main', number: 5, owner: { key: 'olga', username: 'olga' } };
    let state = mapper.applyEvent(undefined, {
      type: 'patchset-created',
      change: { ...change, createdOnMs: 1_000_000 },
      patchSet: { number: 1, createdOnMs: 1_000_000 },
      timeMs: 1_000_000,
    }).change;
    state = mapper.applyEvent(state, {
      type: 'change-abandoned',
      change: { ...change, createdOnMs: 1_000_000 },
      timeMs: 2_000_000,
    }).change;
    assert.ok(state);
    const store = new IngestStore(':memory:');
    store.saveChange(5, state);
    assert.deepEqual(
      store.listPendingAbandoned().map((c) => c.number),
      [5],
    );
    const service = new ChangeQueryService(new TempoReader('http://127.0.0.1:9', {}, 1000), store, mapper, {
      serverId: 's',
      serviceName: 'gerrit',
      maxChanges: 10,
      cacheTtlMs: 0,
    });
    const row = service.fromOpen(state, 3_000_000);
    assert.deepEqual(
      [row.status, row.closedMs, row.waitingOn, row.waitingSinceMs],
      ['ABANDONED', 2_000_000, undefined, undefined],
    );
    store.close();
  });

  it('waits on the pending reviewers, each from when asked; then on the author from the latest review; on the author while in progress', () => {
    const mapper = new ChangeMapper({ serverId: 's', botPatterns: [], commentMaxChars: 10, ciLabel: 'Verified' });
    const change = { project: 'p', branch: 'main', number: 6, owner: { key: 'olga', username: 'olga' } };
    const T = 1_000_000;
    const apply = (state: ReturnType<typeof mapper.applyEvent>['change'], event: object) =>
      mapper.applyEvent(state, { change: { ...change, createdOnMs: T }, ...event } as never).change;
    let state = apply(undefined, { type: 'patchset-created', patchSet: { number: 1, createdOnMs: T }, timeMs: T });
    assert.ok(state);
    assert.deepEqual(waitingOf(state, T + 10), { waitingOn: 'author', waitingSinceMs: T }, 'nobody asked yet');
    state = apply(state, { type: 'reviewer-added', reviewer: { key: 'bob', username: 'bob' }, timeMs: T + 100 });
    state = apply(state, { type: 'reviewer-added', reviewer: { key: 'ann', username: 'ann' }, timeMs: T + 200 });
    assert.ok(state);
    assert.deepEqual(waitingOf(state, T + 1000), {
      waitingOn: 'reviewers',
      waitingOnReviewers: [
        { reviewer: 'bob', sinceMs: T + 100 },
        { reviewer: 'ann', sinceMs: T + 200 },
      ],
      waitingSinceMs: T + 100,
    });
    const vote = (who: string, atMs: number) => ({
      type: 'comment-added',
      author: { key: who, username: who },
      patchSet: { number: 1, createdOnMs: T },
      approvals: [{ label: 'Code-Review', value: -1, oldValue: 0 }],
      comment: 'Patch Set 1: Code-Review-1',
      timeMs: atMs,
    });
    state = apply(state, vote('bob', T + 300));
    assert.ok(state);
    assert.deepEqual(waitingOf(state, T + 1000).waitingOnReviewers, [{ reviewer: 'ann', sinceMs: T + 200 }]);
    state = apply(state, vote('ann', T + 400));
    assert.ok(state);
    assert.deepEqual(waitingOf(state, T + 1000), { waitingOn: 'author', waitingSinceMs: T + 400 });
    state = apply(state, { type: 'patchset-created', patchSet: { number: 2, createdOnMs: T + 500 }, timeMs: T + 500 });
    assert.ok(state);
    assert.equal(waitingOf(state, T + 1000).waitingOn, 'reviewers', 'a new patch set asks the reviewers again');
    state = apply(state, {
      type: 'wip-state-changed',
      change: { ...change, createdOnMs: T, wip: true },
      timeMs: T + 600,
    });
    assert.ok(state);
    assert.deepEqual(waitingOf(state, T + 1000), { waitingOn: 'author', waitingSinceMs: T + 600 });
  });

  it('sorts a change still waiting for its first review by its wait so far, and by how long it waits', () => {
    const xs = [
      c({ number: 1, timeToFirstReviewMs: 50 }),
      c({ number: 2, status: 'NEW', readyMs: 800 }), // waiting 200 at 1000
      c({ number: 3, status: 'ABANDONED' }),
      c({ number: 4, status: 'NEW', readyMs: 990, waitingOn: 'author', waitingSinceMs: 900 }),
    ];
    sortChanges(xs, 'timeToFirstReview', 'desc', 1000);
    assert.deepEqual(
      xs.map((x) => x.number),
      [2, 1, 4, 3],
    );
    sortChanges(xs, 'waiting', 'desc', 1000);
    assert.deepEqual(xs[0].number, 4);
  });
});
