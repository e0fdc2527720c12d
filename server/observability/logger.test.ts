import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { RateLimitedLog } from './logger.ts';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('RateLimitedLog', () => {
  it('logs each kind once, then at most once per interval with counts', async () => {
    const { logger, lines } = capture();
    const log = new RateLimitedLog(logger, 1000);
    for (let i = 0; i < 5; i += 1) log.warn('malformed:not JSON', {}, 'bad line', 100 + i);
    log.warn('unknown:plugin-x', {}, 'unknown type', 105);
    log.warn('malformed:not JSON', {}, 'bad line', 1200);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      lines.map((l) => [l.kind, l.total, l.suppressedSinceLast]),
      [
        ['malformed:not JSON', undefined, undefined],
        ['unknown:plugin-x', undefined, undefined],
        ['malformed:not JSON', 6, 4],
      ],
    );
  });
});
