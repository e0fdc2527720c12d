// The Code Review page's state as it lives in the URL query string, so that a reload or a shared
// link shows the same view. Parameters the page does not own (orgId, kiosk, ...) are kept as they are.
// Framework-free (unit-tested with node --test).

import { SORT_KEYS, type SortKey, type StatusFilter } from '../review-model/code-review-api.ts';

export type SortDir = 'asc' | 'desc';

export interface CodeReviewUrlState {
  /** Grafana time expressions: "now-7d", "now", "now/d", or epoch milliseconds. */
  from: string;
  to: string;
  project: string[];
  branch: string[];
  owner: string[];
  reviewer: string[];
  status: StatusFilter;
  includeBots: boolean;
  sort: SortKey;
  dir: SortDir;
  /** The change whose timeline is open. */
  change?: number;
  /** A time zone chosen in the time picker ("utc", "browser", an IANA name); absent: the user's preference. */
  timezone?: string;
  /** Auto-refresh interval chosen in the refresh picker ("1m", "5m", ...); absent: off. */
  refresh?: string;
}

export const DEFAULT_URL_STATE: Readonly<CodeReviewUrlState> = Object.freeze({
  from: 'now-7d',
  to: 'now',
  project: [],
  branch: [],
  owner: [],
  reviewer: [],
  status: 'all',
  includeBots: false,
  sort: 'created',
  dir: 'desc',
});

/** The query parameters this page owns. */
export const URL_KEYS = [
  'from',
  'to',
  'project',
  'branch',
  'owner',
  'reviewer',
  'status',
  'includeBots',
  'sort',
  'dir',
  'change',
  'timezone',
  'refresh',
] as const;

/** The refresh picker's intervals: review data changes in minutes, not seconds. */
export const REFRESH_INTERVALS: readonly string[] = ['1m', '5m', '15m', '1h'];

const STATUS_VALUES: readonly StatusFilter[] = ['all', 'open', 'merged', 'abandoned'];

function isSortKey(v: string | null): v is SortKey {
  return v !== null && (SORT_KEYS as readonly string[]).includes(v);
}

function isStatus(v: string | null): v is StatusFilter {
  return v !== null && (STATUS_VALUES as readonly string[]).includes(v);
}

function list(params: URLSearchParams, key: string): string[] {
  const seen = new Set<string>();
  for (const v of params.getAll(key)) {
    const t = v.trim();
    if (t !== '') {
      seen.add(t);
    }
  }
  return [...seen];
}

function timeParam(params: URLSearchParams, key: 'from' | 'to'): string {
  const v = params.get(key)?.trim();
  return v ? v : DEFAULT_URL_STATE[key];
}

/** Reads the page state from a query string ("?a=b&..." or "a=b&..."); anything invalid falls back to the default. */
export function parseUrlState(search: string | URLSearchParams): CodeReviewUrlState {
  const params = typeof search === 'string' ? new URLSearchParams(search) : search;
  const sort = params.get('sort');
  const dir = params.get('dir');
  const status = params.get('status');
  const bots = params.get('includeBots');
  const change = Number(params.get('change'));
  const state: CodeReviewUrlState = {
    from: timeParam(params, 'from'),
    to: timeParam(params, 'to'),
    project: list(params, 'project'),
    branch: list(params, 'branch'),
    owner: list(params, 'owner'),
    reviewer: list(params, 'reviewer'),
    status: isStatus(status) ? status : DEFAULT_URL_STATE.status,
    includeBots: bots === 'true' || bots === '1',
    sort: isSortKey(sort) ? sort : DEFAULT_URL_STATE.sort,
    dir: dir === 'asc' || dir === 'desc' ? dir : DEFAULT_URL_STATE.dir,
  };
  if (Number.isSafeInteger(change) && change > 0) {
    state.change = change;
  }
  const timezone = params.get('timezone')?.trim();
  if (timezone) {
    state.timezone = timezone;
  }
  const refresh = params.get('refresh')?.trim();
  if (refresh && REFRESH_INTERVALS.includes(refresh)) {
    state.refresh = refresh;
  }
  return state;
}

/**
 * Writes the page state into a query string (without "?"), leaving out defaults and keeping the
 * parameters of `base` the page does not own, in their order.
 */
export function serializeUrlState(state: CodeReviewUrlState, base?: string | URLSearchParams): string {
  const params = new URLSearchParams(base);
  for (const key of URL_KEYS) {
    params.delete(key);
  }
  const set = (key: string, value: string, fallback: string) => {
    if (value !== fallback) {
      params.set(key, value);
    }
  };
  // The range is always written, so that a copied link names its range explicitly.
  params.set('from', state.from);
  params.set('to', state.to);
  for (const key of ['project', 'branch', 'owner', 'reviewer'] as const) {
    for (const v of state[key]) {
      params.append(key, v);
    }
  }
  set('status', state.status, DEFAULT_URL_STATE.status);
  if (state.includeBots) {
    params.set('includeBots', 'true');
  }
  set('sort', state.sort, DEFAULT_URL_STATE.sort);
  set('dir', state.dir, DEFAULT_URL_STATE.dir);
  if (state.change !== undefined) {
    params.set('change', String(state.change));
  }
  if (state.timezone) {
    params.set('timezone', state.timezone);
  }
  if (state.refresh) {
    params.set('refresh', state.refresh);
  }
  return params.toString();
}

/** True when any filter narrows the set beyond the time range (for "no data" vs "no match"). */
export function hasFilters(state: CodeReviewUrlState): boolean {
  return (
    state.project.length > 0 ||
    state.branch.length > 0 ||
    state.owner.length > 0 ||
    state.reviewer.length > 0 ||
    state.status !== 'all' ||
    state.includeBots
  );
}

/** The state with every filter reset (range, sort and open change kept). */
export function clearFilters(state: CodeReviewUrlState): CodeReviewUrlState {
  return {
    ...state,
    project: [],
    branch: [],
    owner: [],
    reviewer: [],
    status: DEFAULT_URL_STATE.status,
    includeBots: DEFAULT_URL_STATE.includeBots,
  };
}

/** Text-like columns sort ascending first, numbers and durations descending first. */
const ASC_FIRST: ReadonlySet<SortKey> = new Set<SortKey>(['subject', 'project', 'owner', 'status']);

/** The sort after a click on a column header: the same column flips, another starts in its natural direction. */
export function nextSort(current: { sort: SortKey; dir: SortDir }, clicked: SortKey): { sort: SortKey; dir: SortDir } {
  if (current.sort === clicked) {
    return { sort: clicked, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  }
  return { sort: clicked, dir: ASC_FIRST.has(clicked) ? 'asc' : 'desc' };
}
