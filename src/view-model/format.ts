// Human formatting of the Code Review page's numbers. Framework-free (unit-tested with node --test).

import { dateTimeFormat } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import type { ChangeStatus, ChangeSummary, FirstReviewDistribution } from '../review-model/code-review-api.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const NO_VALUE = '–';

/**
 * A duration in at most two units: "45s", "12m", "1m 30s", "3h 20m", "2d 4h", "40d".
 * Seconds are shown only below an hour, and days are the largest unit (review waits are read in days).
 */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) {
    return NO_VALUE;
  }
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < SECOND) {
    return abs === 0 ? '0s' : `${sign}<1s`;
  }
  if (abs < MINUTE) {
    return `${sign}${Math.floor(abs / SECOND)}s`;
  }
  if (abs < HOUR) {
    const m = Math.floor(abs / MINUTE);
    const s = Math.floor((abs % MINUTE) / SECOND);
    return `${sign}${m}m${s ? ` ${s}s` : ''}`;
  }
  if (abs < DAY) {
    const h = Math.floor(abs / HOUR);
    const m = Math.floor((abs % HOUR) / MINUTE);
    return `${sign}${h}h${m ? ` ${m}m` : ''}`;
  }
  const d = Math.floor(abs / DAY);
  const h = Math.floor((abs % DAY) / HOUR);
  return `${sign}${d}d${h && d < 10 ? ` ${h}h` : ''}`;
}

/** A share in [0, 1] as a percentage: "0%", "4.5%", "12%". */
export function formatShare(share: number | undefined | null): string {
  if (share === undefined || share === null || !Number.isFinite(share)) {
    return NO_VALUE;
  }
  const pct = share * 100;
  if (pct === 0 || pct >= 10) {
    return `${Math.round(pct)}%`;
  }
  return `${Math.round(pct * 10) / 10}%`;
}

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A count with thousands separators: "5,000". */
export function formatCount(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) {
    return NO_VALUE;
  }
  return integerFormat.format(n);
}

/** A median number of rounds: "2", "1.5". */
export function formatRounds(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) {
    return NO_VALUE;
  }
  return String(Math.round(n * 10) / 10);
}

/**
 * Date and time to the minute in the page's time zone ("2026-03-04 09:05"), with Grafana's date
 * formatting; without a zone, the user's Grafana preference (Grafana's default time zone).
 */
export function formatDateTime(ms: number | undefined | null, timeZone?: TimeZone): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) {
    return NO_VALUE;
  }
  return dateTimeFormat(ms, { timeZone, format: 'YYYY-MM-DD HH:mm' });
}

/** The word shown for a change's status. */
export function statusLabel(status: ChangeStatus, wip = false): string {
  switch (status) {
    case 'NEW':
      return wip ? 'WIP' : 'Open';
    case 'MERGED':
      return 'Merged';
    case 'ABANDONED':
      return 'Abandoned';
    case 'DELETED':
      return 'Deleted';
    default:
      return String(status);
  }
}

/** The "time to merge, or age if still open" cell value of a change. */
export function mergeOrAgeMs(
  change: { status: ChangeStatus; createdMs: number; closedMs?: number; timeToMergeMs?: number },
  nowMs: number,
): { ms?: number; kind: 'merge' | 'age' | 'closed' } {
  if (change.status === 'NEW') {
    return { ms: Math.max(0, nowMs - change.createdMs), kind: 'age' };
  }
  if (change.status === 'MERGED') {
    return {
      ms: change.timeToMergeMs ?? (change.closedMs !== undefined ? change.closedMs - change.createdMs : undefined),
      kind: 'merge',
    };
  }
  return { ms: undefined, kind: 'closed' };
}

type WaitingFields = Pick<ChangeSummary, 'status' | 'waitingOn' | 'waitingOnReviewers' | 'waitingSinceMs'>;

/** The "Waiting on" cell: whom an open change waits on and for how long ("bob, carol · 3d 4h"). */
export function waitingText(
  change: WaitingFields,
  nowMs: number,
  timeZone?: TimeZone,
): { text: string; title?: string } {
  if (change.status !== 'NEW' || !change.waitingOn || change.waitingSinceMs === undefined) {
    return { text: NO_VALUE };
  }
  const on =
    change.waitingOn === 'reviewers'
      ? (change.waitingOnReviewers ?? []).map((r) => r.reviewer).join(', ') || 'reviewers'
      : change.waitingOn === 'ci'
        ? 'CI'
        : 'author';
  const wait = formatDuration(Math.max(0, nowMs - change.waitingSinceMs));
  return {
    text: `${on} · ${wait}`,
    title: `Waiting on ${change.waitingOn === 'author' ? 'the author' : on} for ${wait}, since ${formatDateTime(change.waitingSinceMs, timeZone)}`,
  };
}

/** The "First review" cell: the time to first review, or how long a change still waits for one ("> 48d"). */
export function firstReviewText(
  change: Pick<ChangeSummary, 'status' | 'timeToFirstReviewMs' | 'readyMs'>,
  nowMs: number,
): { text: string; waiting: boolean; title?: string } {
  if (change.timeToFirstReviewMs !== undefined) {
    return { text: formatDuration(change.timeToFirstReviewMs), waiting: false };
  }
  if (change.status === 'NEW' && change.readyMs !== undefined) {
    const wait = formatDuration(Math.max(0, nowMs - change.readyMs));
    return { text: `> ${wait}`, waiting: true, title: `No review yet: ready for ${wait}` };
  }
  return { text: NO_VALUE, waiting: false };
}

/** A duration figure that may be known only as "longer than" the longest wait seen. */
export function formatEstimate(ms: number | undefined, atLeastMs: number | undefined): string {
  return ms === undefined && atLeastMs !== undefined ? `> ${formatDuration(atLeastMs)}` : formatDuration(ms);
}

/** The first-review stat's note: its sample size and the waits not finished ("27 not yet reviewed, oldest 48d"). */
export function firstReviewNote(d: FirstReviewDistribution): string {
  const parts = [`n = ${formatCount(d.n)}`];
  if (d.waiting > 0) {
    parts.push(`${formatCount(d.waiting)} not yet reviewed, oldest ${formatDuration(d.oldestWaitMs)}`);
  }
  if (d.closedUnreviewed > 0) {
    parts.push(`${formatCount(d.closedUnreviewed)} closed unreviewed`);
  }
  if (d.unknown > 0) {
    parts.push(`${formatCount(d.unknown)} with unknown history left out`);
  }
  return parts.join(' · ');
}
