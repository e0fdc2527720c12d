import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseStreamEventLine } from '../gerrit/stream-events.ts';
import { ChangeMapper } from '../mapping/change-mapper.ts';
import { createLogger } from '../observability/logger.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { IngestStore } from '../store/ingest-store.ts';
import { Ingestor } from './ingestor.ts';

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-ingestor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const T = Date.UTC(2026, 10, 1, 9, 0, 0) / 1000;
const acct = (u: string) => ({ name: u, username: u });
const change = { project: 'core', branch: 'main', id: 'I1', number: 7, owner: acct('olga'), createdOn: T };
const patchSet = { number: 1, revision: 'r1', createdOn: T, uploader: acct('olga') };
const lines = [
  { type: 'patchset-created', change, patchSet, uploader: acct('olga'), eventCreatedOn: T },
  { type: 'reviewer-added', change, patchSet, reviewer: acct('alice'), adder: acct('olga'), eventCreatedOn: T + 1 },
  {
    type: 'comment-added',
    change,
    patchSet,
    author: acct('olga'),
    approvals: [],
    comment: 'ping',
    eventCreatedOn: T + 60,
  },
  { type: 'topic-changed', change: { ...change, topic: 'x' }, patchSet, changer: acct('olga'), eventCreatedOn: T + 61 },
].map((e) => JSON.stringify(e));

function ingestorOn(path: string) {
  const store = new IngestStore(path);
  const metrics = new SidecarMetrics({ defaultMetrics: false });
  const mapper = new ChangeMapper({ serverId: 'g', botPatterns: [], commentMaxChars: 100, ciLabel: 'Verified' });
  const rebuilds: number[] = [];
  const ingestor = new Ingestor(store, mapper, metrics, createLogger('silent'), {
    requestRebuild: (n) => {
      rebuilds.push(n);
      return true;
    },
  });
  const feed = (line: string) => ingestor.handleParsed(parseStreamEventLine(line), line);
  return { store, metrics, ingestor, feed, rebuilds };
}

describe('Ingestor (real SQLite file)', () => {
  it('applies a stream delivered twice once: the replay queues no span and leaves the open change as it was', async () => {
    const { store, metrics, feed, rebuilds } = ingestorOn(join(dir, 'replay.db'));
    lines.forEach(feed);
    const spans = store.outboxDepth().spans;
    const state = JSON.stringify(store.getChange(7));
    assert.ok(spans >= 3, 'reviewer.added, comment, topic');
    lines.forEach(feed);
    assert.equal(store.outboxDepth().spans, spans, 'no span twice');
    assert.equal(store.ledgerSize(), spans);
    assert.equal(JSON.stringify(store.getChange(7)), state);
    assert.equal((await metrics.eventsAlreadyApplied.get()).values[0].value, lines.length);
    assert.deepEqual(rebuilds, [7], 'the repeated reviewer-added asks for a rebuild, as Gerrit’s repeats do');
    store.close();
  });
});
