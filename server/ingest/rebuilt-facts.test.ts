import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamEvent, type ChangeEvent } from '../gerrit/stream-events.ts';
import { FACT_SKEW_MS } from '../mapping/change-mapper.ts';
import { RebuiltFacts } from './rebuilt-facts.ts';

const change = { number: 9, project: 'p', branch: 'main', owner: { username: 'olga' } };
const comment = (who: string, sec: number, approvals: unknown[] = [], text = 'Patch Set 1:\n\nhi'): ChangeEvent => {
  const r = parseStreamEvent({
    type: 'comment-added',
    change,
    patchSet: { number: 1 },
    author: { username: who },
    approvals,
    comment: text,
    eventCreatedOn: sec,
  });
  assert.equal(r.kind, 'change');
  return (r as { event: ChangeEvent }).event;
};

describe('RebuiltFacts', () => {
  it('recognises a live event the REST history already holds, with the stream one second later', () => {
    const facts = new RebuiltFacts();
    facts.add(9, [comment('bob', 100, [], 'Patch Set 1: Code-Review+1\n\nok')]);
    const live = comment('bob', 101, [{ type: 'Code-Review', value: '1', oldValue: '0' }], 'Patch Set 1:\n\nok');
    assert.equal(facts.consume(live), true, 'same fact: votes from approvals equal votes from the REST header');
    assert.equal(facts.consume(live), false, 'each fact covers one live event only');
  });

  it('keeps events that are not in the history: other author, other votes, later, other change', () => {
    const facts = new RebuiltFacts();
    facts.add(9, [comment('bob', 100)]);
    assert.equal(facts.consume(comment('carol', 100)), false);
    assert.equal(facts.consume(comment('bob', 100, [{ type: 'Code-Review', value: '2', oldValue: '0' }])), false);
    assert.equal(facts.consume(comment('bob', 100 + FACT_SKEW_MS / 1000 + 1)), false);
    const other = parseStreamEvent({
      type: 'comment-added',
      change: { ...change, number: 10 },
      patchSet: { number: 1 },
      author: { username: 'bob' },
      comment: 'x',
      eventCreatedOn: 100,
    });
    assert.equal(facts.consume((other as { event: ChangeEvent }).event), false);
  });

  it('forgets a rebuild after a while', () => {
    const facts = new RebuiltFacts();
    facts.add(9, [comment('bob', 100)], 0);
    assert.equal(facts.consume(comment('bob', 100), 31_000), false);
  });

  it('keeps both of two alike events when the history has both', () => {
    const facts = new RebuiltFacts();
    facts.add(9, [comment('ci-bot', 100), comment('ci-bot', 100)]);
    assert.equal(facts.consume(comment('ci-bot', 100)), true);
    assert.equal(facts.consume(comment('ci-bot', 101)), true);
    assert.equal(facts.consume(comment('ci-bot', 101)), false);
  });
});
