import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CHANGE_EVENT_TYPES,
  malformedLogKey,
  parseStreamEventLine,
  UNKNOWN_TYPE_MAX_CHARS,
  type ParseResult,
} from './stream-events.ts';

/** What a malformed result says, without its free-text detail. */
function pick(result: ParseResult) {
  if (result.kind !== 'malformed') {
    return { kind: result.kind };
  }
  const { reason, field, changeNumber } = result;
  return {
    reason,
    ...(field === undefined ? {} : { field }),
    ...(changeNumber === undefined ? {} : { changeNumber }),
  };
}

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

  it('parses approvals, with values as strings or numbers and labels by type or description', () => {
    const r = parseStreamEventLine(
      JSON.stringify({
        type: 'comment-added',
        change,
        approvals: [
          { type: 'Code-Review', description: 'Code-Review', value: '2', oldValue: '0' },
          { type: 'Verified', value: 1 },
          { description: 'Legacy', value: '-1', oldValue: null },
        ],
        eventCreatedOn: 1700000000,
      }),
    );
    if (r.kind !== 'change' || r.event.type !== 'comment-added') return assert.fail('expected comment-added');
    assert.deepEqual(r.event.approvals, [
      { label: 'Code-Review', value: 2, oldValue: 0 },
      { label: 'Verified', value: 1 },
      { label: 'Legacy', value: -1 },
    ]);
  });

  it('classifies bad input by reason and field instead of throwing', () => {
    assert.deepEqual(pick(parseStreamEventLine('not json {')), { reason: 'invalid_json' });
    assert.deepEqual(pick(parseStreamEventLine('[1,2]')), { reason: 'not_object' });
    assert.deepEqual(pick(parseStreamEventLine('"text"')), { reason: 'not_object' });
    assert.deepEqual(pick(parseStreamEventLine('{"change":{"number":1}}')), {
      reason: 'missing_field',
      field: 'type',
      changeNumber: 1,
    });
    assert.deepEqual(pick(parseStreamEventLine('{"type":42}')), { reason: 'wrong_type', field: 'type' });
    const commentAdded = (fields: Record<string, unknown>) =>
      pick(parseStreamEventLine(JSON.stringify({ type: 'comment-added', eventCreatedOn: 1700000000, ...fields })));
    assert.deepEqual(commentAdded({}), { reason: 'missing_field', field: 'change' });
    assert.deepEqual(commentAdded({ change: [] }), { reason: 'wrong_type', field: 'change' });
    assert.deepEqual(commentAdded({ change: { project: 'p' } }), { reason: 'missing_field', field: 'change.number' });
    for (const number of ['x', -1, 0, 1.5, 1e300, 2 ** 53, true]) {
      assert.deepEqual(
        commentAdded({ change: { number } }),
        { reason: 'wrong_type', field: 'change.number' },
        String(number),
      );
    }
    assert.deepEqual(pick(parseStreamEventLine(JSON.stringify({ type: 'comment-added', change: { number: 1 } }))), {
      reason: 'missing_field',
      field: 'eventCreatedOn',
      changeNumber: 1,
    });
  });

  it('makes an event with a wrong-typed (or unusably missing) field malformed, naming the field and the change to rebuild', () => {
    const cases: [Record<string, unknown>, string, ('missing_field' | 'wrong_type')?][] = [
      [{ approvals: 'oops' }, 'approvals'],
      [{ approvals: ['junk'] }, 'approvals[]'],
      [{ approvals: [{ value: '1' }] }, 'approvals[].type', 'missing_field'],
      [{ approvals: [{ type: 'Code-Review' }] }, 'approvals[].value', 'missing_field'],
      [{ approvals: [{ type: 'Code-Review', value: 'NaN' }] }, 'approvals[].value'],
      [{ approvals: [{ type: 7, value: '1' }] }, 'approvals[].type'],
      [{ approvals: [{ type: 'Code-Review', value: '1', oldValue: {} }] }, 'approvals[].oldValue'],
      [{ comment: 42 }, 'comment'],
      [{ comment: ['a'] }, 'comment'],
      [{ author: 'rita' }, 'author'],
      [{ author: { username: 12 } }, 'author.username'],
      [{ change: { ...change, subject: 1234 } }, 'change.subject'],
      [{ change: { ...change, owner: { email: false } } }, 'change.owner.email'],
      [{ change: { ...change, hashtags: 'a,b' } }, 'change.hashtags'],
      [{ change: { ...change, hashtags: ['a', 2] } }, 'change.hashtags'],
      [{ change: { ...change, wip: 'yes' } }, 'change.wip'],
      [{ change: { ...change, createdOn: 'yesterday' } }, 'change.createdOn'],
      [{ patchSet: 2 }, 'patchSet'],
      [{ patchSet: { revision: 'abc' } }, 'patchSet.number', 'missing_field'],
      [{ patchSet: { number: 2, sizeInsertions: '10 lines' } }, 'patchSet.sizeInsertions'],
      [{ patchSet: { number: 2, uploader: [] } }, 'patchSet.uploader'],
      [{ eventCreatedOn: -5 }, 'eventCreatedOn'],
      [{ eventCreatedOn: 1e300 }, 'eventCreatedOn'],
      [{ eventCreatedOn: '1e400' }, 'eventCreatedOn'],
    ];
    for (const [fields, field, reason = 'wrong_type'] of cases) {
      const line = JSON.stringify({ type: 'comment-added', change, eventCreatedOn: 1700000000, ...fields });
      assert.deepEqual(pick(parseStreamEventLine(line)), { reason, field, changeNumber: 7 }, line);
    }
    const restored = parseStreamEventLine(JSON.stringify({ type: 'change-restored', change, reason: { text: 'x' } }));
    assert.deepEqual(pick(restored), { reason: 'wrong_type', field: 'reason', changeNumber: 7 });
    const hashtags = parseStreamEventLine(JSON.stringify({ type: 'hashtags-changed', change, added: 'x' }));
    assert.deepEqual(pick(hashtags), { reason: 'wrong_type', field: 'added', changeNumber: 7 });
  });

  it('gives distinct kinds of malformation distinct log keys, and the same kind the same key', () => {
    const key = (line: string) => {
      const r = parseStreamEventLine(line);
      return r.kind === 'malformed' ? malformedLogKey(r) : assert.fail(`${line} is ${r.kind}`);
    };
    const wrong = (fields: Record<string, unknown>) =>
      key(JSON.stringify({ type: 'comment-added', change, eventCreatedOn: 1700000000, ...fields }));
    const keys = [key('{'), key('[]'), key('{}'), wrong({ approvals: 'oops' }), wrong({ comment: 1 })];
    assert.equal(new Set(keys).size, keys.length, keys.join(' '));
    assert.equal(key('{"a":'), key('nope'), 'every invalid JSON shares one key');
    assert.equal(wrong({ approvals: 'oops' }), wrong({ approvals: 3 }));
  });

  it('takes null as absent, not as a value', () => {
    const r = parseStreamEventLine(
      JSON.stringify({
        type: 'comment-added',
        change: { ...change, topic: null, hashtags: null, wip: null },
        patchSet: null,
        author: null,
        approvals: null,
        comment: null,
        eventCreatedOn: 1700000000,
      }),
    );
    if (r.kind !== 'change' || r.event.type !== 'comment-added')
      return assert.fail(`expected comment-added: ${r.kind}`);
    assert.equal(r.event.change.topic, undefined);
    assert.equal(r.event.change.wip, false);
    assert.equal(r.event.patchSet, undefined);
    assert.deepEqual(r.event.approvals, []);
    assert.equal(r.event.comment, '');
  });

  it('reads every line of a real Gerrit stream (fixtures/stream-events.jsonl) as an event, none malformed', () => {
    const lines = readFileSync(new URL('./fixtures/stream-events.jsonl', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    const kinds = lines.map((l) => parseStreamEventLine(l).kind);
    assert.equal(kinds.length, 112);
    assert.deepEqual(
      kinds.filter((k) => k !== 'change' && k !== 'changeless'),
      [],
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
    const huge = parseStreamEventLine(JSON.stringify({ type: 'x'.repeat(1_000_000) }));
    assert.deepEqual(huge, { kind: 'unknown-type', type: 'x'.repeat(UNKNOWN_TYPE_MAX_CHARS) }, 'a hostile type is cut');
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

// Property-based: the parser against hostile input. Runs are kept small so the file stays fast.
const CHANGE_TYPES = [...CHANGE_EVENT_TYPES];
const MALFORMED_REASONS = new Set(['invalid_json', 'not_object', 'missing_field', 'wrong_type']);

/** Text as people and tools write it: any unicode, control characters, lone surrogates, quotes. */
const textArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({
    unit: fc.constantFrom('\u0000', '\u0007', '\u001b', '\u2028', '\ufeff', '\ud800', '"', '\\', '\n', '\r', 'a'),
    maxLength: 20,
  }),
);
/** A number as Gerrit may send it: a JSON number or a string holding one. */
const numberishArb = (min: number, max: number) =>
  fc.oneof(fc.integer({ min, max }), fc.integer({ min, max }).map(String));
const secondsArb = numberishArb(1, 99_999_999_999);
const accountArb = fc.record({ name: textArb, email: textArb, username: textArb }, { requiredKeys: [] });
const patchSetArb = fc.record(
  {
    number: numberishArb(1, 1_000_000),
    revision: textArb,
    uploader: accountArb,
    createdOn: secondsArb,
    kind: textArb,
    sizeInsertions: numberishArb(0, Number.MAX_SAFE_INTEGER),
    sizeDeletions: numberishArb(-Number.MAX_SAFE_INTEGER, 0),
  },
  { requiredKeys: ['number'] },
);
const validEventArb = fc.record(
  {
    type: fc.constantFrom(...CHANGE_TYPES),
    change: fc.record(
      {
        number: numberishArb(1, Number.MAX_SAFE_INTEGER),
        project: textArb,
        branch: textArb,
        id: textArb,
        subject: textArb,
        url: textArb,
        owner: accountArb,
        createdOn: secondsArb,
        status: textArb,
        topic: textArb,
        hashtags: fc.array(textArb, { maxLength: 3 }),
        wip: fc.oneof(fc.boolean(), fc.constantFrom('true', 'false')),
        private: fc.boolean(),
      },
      { requiredKeys: ['number'] },
    ),
    patchSet: patchSetArb,
    eventCreatedOn: secondsArb,
    author: accountArb,
    uploader: accountArb,
    reviewer: accountArb,
    approvals: fc.array(
      fc.record(
        { type: textArb, value: numberishArb(-2, 2), oldValue: numberishArb(-2, 2) },
        { requiredKeys: ['type', 'value'] },
      ),
      { maxLength: 3 },
    ),
    comment: textArb,
    reason: textArb,
    added: fc.array(textArb, { maxLength: 3 }),
    removed: fc.array(textArb, { maxLength: 3 }),
    oldTopic: textArb,
  },
  { requiredKeys: ['type', 'change', 'eventCreatedOn'] },
);

type FieldKind = 'string' | 'number' | 'object' | 'array' | 'stringArray' | 'boolean';
const notNumeric = (s: string) => s.trim() === '' || !Number.isFinite(Number(s));
const wrongValueArb: Record<FieldKind, fc.Arbitrary<unknown>> = {
  string: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 })),
  number: fc.oneof(
    fc.boolean(),
    fc.string().filter(notNumeric),
    fc.constantFrom('1e400', 'NaN', 'Infinity', '0x'),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  ),
  object: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 })),
  array: fc.oneof(fc.string(), fc.integer(), fc.object({ maxDepth: 1 })),
  stringArray: fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer(), { minLength: 1, maxLength: 3 })),
  boolean: fc.oneof(
    fc.integer(),
    fc.string().filter((s) => s !== 'true' && s !== 'false'),
    fc.object({ maxDepth: 1 }),
  ),
};
/** Fields every change event's mapping reads, by path, with their kind. */
const commonFields: [string, FieldKind][] = [
  ['change', 'object'],
  ['change.number', 'number'],
  ['change.project', 'string'],
  ['change.subject', 'string'],
  ['change.owner', 'object'],
  ['change.owner.email', 'string'],
  ['change.createdOn', 'number'],
  ['change.hashtags', 'stringArray'],
  ['change.wip', 'boolean'],
  ['change.private', 'boolean'],
  ['patchSet', 'object'],
  ['patchSet.number', 'number'],
  ['patchSet.revision', 'string'],
  ['patchSet.uploader', 'object'],
  ['patchSet.uploader.username', 'string'],
  ['patchSet.createdOn', 'number'],
  ['patchSet.sizeDeletions', 'number'],
  ['eventCreatedOn', 'number'],
];
const commentAddedFields: [string, FieldKind][] = [
  ['author', 'object'],
  ['author.name', 'string'],
  ['approvals', 'array'],
  ['comment', 'string'],
];

