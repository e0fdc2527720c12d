import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parseStreamEventLine } from '../gerrit/stream-events.ts';
import { ChangeMapper } from '../mapping/change-mapper.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { IngestStore } from '../store/ingest-store.ts';
import { Ingestor } from './ingestor.ts';

// Bad stream lines through the real Ingestor, store and mapper: counted by reason, each kind
// logged under its own key, and a change whose event was lost is handed to a rebuild.

function setUp() {
  const warnings: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      warnings.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const metrics = new SidecarMetrics({ defaultMetrics: false });
  const rebuilds: number[] = [];
  const mapper = new ChangeMapper({ serverId: 'g', botPatterns: [], commentMaxChars: 100, ciLabel: 'Verified' });
  const ingestor = new Ingestor(new IngestStore(':memory:'), mapper, metrics, pino({ level: 'warn' }, sink), {
    requestRebuild: (n) => {
      rebuilds.push(n);
      return true;
    },
  });
  const feed = (line: string) => ingestor.handleParsed(parseStreamEventLine(line), line);
  const counted = async () =>
    Object.fromEntries((await metrics.badLines.get()).values.map((v) => [v.labels.reason, v.value]));
  return { feed, warnings, rebuilds, counted };
}

describe('Ingestor with malformed lines', () => {
  it('counts each line by reason, logs each kind, and rebuilds a change whose event is lost', async () => {
    const { feed, warnings, rebuilds, counted } = setUp();
    feed('not json');
    feed('{"broken":');
    feed('[]');
    feed('{"type":"comment-added","change":{"number":5},"approvals":"oops","eventCreatedOn":1700000000}');
    feed('{"type":"comment-added","change":{"number":6},"comment":42,"eventCreatedOn":1700000000}');
    feed('{"type":"comment-added","change":{"number":"x"},"eventCreatedOn":1700000000}');
    feed('{"type":"plugin-thing"}');
    assert.deepEqual(await counted(), { invalid_json: 2, not_object: 1, wrong_type: 3, unknown_type: 1 });
    assert.deepEqual(
      warnings.map((w) => w.kind),
      [
        'malformed:invalid_json',
        'malformed:not_object',
        'malformed:wrong_type:approvals',
        'malformed:wrong_type:comment',
        'malformed:wrong_type:change.number',
        'unknown:plugin-thing',
      ],
      'every kind is logged once; the second invalid JSON line is not',
    );
    assert.deepEqual(rebuilds, [5, 6], 'a change whose number is readable is rebuilt from REST');
  });
});
