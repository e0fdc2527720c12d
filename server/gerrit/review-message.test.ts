import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseReviewMessageHeader } from './review-message.ts';

describe('parseReviewMessageHeader', () => {
  it('reads the votes of a review message', () => {
    assert.deepEqual(parseReviewMessageHeader('Patch Set 3: Code-Review+2 Verified-1\n\nLooks good'), {
      patchSet: 3,
      votes: [
        { label: 'Code-Review', value: 2 },
        { label: 'Verified', value: -1 },
      ],
      removed: [],
    });
  });

  it('reads a message without votes and a removed vote', () => {
    assert.deepEqual(parseReviewMessageHeader('Patch Set 1:\n\n(2 comments)'), { patchSet: 1, votes: [], removed: [] });
    assert.deepEqual(parseReviewMessageHeader('Patch Set 4: -Code-Review'), {
      patchSet: 4,
      votes: [],
      removed: ['Code-Review'],
    });
    assert.deepEqual(parseReviewMessageHeader('Patch Set 2: Code-Review-2'), {
      patchSet: 2,
      votes: [{ label: 'Code-Review', value: -2 }],
      removed: [],
    });
  });

  it('returns undefined for messages that are not reviews', () => {
    assert.equal(parseReviewMessageHeader('Uploaded patch set 2.'), undefined);
    assert.equal(parseReviewMessageHeader(''), undefined);
  });
});
