import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareSpans } from '../export/consistency-check.ts';
import { failed, formatReport, summarize, verdictOf } from './verify-command.ts';

const T = 'ab'.repeat(16);
const id = (n: number) => n.toString(16).padStart(16, '0');

describe('verify report', () => {
  const expected = [id(1), id(2), id(3), id(4)];
  // Tempo: 1 and 3, 3 twice by search, and 9; the ledger: 1, 2, 3 (4 never exported).
  const tempo = { spanIds: [id(1), id(3), id(9)], matched: 4, change: '17' };
  const verdict = verdictOf(17, T, expected, [id(1), id(2), id(3)], compareSpans(T, expected, tempo));

  it('tells spans lost after export from spans never exported, against the ledger', () => {
    assert.deepEqual(verdict.missing, [id(2), id(4)]);
    assert.deepEqual(verdict.unexpected, [id(9)]);
    assert.equal(verdict.doubled, 1);
    assert.deepEqual(verdict.notExported, [id(4)]);
    assert.deepEqual(verdict.ledgerNotInTempo, [id(2)]);
    assert.equal(verdict.inLedger, 3);
  });

  it('sums, keeps only the changes with problems, and fails on missing or doubled', () => {
    const clean = verdictOf(
      18,
      T,
      [id(5)],
      [id(5)],
      compareSpans(T, [id(5)], { spanIds: [id(5)], matched: 1, change: '18' }),
    );
    const report = summarize('a', 'b', [verdict, clean], 0);
    assert.equal(report.changes, 2);
    assert.equal(report.expectedSpans, 5);
    assert.deepEqual([report.missing, report.unexpected, report.doubled], [2, 1, 1]);
    assert.deepEqual(
      report.problems.map((p) => p.number),
      [17],
    );
    assert.equal(failed(report), true);
    assert.equal(failed(summarize('a', 'b', [clean], 0)), false);
    const onlyUnexpected = verdictOf(
      19,
      T,
      [],
      [],
      compareSpans(T, [], { spanIds: [id(6)], matched: 1, change: '19' }),
    );
    assert.equal(failed(summarize('a', 'b', [onlyUnexpected], 0)), false, 'unexpected alone is reported, not failed');
  });

  it('prints a table, the span ids by kind, a summary and hints', () => {
    const text = formatReport(summarize('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', [verdict], 12));
    assert.match(text, /^change {2}expected {2}in Tempo {2}missing {2}unexpected {2}doubled {2}not exported\n/);
    assert.deepEqual(text.split('\n')[1].trim().split(/ +/), ['17', '4', '3', '2', '1', '1', '1'], 'the row');
    assert.match(text, new RegExp(`change 17: missing \\(exported, not in Tempo\\): ${id(2)}\\n`));
    assert.match(text, new RegExp(`change 17: missing \\(never exported by this sidecar\\): ${id(4)}\\n`));
    assert.match(text, new RegExp(`change 17: unexpected \\(in Tempo, not in its history\\): ${id(9)}\\n`));
    assert.match(text, /change 17: doubled 1 span copy \(found by search\)\n/);
    assert.match(
      text,
      /verify 2026-01-01T00:00:00.000Z \.\. 2026-01-02T00:00:00.000Z: 1 changes, 4 spans expected; missing 2, unexpected 1, doubled 1\n/,
    );
    assert.match(text, /note: 12 spans still wait in the sidecar's outbox/);
    assert.match(text, /hint: .*backfill --since/);
  });
});
