import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { sha256Hex16, spanIdFor, traceIdFor, traceKey } from './span-ids.ts';

// The formulas of SPEC "Span contract", computed here the plain way: ids must never change, or a
// backfill would write every span of every change a second time.
const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('span ids', () => {
  it('are the SPEC’s sha256 prefixes, for ASCII and non-ASCII keys alike', () => {
    for (const [serverId, change] of [
      ['review.example.org', 1],
      ['gerrit', 123456],
      ['gerrit-ü.example', 7],
    ] as const) {
      const key = traceKey(serverId, change);
      assert.equal(key, `gerrit\0${serverId}\0${change}`);
      assert.equal(traceIdFor(serverId, change), sha256Hex(key).slice(0, 32));
      for (const spanKey of ['change', 'patchset/3', 'comment/2/zoë@example.org/1', 'vote/1/李/Code-Review/2']) {
        assert.equal(spanIdFor(key, spanKey), sha256Hex(`${key}\0${spanKey}`).slice(0, 16), spanKey);
      }
    }
  });

  it('are lowercase hex of the right length', () => {
    assert.match(traceIdFor('s', 42), /^[0-9a-f]{32}$/);
    assert.match(spanIdFor(traceKey('s', 42), 'change'), /^[0-9a-f]{16}$/);
  });

  it('fact keys are the first 16 hex characters of the sha256, so keys stored by earlier versions still match', () => {
    for (const text of ['', 'comment|1|x|Code-Review=2\0LGTM', 'hashtags|ü,李|\0😀']) {
      assert.equal(sha256Hex16(text), sha256Hex(text).slice(0, 16), JSON.stringify(text));
    }
  });
});
