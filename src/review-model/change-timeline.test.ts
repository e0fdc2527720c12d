import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildChangeTimeline, type TraceSpan } from './change-timeline.ts';

const H = 3_600_000;
let id = 0;
const span = (
  name: string,
  startMs: number,
  endMs: number,
  attributes: TraceSpan['attributes'] = {},
  status: TraceSpan['status'] = 'unset',
): TraceSpan => ({
  spanId: String((id += 1)),
  name,
  startMs,
  endMs,
  status,
  attributes,
});

// A merged change: PS1 (CI fails, alice asks for changes), PS2 (CI passes, alice approves).
const merged: TraceSpan[] = [
  span('change', 0, 10 * H, { 'vcs.change.state': 'merged' }, 'ok'),
  span('patchset', 0, 4 * H, { 'gerrit.patchset.number': 1, 'gerrit.patchset.end_reason': 'superseded' }),
  span('patchset', 4 * H, 10 * H, { 'gerrit.patchset.number': 2, 'gerrit.patchset.end_reason': 'merged' }),
  span(
    'ci',
    0,
    1 * H,
    { 'gerrit.patchset.number': 1, 'gerrit.bot': 'ci-bot', 'cicd.pipeline.result': 'failure' },
    'error',
  ),
  span('review', 0, 2 * H, {
    'gerrit.patchset.number': 1,
    'gerrit.reviewer': 'alice',
    'gerrit.review.outcome': 'voted',
  }),
  span('vote', 2 * H, 2 * H + 1, {
    'gerrit.patchset.number': 1,
    'gerrit.actor': 'alice',
    'gerrit.label': 'Code-Review',
    'gerrit.value': -1,
  }),
  span(
    'ci',
    4 * H,
    5 * H,
    { 'gerrit.patchset.number': 2, 'gerrit.bot': 'ci-bot', 'cicd.pipeline.result': 'success' },
    'ok',
  ),
  span('vote', 5 * H, 5 * H + 1, {
    'gerrit.patchset.number': 2,
    'gerrit.actor': 'ci-bot',
    'gerrit.label': 'Verified',
    'gerrit.value': 1,
  }),
  span('review', 4 * H, 8 * H, {
    'gerrit.patchset.number': 2,
    'gerrit.reviewer': 'alice',
    'gerrit.review.outcome': 'voted',
  }),
  span('comment', 8 * H, 8 * H + 1, {
    'gerrit.patchset.number': 2,
    'gerrit.actor': 'alice',
    'gerrit.comment.text': 'LGTM',
  }),
  span('submit', 10 * H, 10 * H + 1, { 'gerrit.actor': 'alice' }),
];

