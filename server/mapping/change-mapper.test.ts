import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Attr, SpanName } from '../../src/review-model/span-schema.ts';
import { parseStreamEvent, type ChangeEvent } from '../gerrit/stream-events.ts';
import {
  APPLIED_KEEP,
  ChangeMapper,
  FACT_SKEW_MS,
  appliedState,
  changeAttributes,
  reviveOpenChange,
  type OpenChange,
} from './change-mapper.ts';
import { spanIdFor, traceIdFor, traceKey } from './span-ids.ts';
import type { SpanRecord } from './span-record.ts';

const T = Date.UTC(2026, 10, 1, 9, 0, 0);
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const acct = (u: string) => ({ name: u.toUpperCase(), email: `${u}@example.com`, username: u });
const changeJson = (status = 'NEW') => ({
  project: 'core',
  branch: 'main',
  id: 'I1',
  number: 7,
  subject: 'Fix it',
  owner: acct('olga'),
  url: 'http://g/c/core/+/7',
  createdOn: T / 1000,
  status,
});
const ps = (n: number, at: number) => ({
  number: n,
  revision: `rev${n}`,
  createdOn: at / 1000,
  uploader: acct('olga'),
  kind: 'REWORK',
  sizeInsertions: 5,
  sizeDeletions: -2,
});

function ev(raw: Record<string, unknown>): ChangeEvent {
  const r = parseStreamEvent(raw);
  assert.equal(r.kind, 'change');
  return (r as { event: ChangeEvent }).event;
}

function story(): ChangeEvent[] {
  return [
    ev({
      type: 'patchset-created',
      change: changeJson(),
      patchSet: ps(1, T),
      uploader: acct('olga'),
      eventCreatedOn: T / 1000,
    }),
    ev({
      type: 'reviewer-added',
      change: changeJson(),
      patchSet: ps(1, T),
      reviewer: acct('alice'),
      adder: acct('olga'),
      eventCreatedOn: (T + S) / 1000,
    }),
    ev({
      type: 'reviewer-added',
      change: changeJson(),
      patchSet: ps(1, T),
      reviewer: acct('bob'),
      adder: acct('olga'),
      eventCreatedOn: (T + 2 * S) / 1000,
    }),
    ev({
      type: 'comment-added',
      change: changeJson(),
      patchSet: ps(1, T),
      author: acct('ci-bot'),
      approvals: [{ type: 'Verified', value: '1', oldValue: '0' }],
      comment: 'Patch Set 1: Verified+1\n\nBuild ok',
      eventCreatedOn: (T + 10 * MIN) / 1000,
    }),
    ev({
      type: 'comment-added',
      change: changeJson(),
      patchSet: ps(1, T),
      author: acct('alice'),
      approvals: [{ type: 'Code-Review', value: '1', oldValue: '0' }],
      comment: 'Patch Set 1: Code-Review+1\n\nnit',
      eventCreatedOn: (T + 2 * H) / 1000,
    }),
    ev({
      type: 'patchset-created',
      change: changeJson(),
      patchSet: ps(2, T + 3 * H),
      uploader: acct('olga'),
      eventCreatedOn: (T + 3 * H) / 1000,
    }),
    ev({
      type: 'comment-added',
      change: changeJson(),
      patchSet: ps(2, T + 3 * H),
      author: acct('bob'),
      approvals: [],
      comment: 'Patch Set 2:\n\n(1 comment)',
      eventCreatedOn: (T + 4 * H) / 1000,
    }),
    ev({
      type: 'comment-added',
      change: changeJson(),
      patchSet: ps(2, T + 3 * H),
      author: acct('alice'),
      approvals: [{ type: 'Code-Review', value: '2', oldValue: '1' }],
      comment: 'Patch Set 2: Code-Review+2',
      eventCreatedOn: (T + 5 * H) / 1000,
    }),
    ev({
      type: 'change-merged',
      change: changeJson('MERGED'),
      patchSet: ps(2, T + 3 * H),
      submitter: acct('alice'),
      newRev: 'merged-rev',
      eventCreatedOn: (T + 6 * H) / 1000,
    }),
  ];
}

