// The config page's "Test connection" result in plain words. Framework-free (unit-tested with node --test).

import type { SidecarStatus } from '../review-model/code-review-api.ts';
import { formatCount, formatShare } from './format.ts';

export type StatusTone = 'ok' | 'warning' | 'error' | 'info';

export interface StatusLine {
  /** Stable key (used for data-testid). */
  key:
    | 'sidecar'
    | 'gerrit'
    | 'tempo-export'
    | 'tempo-query'
    | 'outbox'
    | 'dead-letters'
    | 'rebuilds'
    | 'change-index'
    | 'watermark'
    /** One line per degradation, by its reason (reconcile_failing, rebuilds_failing). */
    | `degraded-${string}`;
  tone: StatusTone;
  text: string;
}

export function describeSidecarStatus(s: SidecarStatus): StatusLine[] {
  const lines: StatusLine[] = [];
  const degraded = s.degraded ?? [];
  lines.push(
    !s.ready
      ? { key: 'sidecar', tone: 'warning', text: 'The sidecar is reachable but not ready (see below).' }
      : degraded.length > 0
        ? {
            key: 'sidecar',
            tone: 'warning',
            text: 'The sidecar is ready, but part of its work is failing (see below): the stream and the export go on.',
          }
        : { key: 'sidecar', tone: 'ok', text: 'The sidecar is reachable and ready.' },
  );
  if (!s.gerrit.configured) {
    lines.push({ key: 'gerrit', tone: 'info', text: 'No Gerrit stream is configured (demo mode or REST only).' });
  } else if (s.gerrit.connected) {
    lines.push({ key: 'gerrit', tone: 'ok', text: 'Connected to Gerrit’s event stream.' });
  } else {
    lines.push({
      key: 'gerrit',
      tone: 'error',
      text: `Not connected to Gerrit’s event stream${s.gerrit.lastError ? `: ${s.gerrit.lastError}` : '.'}`,
    });
  }
  lines.push(
    s.tempo.accepting
      ? { key: 'tempo-export', tone: 'ok', text: 'Tempo accepts the spans the sidecar sends.' }
      : {
          key: 'tempo-export',
          tone: 'error',
          text: `Tempo is not accepting spans${s.tempo.lastError ? `: ${s.tempo.lastError}` : '.'} Spans wait in the outbox meanwhile.`,
        },
  );
  if (s.tempo.queryReachable === true) {
    lines.push({
      key: 'tempo-query',
      tone: 'ok',
      text: 'Tempo answers the sidecar’s searches (the Code Review page can read history).',
    });
  } else if (s.tempo.queryReachable === false) {
    lines.push({
      key: 'tempo-query',
      tone: 'error',
      text: `Tempo’s query API cannot be reached${s.tempo.queryError ? `: ${s.tempo.queryError}` : '.'} Only open changes will show.`,
    });
  } else {
    lines.push({
      key: 'tempo-query',
      tone: 'info',
      text: 'The sidecar did not report whether Tempo’s query API is reachable.',
    });
  }
  const fill = s.outbox.fill;
  lines.push({
    key: 'outbox',
    tone: fill >= 0.8 ? 'error' : fill >= 0.2 ? 'warning' : 'ok',
    text:
      s.outbox.spans === 0
        ? 'The outbox is empty: every span has reached Tempo.'
        : `${formatCount(s.outbox.spans)} spans wait for Tempo (${formatShare(fill)} of the outbox).`,
  });
  if (s.deadLetters > 0) {
    lines.push({
      key: 'dead-letters',
      tone: 'warning',
      text: `${formatCount(s.deadLetters)} spans were refused by Tempo and kept aside (dead letters; see the sidecar's log).`,
    });
  }
  for (const d of degraded) {
    lines.push({ key: `degraded-${d.reason}`, tone: 'warning', text: `Since ${d.since}, ${d.message}.` });
  }
  // Rebuilds that are failing are already a degraded line; these are the ones in progress.
  if (s.rebuilds && s.rebuilds.changes > s.rebuilds.failing) {
    lines.push({
      key: 'rebuilds',
      tone: 'info',
      text: `${formatCount(s.rebuilds.changes - s.rebuilds.failing)} changes are being rebuilt from Gerrit's REST history (${formatCount(s.rebuilds.heldEvents)} live events wait for them).`,
    });
  }
  if (s.changeIndex?.state === 'rebuilding') {
    const progress = s.changeIndex.rebuildProgress;
    lines.push({
      key: 'change-index',
      tone: 'info',
      text: `The change index is being rebuilt from Tempo${progress === undefined ? '' : ` (${formatShare(progress)} done)`}; the list searches Tempo meanwhile.`,
    });
  }
  if (s.watermark) {
    lines.push({ key: 'watermark', tone: 'info', text: `Events are processed up to ${s.watermark}.` });
  }
  return lines;
}