describe('buildChangeTimeline', () => {
  it('lays out a merged change: lanes, bars, markers on their lanes', () => {
    const t = buildChangeTimeline(merged, undefined, 100 * H);
    assert.deepEqual(
      t.lanes.map((l) => l.id),
      ['change', 'patchset-1', 'ci-1-ci-bot', 'review-1-alice', 'patchset-2', 'ci-2-ci-bot', 'review-2-alice'],
    );
    assert.deepEqual([t.startMs, t.endMs], [0, 10 * H]);
    assert.deepEqual(t.lanes[0].bars, [{ startMs: 0, endMs: 10 * H, open: false, outcome: 'merged', error: false }]);
    assert.equal(t.lanes.find((l) => l.id === 'ci-1-ci-bot')?.bars[0].error, true);
    const marker = (kind: string, who: string) => t.markers.find((m) => m.kind === kind && m.who === who);
    assert.equal(marker('vote', 'alice')?.laneId, 'review-1-alice');
    assert.equal(marker('vote', 'alice')?.value, -1);
    assert.equal(marker('vote', 'ci-bot')?.laneId, 'ci-2-ci-bot');
    assert.equal(marker('comment', 'alice')?.text, 'LGTM');
    assert.equal(marker('submit', 'alice')?.laneId, 'change');
  });

  it('shades who the change waited on: CI, then reviewers, then the author', () => {
    const t = buildChangeTimeline(merged, undefined, 100 * H);
    assert.deepEqual(
      t.waiting.map((w) => [w.on, w.startMs / H, w.endMs / H]),
      [
        ['ci', 0, 1],
        ['reviewers', 1, 2],
        ['author', 2, 4],
        ['ci', 4, 5],
        ['reviewers', 5, 8],
        ['author', 8, 10],
      ],
    );
  });

  it('draws what is still open of an open change up to now', () => {
    const spans = [span('comment', 1 * H, 1 * H + 1, { 'gerrit.patchset.number': 1, 'gerrit.actor': 'bob' })];
    const t = buildChangeTimeline(
      spans,
      { createdMs: 0, currentPatchSet: { number: 1, createdMs: 0 }, pendingReviews: [{ reviewer: 'bob', startMs: 0 }] },
      3 * H,
    );
    assert.deepEqual(
      t.lanes.map((l) => l.id),
      ['change', 'patchset-1', 'review-1-bob'],
    );
    assert.ok(t.lanes.every((l) => l.bars[0].open && l.bars[0].endMs === 3 * H));
    assert.equal(t.lanes[2].bars[0].outcome, 'pending');
    assert.equal(t.markers[0].laneId, 'review-1-bob');
    assert.deepEqual(t.waiting, [{ startMs: 0, endMs: 3 * H, on: 'reviewers' }]);
  });

  it('draws an abandoned change whose abandon is not final as closed at the abandon', () => {
    const t = buildChangeTimeline(
      [span('abandon', 2 * H, 2 * H + 1, { 'gerrit.actor': 'olga' })],
      { createdMs: 0, abandonedMs: 2 * H, currentPatchSet: { number: 1, createdMs: 0 }, pendingReviews: [] },
      5 * H,
    );
    assert.deepEqual(
      t.lanes.map((l) => [l.id, l.bars[0].open, l.bars[0].endMs / H, l.bars[0].outcome]),
      [
        ['change', false, 2, 'closed'],
        ['patchset-1', false, 2, 'abandoned'],
      ],
    );
    assert.deepEqual(t.waiting, [{ startMs: 0, endMs: 2 * H, on: 'author' }]);
  });

  it('shows no waiting before the sidecar first saw a change', () => {
    const t = buildChangeTimeline(
      [],
      { createdMs: 0, firstSeenMs: 3 * H, currentPatchSet: { number: 2, createdMs: 1 * H }, pendingReviews: [] },
      5 * H,
    );
    assert.deepEqual(t.waiting, [{ startMs: 3 * H, endMs: 5 * H, on: 'author' }]);
  });

  it('takes the latest root of a change restored after a final abandon', () => {
    const t = buildChangeTimeline(
      [
        span('change', 0, 2 * H, { 'vcs.change.state': 'closed' }),
        span('change', 0, 6 * H, { 'vcs.change.state': 'merged', 'gerrit.change.generation': 2 }, 'ok'),
      ],
      undefined,
      9 * H,
    );
    assert.deepEqual([t.lanes[0].bars[0].endMs, t.lanes[0].bars[0].outcome], [6 * H, 'merged']);
  });
});

describe('waiting while work in progress (as the list’s waitingOf() says)', () => {
  const open = {
    createdMs: 0,
    currentPatchSet: { number: 1, createdMs: 0 },
    pendingReviews: [{ reviewer: 'bob', startMs: 0 }],
  };

  it('waits on the author, not the pending reviewers, while an open change is in progress', () => {
    const t = buildChangeTimeline([], { ...open, wipSinceMs: 2 * H }, 5 * H);
    assert.deepEqual(
      t.waiting.map((w) => [w.on, w.startMs / H, w.endMs / H]),
      [
        ['reviewers', 0, 2],
        ['author', 2, 5],
      ],
    );
  });

  it('reads past work-in-progress periods from the wip spans, a first "ready" meaning in progress from the start', () => {
    const wip = (atMs: number, on: boolean) => span('wip', atMs, atMs + 1, { 'gerrit.wip': on });
    const t = buildChangeTimeline([wip(1 * H, false), wip(3 * H, true), wip(4 * H, false)], open, 6 * H);
    assert.deepEqual(
      t.waiting.map((w) => [w.on, w.startMs / H, w.endMs / H]),
      [
        ['author', 0, 1],
        ['reviewers', 1, 3],
        ['author', 3, 4],
        ['reviewers', 4, 6],
      ],
    );
  });

  it('keeps a CI run from taking the wait from the author of a change in progress', () => {
    const spans = [
      span('patchset', 0, 4 * H, { 'gerrit.patchset.number': 1 }),
      span('ci', 0, 2 * H, { 'gerrit.patchset.number': 1, 'gerrit.bot': 'ci-bot' }),
      span('wip', 1 * H, 1 * H + 1, { 'gerrit.wip': true }),
      span('change', 0, 4 * H, { 'vcs.change.state': 'closed' }),
    ];
    const t = buildChangeTimeline(spans, undefined, 9 * H);
    assert.deepEqual(
      t.waiting.map((w) => [w.on, w.startMs / H, w.endMs / H]),
      [
        ['ci', 0, 1],
        ['author', 1, 4],
      ],
    );
  });
});
