// The Code Review page's first request, sent from module.tsx as soon as Grafana renders the app,
// while the page's code is still loading (render-as-you-fetch). The page takes it over when it asks
// for the same list; otherwise it is dropped. bench:ui measures what this saves.

import type { ChangeListResponse } from '../review-model/code-review-api.ts';
import { changeListQuery, changeListSearch, pageRange, pageTimeZone } from '../view-model/api-query.ts';
import { parseUrlState } from '../view-model/url-state.ts';
import { fetchChangeListPage } from './sidecar-api.ts';

/** A prefetch older than this is not taken over (the page asks again). */
const MAX_AGE_MS = 10_000;

interface Prefetch {
  /** window.location.search it was made for. */
  locationSearch: string;
  nowMs: number;
  baseSearch: string;
  response: Promise<ChangeListResponse>;
}

let pending: Prefetch | undefined;

/** Sends the first page's request for the page state in `locationSearch`. */
export function prefetchFirstPage(locationSearch: string, userTimeZone: string | undefined, nowMs = Date.now()): void {
  const state = parseUrlState(locationSearch);
  const range = pageRange(state, nowMs, pageTimeZone(state, userTimeZone));
  const baseSearch = changeListSearch(changeListQuery(state, range));
  const response = fetchChangeListPage(baseSearch, 0);
  // The page handles a failure when it takes the request over; one nobody takes is not an error.
  response.catch(() => undefined);
  pending = { locationSearch, nowMs, baseSearch, response };
}

/** The time the prefetch for `locationSearch` resolved its range against, if it is recent. */
export function prefetchedNow(locationSearch: string, nowMs = Date.now()): number | undefined {
  return pending && pending.locationSearch === locationSearch && nowMs - pending.nowMs < MAX_AGE_MS
    ? pending.nowMs
    : undefined;
}

/** The prefetched first page of `baseSearch`, once; undefined when there is none for it. */
export function takePrefetchedFirstPage(baseSearch: string): Promise<ChangeListResponse> | undefined {
  if (pending?.baseSearch !== baseSearch) {
    return undefined;
  }
  const { response } = pending;
  pending = undefined;
  return response;
}
