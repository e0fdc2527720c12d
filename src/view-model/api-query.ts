// Requests to the sidecar's query API through Grafana's plugin proxy: the URLs, the query strings
// (arrays as repeated parameters), and which pages of a long list to fetch.
// Framework-free (unit-tested with node --test).

import type { TimeZone } from '@grafana/schema';
import type { ChangeListQuery } from '../review-model/code-review-api.ts';
import { resolveRange } from './time-range.ts';
import { DEFAULT_URL_STATE, type CodeReviewUrlState } from './url-state.ts';

export const PLUGIN_ID = 'reviewtrace-codereview-app';

/** The plugin.json proxy route that adds the sidecar's URL and token. */
export const SIDECAR_PROXY = `/api/plugin-proxy/${PLUGIN_ID}/sidecar`;

/** Rows per API page. The API allows up to 1000. */
export const PAGE_SIZE = 500;

/**
 * The page's time zone: the one chosen in its time picker (in the URL), else the user's Grafana
 * preference (`config.bootData.user.timezone`: "" or "browser", "utc", an IANA name).
 */
export function pageTimeZone(state: CodeReviewUrlState, userTimeZone: string | undefined): TimeZone {
  return state.timezone || userTimeZone || 'browser';
}

/**
 * The page's range in epoch ms at `nowMs` in `timeZone`; `readable` is false when the URL's range
 * could not be read and the default range stands in for it.
 */
export function pageRange(
  state: CodeReviewUrlState,
  nowMs: number,
  timeZone: TimeZone,
): { from: number; to: number; readable: boolean } {
  const resolved = resolveRange(state.from, state.to, nowMs, timeZone);
  if (resolved) {
    return { ...resolved, readable: true };
  }
  const fallback = resolveRange(DEFAULT_URL_STATE.from, DEFAULT_URL_STATE.to, nowMs, timeZone) ?? {
    from: nowMs - 7 * 86_400_000,
    to: nowMs,
  };
  return { ...fallback, readable: false };
}

/** The list query of a page state and a resolved range, without paging. */
export function changeListQuery(state: CodeReviewUrlState, range: { from: number; to: number }): ChangeListQuery {
  const query: ChangeListQuery = { from: range.from, to: range.to, sort: state.sort, dir: state.dir };
  if (state.project.length > 0) {
    query.project = [...state.project];
  }
  if (state.branch.length > 0) {
    query.branch = [...state.branch];
  }
  if (state.owner.length > 0) {
    query.owner = [...state.owner];
  }
  if (state.reviewer.length > 0) {
    query.reviewer = [...state.reviewer];
  }
  if (state.status !== 'all') {
    query.status = state.status;
  }
  if (state.includeBots) {
    query.includeBots = true;
  }
  return query;
}

/** The query string of GET /api/changes: from/to in epoch ms, lists as repeated parameters. */
export function changeListSearch(query: ChangeListQuery): string {
  const params = new URLSearchParams();
  params.set('from', String(Math.floor(query.from)));
  params.set('to', String(Math.ceil(query.to)));
  for (const key of ['project', 'branch', 'owner', 'reviewer'] as const) {
    for (const v of query[key] ?? []) {
      params.append(key, v);
    }
  }
  if (query.status !== undefined) {
    params.set('status', query.status);
  }
  if (query.includeBots !== undefined) {
    params.set('includeBots', String(query.includeBots));
  }
  if (query.sort !== undefined) {
    params.set('sort', query.sort);
  }
  if (query.dir !== undefined) {
    params.set('dir', query.dir);
  }
  if (query.offset !== undefined) {
    params.set('offset', String(query.offset));
  }
  if (query.limit !== undefined) {
    params.set('limit', String(query.limit));
  }
  return params.toString();
}

export function changeListUrl(query: ChangeListQuery): string {
  return `${SIDECAR_PROXY}/api/changes?${changeListSearch(query)}`;
}

/** One page of a list whose query string (without paging) is `baseSearch`. */
export function changeListPageUrl(baseSearch: string, page: number, pageSize = PAGE_SIZE): string {
  const params = new URLSearchParams(baseSearch);
  params.set('offset', String(page * pageSize));
  params.set('limit', String(pageSize));
  return `${SIDECAR_PROXY}/api/changes?${params.toString()}`;
}

/** The list's query without sort and paging: what the page's views beside the list follow. */
function filtersOf(query: ChangeListQuery): ChangeListQuery {
  const { sort: _sort, dir: _dir, offset: _offset, limit: _limit, ...filters } = query;
  return filters;
}

/** GET /api/waiting for the list's filters (not its status: the view is about open changes). */
export function waitingUrl(query: ChangeListQuery): string {
  return `${SIDECAR_PROXY}/api/waiting?${changeListSearch({ ...filtersOf(query), status: undefined })}`;
}

/** GET /api/load (reviews done and pending per reviewer) for the list's filters and status. */
export function reviewLoadUrl(query: ChangeListQuery): string {
  return `${SIDECAR_PROXY}/api/load?${changeListSearch(filtersOf(query))}`;
}

/** GET /api/trends for the list's filters. */
export function trendsUrl(query: ChangeListQuery): string {
  return `${SIDECAR_PROXY}/api/trends?${changeListSearch(filtersOf(query))}`;
}

export function changeDetailUrl(changeNumber: number): string {
  return `${SIDECAR_PROXY}/api/changes/${encodeURIComponent(String(changeNumber))}`;
}

export function sidecarStatusUrl(): string {
  return `${SIDECAR_PROXY}/api/status`;
}

/** Grafana's endpoint for an app's settings. */
export function pluginSettingsUrl(): string {
  return `/api/plugins/${PLUGIN_ID}/settings`;
}

/** The app's configuration page, relative to Grafana's root URL. */
export function configPagePath(appSubUrl = ''): string {
  return `${appSubUrl}/plugins/${PLUGIN_ID}`;
}

/**
 * The pages (0-based) holding rows [first, last] of a list of `total` rows, minus those already
 * loaded or on their way.
 */
export function pagesToLoad(
  first: number,
  last: number,
  total: number,
  have: ReadonlySet<number>,
  pageSize = PAGE_SIZE,
): number[] {
  if (total <= 0 || last < first) {
    return [];
  }
  const lo = Math.max(0, Math.min(first, total - 1));
  const hi = Math.max(0, Math.min(last, total - 1));
  const pages: number[] = [];
  for (let p = Math.floor(lo / pageSize); p <= Math.floor(hi / pageSize); p++) {
    if (!have.has(p)) {
      pages.push(p);
    }
  }
  return pages;
}