function setPath(event: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = event;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    at[key] = typeof next === 'object' && next !== null && !Array.isArray(next) ? { ...next } : {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys[keys.length - 1]] = value;
}

describe('parseStreamEventLine with hostile input (property-based)', () => {
  it('never throws, whatever the line, and names a known reason for what it skips', () => {
    const lineArb = fc.oneof(
      textArb,
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .record({ type: fc.oneof(textArb, fc.constantFrom(...CHANGE_TYPES)), change: fc.jsonValue({ maxDepth: 2 }) })
        .map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(lineArb, (line) => {
        const r = parseStreamEventLine(line);
        if (r.kind === 'malformed') {
          assert.ok(MALFORMED_REASONS.has(r.reason), r.reason);
          assert.ok(malformedLogKey(r).length < 100, 'log keys stay short: their number is bounded');
        }
        if (r.kind === 'unknown-type') {
          assert.ok(r.type.length <= UNKNOWN_TYPE_MAX_CHARS);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads every valid-shaped event as that event, with its text untouched', () => {
    fc.assert(
      fc.property(validEventArb, (input) => {
        const r = parseStreamEventLine(JSON.stringify(input));
        assert.equal(r.kind, 'change', JSON.stringify(r));
        if (r.kind !== 'change') return;
        assert.equal(r.event.type, input.type);
        assert.equal(r.event.change.number, Number(input.change.number));
        if (r.event.type === 'comment-added') {
          assert.equal(r.event.comment, input.comment ?? '');
          assert.equal(r.event.approvals.length, input.approvals?.length ?? 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('classifies a wrong-typed field as malformed, naming it, instead of coercing it', () => {
    const mutation = (fields: [string, FieldKind][]) =>
      fc.constantFrom(...fields).chain(([path, kind]) => wrongValueArb[kind].map((value) => ({ path, value })));
    const caseArb = fc.oneof(
      fc.tuple(validEventArb, mutation(commonFields)),
      fc.tuple(
        validEventArb.map((e) => ({ ...e, type: 'comment-added' as const })),
        mutation([...commonFields, ...commentAddedFields]),
      ),
    );
    fc.assert(
      fc.property(caseArb, ([valid, { path, value }]) => {
        const event = structuredClone(valid) as Record<string, unknown>;
        event.patchSet ??= { number: 1 }; // a field of a patch set needs a usable patch set around it
        setPath(event, path, value);
        const r = parseStreamEventLine(JSON.stringify(event));
        assert.equal(r.kind, 'malformed', `${path} = ${JSON.stringify(value)} was accepted`);
        if (r.kind !== 'malformed') return;
        assert.equal(r.reason, 'wrong_type');
        // An account's or a patch set's own fields are named below it: "patchSet.uploader.username".
        assert.ok(r.field === path || r.field?.startsWith(`${path}.`), `${r.field} for ${path}`);
        if (!path.startsWith('change')) {
          assert.equal(r.changeNumber, Number(valid.change.number), 'the change is named for its rebuild');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('takes every truncated event for invalid JSON', () => {
    fc.assert(
      fc.property(validEventArb, fc.nat(), (input, cut) => {
        const line = JSON.stringify(input);
        const r = parseStreamEventLine(line.slice(0, cut % line.length));
        assert.equal(r.kind === 'malformed' && r.reason, 'invalid_json');
      }),
      { numRuns: 300 },
    );
  });

  it('reads a 1 MB comment, a 10 MB line and 100,000 levels of nesting without throwing', () => {
    const base = { type: 'comment-added', change, eventCreatedOn: 1700000000 };
    const comment = '😀 long review\u0000'.repeat(70_000);
    const big = parseStreamEventLine(JSON.stringify({ ...base, comment }));
    assert.ok(big.kind === 'change' && big.event.type === 'comment-added' && big.event.comment === comment);
    const tenMb = parseStreamEventLine(JSON.stringify({ ...base, padding: 'x'.repeat(10 * 1024 * 1024) }));
    assert.equal(tenMb.kind, 'change', 'unread fields are ignored, whatever their size');
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.equal(
      parseStreamEventLine(`{"type":"comment-added","change":{"number":7},"eventCreatedOn":1,"x":${deep}}`).kind,
      'change',
    );
    assert.deepEqual(
      pick(parseStreamEventLine(`{"type":"comment-added","change":{"number":7},"eventCreatedOn":1,"comment":${deep}}`)),
      {
        reason: 'wrong_type',
        field: 'comment',
        changeNumber: 7,
      },
    );
    assert.deepEqual(pick(parseStreamEventLine('['.repeat(100_000))), { reason: 'invalid_json' });
  });
});
