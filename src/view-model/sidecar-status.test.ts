import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SidecarStatus } from '../review-model/code-review-api.ts';
import { describeSidecarStatus } from './sidecar-status.ts';

const healthy: SidecarStatus = {
  ready: true,
  gerrit: { configured: true, connected: true },
  tempo: { accepting: true, queryReachable: true },
  outbox: { spans: 0, bytes: 0, fill: 0 },
  deadLetters: 0,
  watermark: '2026-11-20T10:00:00.000Z',
};

describe('describeSidecarStatus', () => {
  it('says everything is fine in plain words', () => {
    const lines = describeSidecarStatus(healthy);
    assert.deepEqual(
      lines.map((l) => [l.key, l.tone]),
      [
        ['sidecar', 'ok'],
        ['gerrit', 'ok'],
        ['tempo-export', 'ok'],
        ['tempo-query', 'ok'],
        ['outbox', 'ok'],
        ['watermark', 'info'],
      ],
    );
  });

  it('names the problems', () => {
    const lines = describeSidecarStatus({
      ready: false,
      gerrit: { configured: true, connected: false, lastError: 'connection refused' },
      tempo: { accepting: false, lastError: 'HTTP 503', queryReachable: false, queryError: 'ECONNREFUSED' },
      outbox: { spans: 12000, bytes: 1, fill: 0.9 },
      deadLetters: 3,
    });
    const byKey = new Map(lines.map((l) => [l.key, l]));
    assert.equal(byKey.get('sidecar')?.tone, 'warning');
    assert.match(byKey.get('gerrit')?.text ?? '', /connection refused/);
    assert.match(byKey.get('tempo-export')?.text ?? '', /HTTP 503/);
    assert.match(byKey.get('tempo-query')?.text ?? '', /ECONNREFUSED/);
    assert.equal(byKey.get('outbox')?.tone, 'error');
    assert.match(byKey.get('outbox')?.text ?? '', /12,000 spans/);
    assert.equal(byKey.get('dead-letters')?.tone, 'warning');
  });

  it('handles demo mode and an unknown query state', () => {
    const lines = describeSidecarStatus({
      ...healthy,
      gerrit: { configured: false, connected: false },
      tempo: { accepting: true },
    });
    assert.equal(lines.find((l) => l.key === 'gerrit')?.tone, 'info');
    assert.equal(lines.find((l) => l.key === 'tempo-query')?.tone, 'info');
  });
});