const mapper = (options: { abandonFinalAfterMs?: number } = {}) =>
  new ChangeMapper({
    serverId: 'gerrit.example.com',
    botPatterns: [/-bot$/],
    commentMaxChars: 10,
    ciLabel: 'Verified',
    ...options,
  });

function run(events: ChangeEvent[]): { spans: SpanRecord[]; state: OpenChange | undefined } {
  const m = mapper();
  let state: OpenChange | undefined;
  const spans: SpanRecord[] = [];
  for (const e of events) {
    const r = m.applyEvent(state, e);
    state = r.change;
    spans.push(...r.spans);
  }
  return { spans, state };
}

const key = traceKey('gerrit.example.com', 7);
const id = (spanKey: string) => spanIdFor(key, spanKey);

describe('ChangeMapper', () => {
  it('maps a review story to exactly the expected spans', () => {
    const { spans, state } = run(story());
    assert.equal(state, undefined, 'a merged change is no longer open');
    const traceId = traceIdFor('gerrit.example.com', 7);
    assert.ok(spans.every((s) => s.traceId === traceId));
    assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, 'no span id twice');
    const byName = (name: string) => spans.filter((s) => s.name === name);
    assert.deepEqual(
      Object.fromEntries(
        Object.values(SpanName)
          .map((n) => [n, byName(n).length])
          .filter(([, c]) => c !== 0),
      ),
      { change: 1, patchset: 2, review: 4, vote: 3, comment: 4, 'reviewer.added': 2, ci: 1, submit: 1 },
    );

    const root = byName('change')[0];
    assert.equal(root.spanId, id('change'));
    assert.equal(root.parentSpanId, undefined);
    assert.equal(root.startMs, T);
    assert.equal(root.endMs, T + 6 * H);
    assert.equal(root.status, 'ok');
    assert.equal(root.attributes[Attr.changeState], 'merged');
    assert.equal(
      root.attributes[Attr.timeToFirstReviewMs],
      2 * H,
      'first human review: alice at +2h (the bot does not count)',
    );
    assert.equal(root.attributes[Attr.timeToMergeMs], 6 * H);
    assert.equal(root.attributes[Attr.reviewRounds], 2);
    assert.equal(root.attributes[Attr.patchSetCount], 2);
    assert.equal(root.attributes[Attr.changeNumber], '7');

    const [ps1, ps2] = byName('patchset').sort((a, b) => a.startMs - b.startMs);
    assert.deepEqual(
      [ps1.spanId, ps1.parentSpanId, ps1.startMs, ps1.endMs],
      [id('patchset/1'), root.spanId, T, T + 3 * H],
    );
    assert.deepEqual([ps2.spanId, ps2.startMs, ps2.endMs], [id('patchset/2'), T + 3 * H, T + 6 * H]);
    assert.equal(ps1.attributes[Attr.deletions], 2);

    const review = (n: number, who: string) => spans.find((s) => s.spanId === id(`review/${n}/${who}/1`));
    assert.deepEqual(
      [
        review(1, 'alice')?.startMs,
        review(1, 'alice')?.endMs,
        review(1, 'alice')?.attributes[Attr.reviewOutcome],
        review(1, 'alice')?.parentSpanId,
      ],
      [T + S, T + 2 * H, 'voted', ps1.spanId],
    );
    assert.deepEqual(
      [review(1, 'bob')?.startMs, review(1, 'bob')?.endMs, review(1, 'bob')?.attributes[Attr.reviewOutcome]],
      [T + 2 * S, T + 3 * H, 'superseded'],
    );
    assert.deepEqual(
      [review(2, 'bob')?.startMs, review(2, 'bob')?.endMs, review(2, 'bob')?.attributes[Attr.reviewOutcome]],
      [T + 3 * H, T + 4 * H, 'commented'],
    );
    assert.deepEqual([review(2, 'alice')?.endMs, review(2, 'alice')?.attributes[Attr.value]], [T + 5 * H, 2]);
    assert.equal(review(2, 'alice')?.attributes[Attr.owner], 'olga');

    const ci = byName('ci')[0];
    assert.deepEqual(
      [ci.startMs, ci.endMs, ci.status, ci.attributes[Attr.pipelineResult], ci.parentSpanId],
      [T, T + 10 * MIN, 'ok', 'success', ps1.spanId],
    );

    const votes = byName('vote').map(
      (v) => `${v.attributes[Attr.actor]}:${v.attributes[Attr.label]}:${v.attributes[Attr.value]}`,
    );
    assert.deepEqual(votes.sort(), ['alice:Code-Review:1', 'alice:Code-Review:2', 'ci-bot:Verified:1']);
    const comment = byName('comment').find((c) => c.attributes[Attr.actor] === 'alice');
    assert.equal(comment?.attributes[Attr.commentText], 'Patch Set ', 'truncated to commentMaxChars');
    assert.equal(comment?.attributes[Attr.commentTruncated], true);
    assert.ok(
      spans.every((s) => s.endMs > s.startMs),
      'every span has a positive duration',
    );
  });

  it('produces identical spans on a replay of the same events', () => {
    assert.deepEqual(run(story()).spans, run(story()).spans);
  });

  it('keeps an open change with its pending reviews, and exports no root yet', () => {
    const { spans, state } = run(story().slice(0, 6));
    assert.ok(state);
    assert.equal(state.current?.number, 2);
    assert.deepEqual(Object.keys(state.pendingReviews).sort(), ['alice', 'bob'], 'both asked again on patch set 2');
    assert.equal(spans.filter((s) => s.name === 'change').length, 0);
    // structuredClone: the same data with plain prototypes (keyed records have none).
    assert.deepEqual(JSON.parse(JSON.stringify(state)), structuredClone(state), 'state survives a JSON round trip');
  });

  it('marks a failing CI vote as an error and closes the ci span', () => {
    const events = story().slice(0, 3);
    events.push(
      ev({
        type: 'comment-added',
        change: changeJson(),
        patchSet: ps(1, T),
        author: acct('ci-bot'),
        approvals: [],
        comment: 'Patch Set 1: Verified-1\n\nBuild failed',
        eventCreatedOn: (T + 20 * MIN) / 1000,
      }),
    );
    const ci = run(events).spans.find((s) => s.name === 'ci');
    assert.deepEqual([ci?.status, ci?.attributes[Attr.pipelineResult], ci?.endMs], ['error', 'failure', T + 20 * MIN]);
    assert.equal(run(events).spans.find((s) => s.name === 'vote')?.status, 'error');
  });

  const abandonEvent = (atMs: number) =>
    ev({
      type: 'change-abandoned',
      change: changeJson('ABANDONED'),
      patchSet: ps(1, T),
      abandoner: acct('olga'),
      reason: 'nope',
      eventCreatedOn: atMs / 1000,
    });
  const restoreEvent = (atMs: number) =>
    ev({
      type: 'change-restored',
      change: changeJson(),
      patchSet: ps(1, T),
      restorer: acct('olga'),
      eventCreatedOn: atMs / 1000,
    });
  const bobVotes = (atMs: number, value = 1) =>
    ev({
      type: 'comment-added',
      change: changeJson(),
      patchSet: ps(1, T),
      author: acct('bob'),
      approvals: [{ type: 'Code-Review', value: String(value), oldValue: '0' }],
      comment: `Patch Set 1: Code-Review+${value}`,
      eventCreatedOn: atMs / 1000,
    });
  const merge = (atMs: number) =>
    ev({
      type: 'change-merged',
      change: changeJson('MERGED'),
      patchSet: ps(1, T),
      submitter: acct('alice'),
      eventCreatedOn: atMs / 1000,
    });

  it('writes no root at an abandon, and continues the change when it is restored before the abandon is final', () => {
    const events = [...story().slice(0, 5), abandonEvent(T + 7 * H)];
    const { spans, state } = run(events);
    assert.equal(state?.status, 'ABANDONED', 'kept, so that a restore continues it');
    assert.equal(state?.abandonedMs, T + 7 * H);
    assert.deepEqual(
      spans.filter((s) => s.name === 'change' || s.name === 'patchset'),
      [],
      'root and patch set wait until the abandon is final',
    );
    const bob1 = spans.find((s) => s.spanId === id('review/1/bob/1'));
    assert.deepEqual([bob1?.endMs, bob1?.attributes[Attr.reviewOutcome]], [T + 7 * H, 'superseded']);

    const m = mapper();
    const r1 = m.applyEvent(structuredClone(state), restoreEvent(T + 8 * H));
    assert.equal(r1.change?.status, 'NEW', 'restored change is open again');
    const r2 = m.applyEvent(r1.change, bobVotes(T + 9 * H));
    const r3 = m.applyEvent(r2.change, merge(T + 10 * H));
    assert.equal(r1.spans.find((s) => s.name === 'restore')?.parentSpanId, id('change'));
    const bobReview = r2.spans.find((s) => s.name === 'review');
    assert.equal(bobReview?.spanId, id('review/1/bob/2'), 'bob is asked again after the restore: a second review span');
    assert.equal(bobReview?.startMs, T + 8 * H, 'asked from the restore on');
    const root = r3.spans.find((s) => s.name === 'change');
    assert.deepEqual(
      [root?.spanId, root?.attributes[Attr.changeState], root?.attributes[Attr.changeStatus], root?.endMs],
      [id('change'), 'merged', 'MERGED', T + 10 * H],
      'the one root says merged, with the final numbers',
    );
    assert.equal(root?.attributes[Attr.timeToMergeMs], 10 * H);
    const patchSet = r3.spans.find((s) => s.name === 'patchset');
    assert.deepEqual([patchSet?.spanId, patchSet?.startMs, patchSet?.endMs], [id('patchset/1'), T, T + 10 * H]);
  });

  it('writes the root of an abandoned change once the abandon is final, at the abandon', () => {
    const m = mapper();
    const { state } = run([...story().slice(0, 5), abandonEvent(T + 7 * H)]);
    assert.ok(state);
    const finalAt = m.abandonFinalAtMs(state);
    assert.equal(finalAt, T + 7 * H + 7 * 24 * H, 'a week by default');
    assert.deepEqual(m.finalizeAbandoned(structuredClone(state), (finalAt ?? 0) - 1), [], 'not before');
    const spans = m.finalizeAbandoned(state, finalAt ?? 0);
    const root = spans.find((s) => s.name === 'change');
    assert.deepEqual(
      [root?.spanId, root?.attributes[Attr.changeState], root?.attributes[Attr.changeStatus], root?.endMs],
      [id('change'), 'closed', 'ABANDONED', T + 7 * H],
    );
    assert.deepEqual(
      spans.filter((s) => s.name === 'patchset').map((s) => [s.endMs, s.attributes[Attr.patchSetEndReason]]),
      [[T + 7 * H, 'abandoned']],
    );
    assert.equal(state.rootWritten, true);
    assert.deepEqual(m.finalizeAbandoned(state, Infinity), [], 'only once');
  });

  it('starts a second root generation when a change is restored after its abandon was final', () => {
    const m = mapper({ abandonFinalAfterMs: H });
    let state: OpenChange | undefined;
    const spans: SpanRecord[] = [];
    for (const e of [...story().slice(0, 5), abandonEvent(T + 7 * H), restoreEvent(T + 9 * H), bobVotes(T + 10 * H)]) {
      const r = m.applyEvent(state, e);
      state = r.change;
      spans.push(...r.spans);
    }
    const r = m.applyEvent(state, merge(T + 11 * H));
    spans.push(...r.spans);
    const roots = spans.filter((s) => s.name === 'change');
    assert.deepEqual(
      roots.map((s) => [s.spanId, s.attributes[Attr.changeStatus], s.endMs]),
      [
        [id('change'), 'ABANDONED', T + 7 * H],
        [id('change/2'), 'MERGED', T + 11 * H],
      ],
      'the restore (2 h after the abandon, final after 1 h) writes the first root, the merge a second',
    );
    const ids = new Set(spans.map((s) => s.spanId));
    assert.equal(ids.size, spans.length, 'no span id twice');
    for (const s of spans) {
      assert.ok(s.parentSpanId === undefined || ids.has(s.parentSpanId), `${s.name} has its parent in the trace`);
    }
    const review = spans.find((s) => s.name === 'review' && s.startMs === T + 9 * H);
    assert.equal(review?.parentSpanId, id('patchset/1/2'), 'the reopened patch set is a span of the new generation');
  });

  it('measures the first review from ready for review, and counts only votes and reviewers', () => {
    const wipChange = { ...changeJson(), wip: true };
    const comment = (who: string, atMs: number, votes: Record<string, unknown>[] = []) =>
      ev({
        type: 'comment-added',
        change: changeJson(),
        patchSet: ps(1, T),
        author: acct(who),
        approvals: votes,
        comment: 'Patch Set 1:\n\nhello',
        eventCreatedOn: atMs / 1000,
      });
    const events = [
      ev({ type: 'patchset-created', change: wipChange, patchSet: ps(1, T), eventCreatedOn: T / 1000 }),
      ev({
        type: 'reviewer-added',
        change: wipChange,
        patchSet: ps(1, T),
        reviewer: acct('alice'),
        eventCreatedOn: (T + MIN) / 1000,
      }),
      ev({ type: 'wip-state-changed', change: changeJson(), eventCreatedOn: (T + H) / 1000 }),
      comment('olga', T + 2 * H),
      comment('dave', T + 3 * H),
      comment('alice', T + 4 * H),
    ];
    const m = mapper();
    let state: OpenChange | undefined;
    const counted: Record<string, unknown> = {};
    for (const e of events) {
      const applied = m.applyEvent(state, e);
      state = applied.change;
      for (const span of applied.spans.filter((x) => x.name === 'comment')) {
        counted[String(span.attributes[Attr.actor])] = span.attributes[Attr.reviewCounted];
      }
    }
    assert.equal(state?.readyMs, T + H, 'ready when it left work in progress');
    assert.equal(state?.firstReviewMs, T + 4 * H, "neither the owner's nor a passer-by's comment is a review");
    assert.deepEqual(counted, { olga: false, dave: false, alice: true }, 'the comment spans say which are reviews');
    assert.deepEqual(state?.reviews, [['alice', T + 4 * H]], 'the review log lists the reviews only');
    assert.deepEqual(state?.reviewedPatchSets, [1]);
    const voted = m.applyEvent(
      structuredClone(state),
      comment('erin', T + 5 * H, [{ type: 'Code-Review', value: '1', oldValue: '0' }]),
    );
    assert.ok(voted.change && Object.keys(voted.change.reviewers).includes('erin'), 'a vote makes a reviewer');
    assert.equal(
      voted.spans.find((x) => x.name === 'comment')?.attributes[Attr.reviewCounted],
      true,
      'a vote is a review',
    );
    assert.equal(
      changeAttributes(voted.change as OpenChange)[Attr.reviewsJson],
      JSON.stringify([
        ['alice', T + 4 * H],
        ['erin', T + 5 * H],
      ]),
      'the root span lists every review',
    );
  });

  it('hangs spans on patch sets it never saw off the root, and leaves figures of an unseen past unknown', () => {
    const comment = (n: number, atMs: number) =>
      ev({
        type: 'comment-added',
        change: changeJson(),
        patchSet: ps(n, T),
        author: acct('bob'),
        approvals: [{ type: 'Code-Review', value: '1', oldValue: '0' }],
        comment: `Patch Set ${n}: Code-Review+1`,
        eventCreatedOn: atMs / 1000,
      });
    const { spans, state } = run([comment(3, T + H), comment(2, T + 2 * H)]);
    assert.equal(state?.firstSeenMs, T + H);
    const [onThree, onTwo] = spans.filter((s) => s.name === 'comment');
    assert.equal(onThree.parentSpanId, id('patchset/3'), 'patch set 3 was opened by its first event');
    assert.equal(onTwo.parentSpanId, id('change'), 'patch set 2 has no span: the root is the parent');
    assert.equal(onTwo.attributes[Attr.patchSetNumber], 2);
    assert.equal(state?.firstReviewMs, undefined, 'an earlier review may have been missed: unknown');
  });

  it('puts the change number, project and branch on every span, and the reviewers without owner and bots', () => {
    const { spans } = run(story());
    for (const s of spans) {
      assert.deepEqual(
        [s.attributes[Attr.changeNumber], s.attributes[Attr.project], s.attributes[Attr.branch]],
        ['7', 'core', 'main'],
        s.name,
      );
    }
    const root = spans.find((s) => s.name === 'change');
    assert.deepEqual(root?.attributes[Attr.reviewers], ['alice', 'bob']);
    assert.equal(root?.attributes[Attr.reviewersJson], '["alice","bob"]');
  });

  it('records instant change events under the root', () => {
    const base = story().slice(0, 1);
    const more = [
      ev({
        type: 'topic-changed',
        change: { ...changeJson(), topic: 'perf' },
        changer: acct('olga'),
        oldTopic: '',
        eventCreatedOn: (T + MIN) / 1000,
      }),
      ev({
        type: 'hashtags-changed',
        change: { ...changeJson(), hashtags: ['a', 'b'] },
        editor: acct('olga'),
        added: ['b'],
        removed: [],
        eventCreatedOn: (T + 2 * MIN) / 1000,
      }),
      ev({
        type: 'wip-state-changed',
        change: { ...changeJson(), wip: true },
        changer: acct('olga'),
        eventCreatedOn: (T + 3 * MIN) / 1000,
      }),
      ev({
        type: 'private-state-changed',
        change: { ...changeJson(), wip: true, private: true },
        changer: acct('olga'),
        eventCreatedOn: (T + 4 * MIN) / 1000,
      }),
      ev({
        type: 'vote-deleted',
        change: { ...changeJson(), wip: true, private: true },
        patchSet: ps(1, T),
        reviewer: acct('alice'),
        remover: acct('olga'),
        approvals: [{ type: 'Code-Review', value: '0', oldValue: '1' }],
        eventCreatedOn: (T + 5 * MIN) / 1000,
      }),
    ];
    const { spans, state } = run([...base, ...more]);
    assert.deepEqual(
      spans.map((s) => s.name),
      ['topic', 'hashtags', 'wip', 'private', 'vote.deleted'],
    );
    assert.ok(spans.slice(0, 4).every((s) => s.parentSpanId === id('change')));
    assert.equal(spans[4].parentSpanId, id('patchset/1'));
    assert.deepEqual([state?.topic, state?.hashtags, state?.wip, state?.isPrivate], ['perf', ['a', 'b'], true, true]);

    // Made ready, as Gerrit reports it: without the `wip` field, which it leaves out when false.
    const ready = ev({
      type: 'wip-state-changed',
      change: { ...changeJson(), private: true },
      changer: acct('olga'),
      eventCreatedOn: (T + 6 * MIN) / 1000,
    });
    const after = run([...base, ...more, ready]);
    const readySpan = after.spans[after.spans.length - 1];
    assert.equal(readySpan.spanId, id('wip/2'));
    assert.equal(readySpan.attributes[Attr.wip], false);
    assert.deepEqual([after.state?.wip, after.state?.isPrivate], [false, true]);
  });
  it('handles accounts named like object built-ins, also on a change read back from JSON', () => {
    const m = mapper();
    const first = m.applyEvent(undefined, story()[0]);
    // As the store keeps it: JSON, read back through reviveOpenChange.
    let state = reviveOpenChange(JSON.parse(JSON.stringify(first.change)));
    const names = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    for (const [i, name] of names.entries()) {
      const r = m.applyEvent(
        state,
        ev({
          type: 'reviewer-added',
          change: changeJson(),
          patchSet: ps(1, T),
          reviewer: acct(name),
          adder: acct('olga'),
          eventCreatedOn: (T + (i + 1) * S) / 1000,
        }),
      );
      assert.ok(!r.needsRebuild, `${name} is a new reviewer, not a repeated one`);
      assert.deepEqual(
        r.spans.map((x) => x.name),
        [SpanName.reviewerAdded],
      );
      state = reviveOpenChange(JSON.parse(JSON.stringify(r.change)));
    }
    assert.deepEqual(Object.keys(state.reviewers).sort(), [...names].sort());
    assert.deepEqual(Object.keys(state.pendingReviews).sort(), [...names].sort());
  });

  it('applies a line delivered twice once: the second gives no span and leaves the state as it was', () => {
    const m = mapper();
    const events = story().slice(0, 5);
    let state: OpenChange | undefined;
    const spans: SpanRecord[] = [];
    for (const e of events) {
      const first = m.applyEvent(state, e);
      spans.push(...first.spans);
      // As the store keeps it, then the same line again (a replay, an events-log playback).
      const stored = JSON.stringify(first.change);
      const again = m.applyEvent(reviveOpenChange(JSON.parse(stored)), e);
      assert.equal(again.alreadyApplied, true, `${e.type} recognised`);
      assert.deepEqual(again.spans, []);
      assert.equal(JSON.stringify(again.change), stored, `${e.type}: state unchanged`);
      state = first.change;
    }
    assert.deepEqual(
      spans.map((x) => x.spanId),
      run(events).spans.map((x) => x.spanId),
    );
  });

  it('asks for a rebuild on a repeated reviewer-added: Gerrit repeats the last of a batch in every event', () => {
    const m = mapper();
    const [created, added] = story();
    const state = m.applyEvent(m.applyEvent(undefined, created).change, added).change;
    const repeat = m.applyEvent(state, added);
    assert.deepEqual([repeat.alreadyApplied, repeat.needsRebuild, repeat.spans.length], [true, true, 0]);
  });

  it('keeps distinct comments of one reviewer in one second, and matches the REST copy a second earlier', () => {
    const m = mapper();
    const comment = (text: string, at: number) =>
      ev({
        type: 'comment-added',
        change: changeJson(),
        patchSet: ps(1, T),
        author: acct('alice'),
        approvals: [],
        comment: text,
        eventCreatedOn: at / 1000,
      });
    let state = m.applyEvent(undefined, story()[0]).change;
    assert.ok(state);
    const first = m.applyEvent(state, comment('Patch Set 1:\n\nlooks odd', T + MIN));
    state = first.change;
    assert.ok(state);
    const other = m.applyEvent(state, comment('Patch Set 1:\n\nand this too', T + MIN));
    assert.equal(other.spans.length, 1, 'another text is another comment');
    assert.ok(other.change);
    assert.equal(appliedState(other.change, comment('Patch Set 1:\n\nlooks odd', T + MIN + S)), 'applied');
    assert.equal(appliedState(other.change, comment('Patch Set 1:\n\nlooks odd', T + MIN + FACT_SKEW_MS)), 'applied');
    assert.equal(appliedState(other.change, comment('Patch Set 1:\n\nlooks odd', T + MIN + FACT_SKEW_MS + S)), 'new');
  });

  it('says `unknown` for an event older than the facts it remembers, and for state stored before it remembered any', () => {
    const m = mapper();
    const comment = (n: number) =>
      ev({
        type: 'comment-added',
        change: changeJson(),
        patchSet: ps(1, T),
        author: acct('alice'),
        approvals: [],
        comment: `note ${n}`,
        eventCreatedOn: (T + n * MIN) / 1000,
      });
    let state = m.applyEvent(undefined, story()[0]).change;
    for (let n = 1; n <= APPLIED_KEEP + 5; n += 1) {
      state = m.applyEvent(state, comment(n)).change;
    }
    assert.ok(state);
    assert.equal(state.applied?.length, APPLIED_KEEP);
    assert.equal(appliedState(state, comment(1)), 'unknown', 'forgotten: cannot tell');
    assert.equal(appliedState(state, comment(APPLIED_KEEP + 5)), 'applied');
    assert.equal(appliedState(state, comment(APPLIED_KEEP + 6)), 'new');
    const { applied: _applied, appliedFromMs: _from, ...legacy } = state;
    assert.equal(appliedState(legacy, comment(3)), 'unknown');
    assert.equal(appliedState(legacy, comment(APPLIED_KEEP + 9)), 'new');
  });
});
