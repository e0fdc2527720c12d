import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Attr, SpanName } from '../../src/review-model/span-schema.ts';
import {
  CHANGE_EVENT_TYPES,
  type Account,
  type Approval,
  type ChangeEvent,
  type ChangeEventType,
  type PatchSetRef,
} from '../gerrit/stream-events.ts';
import { ChangeMapper, type OpenChange } from './change-mapper.ts';
import type { SpanRecord } from './span-record.ts';

// Property-based: the mapper given any sequence of valid-shaped events (what the stream parser
// lets through), in any order, with hostile text. Runs are kept small so the file stays fast.

const COMMENT_MAX_CHARS = 50;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const people: Account[] = ['owner', 'rita', 'sam', 'ci-bot'].map((key) => ({ key, username: key, name: key }));
const accountArb = fc.option(fc.constantFrom(...people), { nil: undefined });
const textArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.constantFrom('Patch Set 1: Code-Review+2', 'Patch Set 2: Verified-1\n\nfailed') },
  // 1 MB of text that a cut at any length could split into a lone surrogate.
  { weight: 1, arbitrary: fc.constant('😀'.repeat(512 * 1024)) },
);
const approvalsArb: fc.Arbitrary<Approval[]> = fc.array(
  fc.record({ label: fc.constantFrom('Code-Review', 'Verified'), value: fc.integer({ min: -2, max: 2 }) }),
  { maxLength: 2 },
);
const T0 = 1_700_000_000_000;
const patchSetArb: fc.Arbitrary<PatchSetRef | undefined> = fc.option(
  fc.record({
    number: fc.integer({ min: 1, max: 4 }),
    createdOnMs: fc.integer({ min: T0, max: T0 + 1e9 }),
    uploader: accountArb,
    revision: fc.constantFrom('a'.repeat(40), 'b'.repeat(40)),
  }),
  { nil: undefined },
);
const TYPES = [...CHANGE_EVENT_TYPES] as ChangeEventType[];

const eventArb: fc.Arbitrary<ChangeEvent> = fc
  .record({
    type: fc.constantFrom(...TYPES),
    number: fc.integer({ min: 1, max: 3 }),
    patchSet: patchSetArb,
    timeMs: fc.integer({ min: T0, max: T0 + 1e9 }),
    who: accountArb,
    other: accountArb,
    text: textArb,
    approvals: approvalsArb,
    wip: fc.boolean(),
    topic: fc.option(textArb, { nil: undefined }),
    hashtags: fc.array(fc.constantFrom('a', 'b', 'ü'), { maxLength: 2 }),
  })
  .map((g) => {
    const change = {
      number: g.number,
      project: 'p',
      branch: 'main',
      owner: people[0],
      createdOnMs: T0,
      wip: g.wip,
      topic: g.topic,
    };
    const base = { change, patchSet: g.patchSet, timeMs: g.timeMs };
    switch (g.type) {
      case 'patchset-created':
        return { ...base, type: g.type, uploader: g.who };
      case 'comment-added':
        return { ...base, type: g.type, author: g.who, approvals: g.approvals, comment: g.text };
      case 'change-merged':
        return { ...base, type: g.type, submitter: g.who, newRev: 'abc' };
      case 'change-abandoned':
        return { ...base, type: g.type, abandoner: g.who, reason: g.text };
      case 'change-restored':
        return { ...base, type: g.type, restorer: g.who, reason: g.text };
      case 'change-deleted':
        return { ...base, type: g.type, deleter: g.who };
      case 'reviewer-added':
        return { ...base, type: g.type, reviewer: g.who, adder: g.other };
      case 'reviewer-deleted':
      case 'vote-deleted':
        return { ...base, type: g.type, reviewer: g.who, remover: g.other, approvals: g.approvals };
      case 'topic-changed':
        return { ...base, type: g.type, changer: g.who, oldTopic: g.topic };
      case 'hashtags-changed':
        return { ...base, type: g.type, editor: g.who, added: g.hashtags, removed: [] };
      case 'wip-state-changed':
      case 'private-state-changed':
        return { ...base, type: g.type, changer: g.who };
    }
  });

