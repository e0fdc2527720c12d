import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamEventLine } from './stream-events.ts';

const change = {
  project: 'p',
  branch: 'main',
  id: 'Iabc',
  number: 7,
  subject: 's',
  owner: { name: 'Owner', email: 'o@x', username: 'owner' },
  createdOn: 1700000000,
};

describe('parseStreamEventLine', () => {
  it('reads a patchset-created event with numbers given as strings', () => {
    const line = JSON.stringify({
      type: 'patchset-created',
      change: { ...change, number: '7', createdOn: '1700000000' },
      patchSet: {
        number: '2',
        revision: 'abc',
        createdOn: '1700000100',
        sizeInsertions: '10',
        sizeDeletions: '-3',
        kind: 'REWORK',
        uploader: { username: 'owner' },
      },
      eventCreatedOn: '1700000101',
    });
    const r = parseStreamEventLine(line);
    assert.equal(r.kind, 'change');
    if (r.kind !== 'change') return;
    assert.equal(r.event.type, 'patchset-created');
    assert.equal(r.event.change.number, 7);
    assert.equal(r.event.change.createdOnMs, 1700000000_000);
    assert.equal(r.event.patchSet?.number, 2);
    assert.equal(r.event.patchSet?.insertions, 10);
    assert.equal(r.event.patchSet?.deletions, 3, 'Gerrit reports deletions as negative numbers');
    assert.equal(r.event.timeMs, 1700000101_000);
  });

  it('keeps an event whose optional fields are all missing', () => {
    const r = parseStreamEventLine(
      JSON.stringify({ type: 'comment-added', change: { number: 3 }, eventCreatedOn: 1700000000 }),
    );
    assert.equal(r.kind, 'change');
    if (r.kind !== 'change' || r.event.type !== 'comment-added') return assert.fail('expected comment-added');
    assert.equal(r.event.change.project, 'unknown');
    assert.deepEqual(r.event.approvals, []);
    assert.equal(r.event.comment, '');
    assert.equal(r.event.author, undefined);
  });

  it('gives each event the account as that event names it, sharing one object per identity', () => {
    const added = (reviewerName: string) =>
      parseStreamEventLine(
        JSON.stringify({
          type: 'reviewer-added',
          change,
          reviewer: { name: reviewerName, email: 'r@x', username: 'rita' },
          adder: change.owner,
          eventCreatedOn: 1700000100,
        }),
      );
    const [first, again, renamed] = [added('Rita'), added('Rita'), added('Rita R.')];
    assert.ok(first.kind === 'change' && first.event.type === 'reviewer-added');
    assert.ok(again.kind === 'change' && again.event.type === 'reviewer-added');
    assert.ok(renamed.kind === 'change' && renamed.event.type === 'reviewer-added');
    assert.deepEqual(first.event.reviewer, { key: 'rita', name: 'Rita', email: 'r@x', username: 'rita' });
    assert.equal(again.event.reviewer, first.event.reviewer);
    assert.equal(again.event.adder, first.event.change.owner);
    assert.deepEqual(renamed.event.reviewer, { key: 'rita', name: 'Rita R.', email: 'r@x', username: 'rita' });
    assert.equal(first.event.reviewer?.name, 'Rita');
  });

  it('parses approvals, skipping entries without a label or value', () => {
    const r = parseStreamEventLine(
      JSON.stringify({
        type: 'comment-added',
        change,
        approvals: [
          { type: 'Code-Review', value: '2', oldValue: '0' },
          { type: 'Verified', value: 1 },
          { value: '1' },
          'junk',
          { type: 'X', value: 'NaN' },
        ],
        eventCreatedOn: 1700000000,
      }),
    );
    if (r.kind !== 'change' || r.event.type !== 'comment-added') return assert.fail('expected comment-added');
    assert.deepEqual(r.event.approvals, [
      { label: 'Code-Review', value: 2, oldValue: 0 },
      { label: 'Verified', value: 1 },
    ]);
  });

  it('classifies bad input instead of throwing', () => {
    assert.deepEqual(parseStreamEventLine('not json {'), { kind: 'malformed', reason: 'not JSON' });
    assert.equal(parseStreamEventLine('[1,2]').kind, 'malformed');
    assert.equal(parseStreamEventLine('{"change":{"number":1}}').kind, 'malformed');
    assert.equal(
      parseStreamEventLine(JSON.stringify({ type: 'comment-added', change: { number: 'x' } })).kind,
      'malformed',
    );
    assert.equal(
      parseStreamEventLine(JSON.stringify({ type: 'comment-added', change: { number: -1 }, eventCreatedOn: 1 })).kind,
      'malformed',
    );
    assert.equal(
      parseStreamEventLine(JSON.stringify({ type: 'comment-added', change: { number: 1 } })).kind,
      'malformed',
      'no time at all',
    );
  });

  it('separates changeless, unknown and dropped-output events', () => {
    assert.deepEqual(parseStreamEventLine('{"type":"dropped-output"}'), { kind: 'dropped-output' });
    assert.equal(
      parseStreamEventLine(JSON.stringify({ type: 'ref-updated', refUpdate: {}, eventCreatedOn: 1 })).kind,
      'changeless',
    );
    assert.equal(
      parseStreamEventLine(JSON.stringify({ type: 'project-created', projectName: 'x' })).kind,
      'changeless',
    );
    assert.deepEqual(parseStreamEventLine(JSON.stringify({ type: 'plugin-foo-happened', change })), {
      kind: 'unknown-type',
      type: 'plugin-foo-happened',
    });
  });

  it('reads every change event type the sidecar maps', () => {
    const types = [
      'change-merged',
      'change-abandoned',
      'change-restored',
      'change-deleted',
      'reviewer-added',
      'reviewer-deleted',
      'vote-deleted',
      'topic-changed',
      'hashtags-changed',
      'wip-state-changed',
      'private-state-changed',
    ];
    for (const type of types) {
      const r = parseStreamEventLine(JSON.stringify({ type, change, eventCreatedOn: 1700000000 }));
      assert.equal(r.kind, 'change', type);
      if (r.kind === 'change') assert.equal(r.event.type, type);
    }
  });
});
