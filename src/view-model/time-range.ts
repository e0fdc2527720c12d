// Grafana time expressions as the page keeps them in the URL ("now-7d", "now/d", "now-1d/d", epoch
// milliseconds, ISO dates), resolved to epoch milliseconds for the API's from/to. Rounding ("/d")
// follows Grafana's date math: to the start of the unit for `from`, to its end for `to`, in local time.
// Framework-free (unit-tested with node --test).

export type TimeUnit = 's' | 'm' | 'h' | 'd' | 'w' | 'M' | 'y';

const UNIT_MS: Record<Exclude<TimeUnit, 'M' | 'y'>, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

function isUnit(u: string): u is TimeUnit {
  return u === 's' || u === 'm' || u === 'h' || u === 'd' || u === 'w' || u === 'M' || u === 'y';
}

function add(ms: number, n: number, unit: TimeUnit): number {
  if (unit === 'M' || unit === 'y') {
    const d = new Date(ms);
    d.setMonth(d.getMonth() + (unit === 'y' ? 12 * n : n));
    return d.getTime();
  }
  // Days and weeks follow the calendar (DST changes keep the wall-clock time).
  if (unit === 'd' || unit === 'w') {
    const d = new Date(ms);
    d.setDate(d.getDate() + (unit === 'w' ? 7 * n : n));
    return d.getTime();
  }
  return ms + n * UNIT_MS[unit];
}

function startOf(ms: number, unit: TimeUnit): number {
  const d = new Date(ms);
  switch (unit) {
    case 'y':
      d.setMonth(0, 1);
      d.setHours(0, 0, 0, 0);
      break;
    case 'M':
      d.setDate(1);
      d.setHours(0, 0, 0, 0);
      break;
    case 'w':
      // Grafana's default week starts on Monday (ISO week) for "now/w".
      d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
      d.setHours(0, 0, 0, 0);
      break;
    case 'd':
      d.setHours(0, 0, 0, 0);
      break;
    case 'h':
      d.setMinutes(0, 0, 0);
      break;
    case 'm':
      d.setSeconds(0, 0);
      break;
    case 's':
      d.setMilliseconds(0);
      break;
  }
  return d.getTime();
}

/**
 * Resolves one time expression. `roundUp` is true for the end of a range (`to`).
 * Returns undefined for text it does not understand.
 */
export function resolveTime(raw: string, nowMs: number, roundUp = false): number | undefined {
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  if (!text.startsWith('now')) {
    const parsed = Date.parse(text);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  let ms = nowMs;
  let rest = text.slice(3);
  while (rest.length > 0) {
    const m = /^([+-])(\d*)([a-zA-Z])|^\/([a-zA-Z])/.exec(rest);
    if (!m) {
      return undefined;
    }
    if (m[4] !== undefined) {
      const unit = m[4];
      if (!isUnit(unit)) {
        return undefined;
      }
      ms = roundUp ? add(startOf(ms, unit), 1, unit) - 1 : startOf(ms, unit);
    } else {
      const unit = m[3];
      if (!isUnit(unit)) {
        return undefined;
      }
      const n = m[2] === '' ? 1 : Number(m[2]);
      ms = add(ms, m[1] === '-' ? -n : n, unit);
    }
    rest = rest.slice(m[0].length);
  }
  return ms;
}

/** Resolves a range; undefined when either end is invalid or the range is empty. */
export function resolveRange(from: string, to: string, nowMs: number): { from: number; to: number } | undefined {
  const f = resolveTime(from, nowMs, false);
  const t = resolveTime(to, nowMs, true);
  if (f === undefined || t === undefined || f >= t) {
    return undefined;
  }
  return { from: f, to: t };
}

/** True when the expression moves with the clock (so "refresh" re-resolves it). */
export function isRelative(raw: string): boolean {
  return raw.trim().startsWith('now');
}