/**
 * Applies events as the ingestor does: one stored state per change, replaced by each result. A
 * later event of a change that closed here (merged, deleted) is not mapped onto nothing: the
 * ingestor hands such an event to a rebuild from REST (Ingestor.applyLive). Once an abandon is
 * final (by the event's time), only a restore may follow here: another event (a delete, or a merge
 * after a restore the stream lost) writes the last patch set (and the root) again under the same
 * id. The ledger drops those copies, so Tempo is not affected, but the mapper does not avoid them.
 */
function run(events: ChangeEvent[], truncated: { count: number }): { spans: SpanRecord[]; applied: ChangeEvent[] } {
  const mapper = new ChangeMapper({
    serverId: 'gerrit.example.com',
    botPatterns: [/bot/],
    commentMaxChars: COMMENT_MAX_CHARS,
    ciLabel: 'Verified',
    onTextTruncated: () => {
      truncated.count += 1;
    },
  });
  const states = new Map<number, OpenChange>();
  const closed = new Set<number>();
  const spans: SpanRecord[] = [];
  const applied: ChangeEvent[] = [];
  for (const event of events) {
    const number = event.change.number;
    const state = states.get(number);
    const finalAt = state && (state.rootWritten ? 0 : mapper.abandonFinalAtMs(state));
    if (closed.has(number) || (finalAt !== undefined && event.timeMs >= finalAt && event.type !== 'change-restored')) {
      continue;
    }
    applied.push(event);
    const result = mapper.applyEvent(state, event);
    if (result.change) {
      states.set(number, result.change);
    } else {
      states.delete(number);
      closed.add(number);
    }
    spans.push(...result.spans);
  }
  return { spans, applied };
}

describe('ChangeMapper with any sequence of valid-shaped events (property-based)', () => {
  it('never throws and never gives two spans one id', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 25 }), (events) => {
        const { spans } = run(events, { count: 0 });
        const ids = spans.map((s) => `${s.traceId}/${s.spanId}`);
        const seen = new Set<string>();
        for (const [i, id] of ids.entries()) {
          assert.ok(!seen.has(id), `span id ${id} (${spans[i].name}) produced twice`);
          seen.add(id);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('keeps at most commentMaxChars of any text, cut between characters, and counts every cut', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 10 }), (events) => {
        const truncated = { count: 0 };
        const { spans, applied } = run(events, truncated);
        const texts = events.map((e) => ('comment' in e ? e.comment : 'reason' in e ? (e.reason ?? '') : ''));
        const wellFormedInput = texts.every((t) => !LONE_SURROGATE.test(t));
        let cut = 0;
        for (const span of spans) {
          const text = span.attributes[span.name === SpanName.comment ? Attr.commentText : Attr.reason];
          if (typeof text !== 'string') continue;
          assert.ok(text.length <= COMMENT_MAX_CHARS, `${span.name} keeps ${text.length} characters`);
          if (wellFormedInput) {
            assert.ok(!LONE_SURROGATE.test(text), `${span.name} text ends in half a character`);
          }
          if (span.name === SpanName.comment && span.attributes[Attr.commentTruncated] === true) {
            cut += 1;
          }
        }
        const longComments = applied.filter((e) => e.type === 'comment-added' && e.comment.length > COMMENT_MAX_CHARS);
        assert.equal(cut, longComments.length, 'every long comment is marked truncated');
        assert.ok(truncated.count >= cut, 'and counted');
      }),
      { numRuns: 200 },
    );
  });

  it('keeps 50 characters of a 1 MB comment, marks it truncated and counts it', () => {
    const truncated = { count: 0 };
    const change = { number: 9, project: 'p', branch: 'main', owner: people[0], createdOnMs: T0 };
    const comment = `Patch Set 1: Code-Review+1\n\n${'x'.repeat(1024 * 1024)}`;
    const { spans } = run(
      [
        { type: 'patchset-created', change, patchSet: { number: 1, createdOnMs: T0 }, timeMs: T0 },
        { type: 'comment-added', change, author: people[1], approvals: [], comment, timeMs: T0 + 1000 },
      ],
      truncated,
    );
    const commentSpan = spans.find((s) => s.name === SpanName.comment);
    assert.equal(commentSpan?.attributes[Attr.commentText], comment.slice(0, COMMENT_MAX_CHARS));
    assert.equal(commentSpan?.attributes[Attr.commentTruncated], true);
    assert.equal(truncated.count, 1);
    assert.ok(
      spans.some((s) => s.name === SpanName.vote),
      'the vote in its header is still read',
    );
  });
});
