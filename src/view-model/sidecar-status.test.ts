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

  it('says when a ready sidecar is degraded, one line per reason, and what is being rebuilt', () => {
    const lines = describeSidecarStatus({
      ...healthy,
      degraded: [
        {
          reason: 'reconcile_failing',
          message: 'the reconcile from Gerrit REST failed 3 time(s)',
          since: '2026-11-30T10:00:00.000Z',
        },
        { reason: 'rebuilds_failing', message: '2 change(s) cannot be rebuilt', since: '2026-11-30T10:05:00.000Z' },
      ],
      rebuilds: { changes: 5, failing: 2, heldEvents: 7 },
      changeIndex: { state: 'rebuilding', rebuildProgress: 0.25, changes: 10 },
    });
    const byKey = new Map(lines.map((l) => [l.key, l]));
    assert.equal(byKey.get('sidecar')?.tone, 'warning');
    assert.match(byKey.get('sidecar')?.text ?? '', /ready, but part of its work is failing/);
    assert.equal(byKey.get('degraded-reconcile_failing')?.tone, 'warning');
    assert.match(byKey.get('degraded-reconcile_failing')?.text ?? '', /^Since 2026-11-30T10:00:00.000Z, the reconcile/);
    assert.match(byKey.get('degraded-rebuilds_failing')?.text ?? '', /2 change\(s\) cannot be rebuilt/);
    assert.match(byKey.get('rebuilds')?.text ?? '', /^3 changes are being rebuilt .*\(7 live events/);
    assert.match(byKey.get('change-index')?.text ?? '', /25(\.0)?% done/);
  });

  it('shows no degraded, rebuild or index line when there is nothing to say', () => {
    const lines = describeSidecarStatus({
      ...healthy,
      degraded: [],
      rebuilds: { changes: 0, failing: 0, heldEvents: 0 },
      changeIndex: { state: 'ready', changes: 10 },
    });
    assert.deepEqual(
      lines.filter((l) => l.key.startsWith('degraded-') || l.key === 'rebuilds' || l.key === 'change-index'),
      [],
    );
    assert.equal(lines[0].tone, 'ok');
  });
});
