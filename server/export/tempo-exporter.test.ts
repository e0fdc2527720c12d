import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import type { SpanRecord } from '../mapping/span-record.ts';
import { referenceEncode } from './otlp-encoding.ts';
import { TempoExporter } from './tempo-exporter.ts';

// The exporter's request bodies are views of one reused buffer. This checks, with a plain HTTP
// listener that records what arrives (the Tempo integration test covers Tempo's answers), that
// exports started together still send each batch's own bytes, one request at a time.

const resource = { serviceName: 'gerrit', serverAddress: 's' };

const batch = (first: number, size: number): SpanRecord[] =>
  Array.from({ length: size }, (_, i) => ({
    traceId: (first + i).toString(16).padStart(32, '0'),
    spanId: (first + i).toString(16).padStart(16, '0'),
    name: 'comment',
    startMs: 1_700_000_000_000 + i,
    endMs: 1_700_000_000_001 + i,
    status: 'unset',
    attributes: { 'gerrit.comment.text': `batch ${first} span ${i}`, 'gerrit.value': -1 },
  }));

describe('TempoExporter', () => {
  it('sends each batch’s own bytes when exports are started together, one request at a time', async () => {
    const bodies: Buffer[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const server = createServer((req, res) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(Buffer.concat(chunks));
        // Answer a little later, so that an export not waiting for the answer would overlap.
        setTimeout(() => {
          inFlight -= 1;
          res.end();
        }, 50);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const exporter = new TempoExporter(
        { endpoint: `http://127.0.0.1:${port}/v1/traces`, headers: {}, timeoutMs: 5000 },
        resource,
      );
      const batches = [batch(0x100, 300), batch(0x900, 5), batch(0x2000, 120)];
      const outcomes = await Promise.all(batches.map((b) => exporter.export(b)));
      assert.deepEqual(outcomes, [{ kind: 'accepted' }, { kind: 'accepted' }, { kind: 'accepted' }]);
      assert.equal(maxInFlight, 1);
      assert.equal(bodies.length, 3);
      bodies.forEach((body, i) => {
        assert.ok(body.equals(Buffer.from(referenceEncode(batches[i], resource))), `batch ${i}`);
      });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
