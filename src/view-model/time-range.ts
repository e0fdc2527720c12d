// Grafana time expressions as the page keeps them in the URL ("now-7d", "now/d", "now-1d/d", epoch
// milliseconds, dates), resolved to epoch milliseconds for the API's from/to with Grafana's own date
// math (`@grafana/data`), in the user's time zone: "now/d" is midnight where the user is. Also the
// time picker's zoom out and shift. Pure (unit-tested with node --test).

import { dateMath, dateTimeForTimeZone, dateTimeParse } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';

export interface ResolvedRange {
  from: number;
  to: number;
}

/**
 * Resolves one time expression against `nowMs` in `timeZone` ("browser", "utc" or an IANA name).
 * `roundUp` is true for the end of a range (`to`): "now/d" is then the day's last millisecond.
 * Returns undefined for text it does not understand.
 */
export function resolveTime(
  raw: string,
  nowMs: number,
  roundUp = false,
  timeZone: TimeZone = 'browser',
): number | undefined {
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  const time = text.startsWith('now')
    ? dateMath.parseDateMath(text.slice(3), dateTimeForTimeZone(timeZone, nowMs), roundUp)
    : dateTimeParse(text, { timeZone, roundUp });
  return time?.isValid() ? time.valueOf() : undefined;
}

/** Resolves a range; undefined when either end is invalid or the range is empty. */
export function resolveRange(
  from: string,
  to: string,
  nowMs: number,
  timeZone: TimeZone = 'browser',
): ResolvedRange | undefined {
  const f = resolveTime(from, nowMs, false, timeZone);
  const t = resolveTime(to, nowMs, true, timeZone);
  if (f === undefined || t === undefined || f >= t) {
    return undefined;
  }
  return { from: f, to: t };
}

/** True when the expression moves with the clock (so "refresh" re-resolves it). */
export function isRelative(raw: string): boolean {
  return raw.trim().startsWith('now');
}

/**
 * The picker's "zoom out", as Grafana's: twice as long around the same centre. Review data has no
 * future, so a range that would end after now is moved back to end at now (still twice as long).
 */
export function zoomOutRange(range: ResolvedRange, nowMs: number): ResolvedRange {
  const span = range.to - range.from;
  const centre = range.from + span / 2;
  const to = Math.min(Math.round(centre + span), Math.max(nowMs, range.to));
  return { from: to - 2 * span, to };
}

/**
 * The picker's arrows, as Grafana's: half the range earlier (-1) or later (+1). A later range stops
 * at now, keeping its length.
 */
export function shiftRange(range: ResolvedRange, direction: -1 | 1, nowMs: number): ResolvedRange {
  const span = range.to - range.from;
  const step = Math.round(span / 2) * direction;
  const to = direction > 0 ? Math.min(range.to + step, Math.max(nowMs, range.to)) : range.to + step;
  return { from: to - span, to };
}

/** A quick range of the time picker (Grafana's TimeOption shape). */
export interface QuickRange {
  from: string;
  to: string;
  display: string;
}

/**
 * The picker's quick ranges, sized for code review (reviews take hours to weeks): Grafana's
 * defaults start at "Last 5 minutes", which for review data selects nothing useful.
 */
export const CODE_REVIEW_QUICK_RANGES: readonly QuickRange[] = [
  { from: 'now-24h', to: 'now', display: 'Last 24 hours' },
  { from: 'now-7d', to: 'now', display: 'Last 7 days' },
  { from: 'now-14d', to: 'now', display: 'Last 14 days' },
  { from: 'now-30d', to: 'now', display: 'Last 30 days' },
  { from: 'now-90d', to: 'now', display: 'Last 90 days' },
  { from: 'now-6M', to: 'now', display: 'Last 6 months' },
  { from: 'now-1y', to: 'now', display: 'Last year' },
  { from: 'now/w', to: 'now', display: 'This week so far' },
  { from: 'now-1w/w', to: 'now-1w/w', display: 'Previous week' },
  { from: 'now/M', to: 'now', display: 'This month so far' },
  { from: 'now-1M/M', to: 'now-1M/M', display: 'Previous month' },
  { from: 'now/Q', to: 'now', display: 'This quarter so far' },
];
