// The sidecar's query API through Grafana's plugin proxy (plugin.json route "sidecar/*", which adds the
// sidecar URL and the Bearer token). Errors reject with an ApiFailure (view-model/errors.ts).

import { lastValueFrom } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';
import type {
  ChangeDetailResponse,
  ChangeListQuery,
  ChangeListResponse,
  SidecarStatus,
  TrendsResponse,
  ReviewLoadResponse,
  WaitingResponse,
} from '../review-model/code-review-api.ts';
import type { ServiceMapResponse } from '../review-model/service-map-api.ts';
import {
  changeDetailUrl,
  changeListPageUrl,
  pluginSettingsUrl,
  sidecarStatusUrl,
  reviewLoadUrl,
  trendsUrl,
  waitingUrl,
} from '../view-model/api-query.ts';
import { toApiFailure } from '../view-model/errors.ts';
import type { AppSecureSettings, AppSettings } from '../types.ts';

async function request<T>(url: string, init: { method?: string; data?: unknown } = {}): Promise<T> {
  try {
    const response = await lastValueFrom(
      getBackendSrv().fetch<T>({
        url,
        method: init.method ?? 'GET',
        data: init.data,
        // The page shows its own error states; no Grafana toasts.
        showErrorAlert: false,
        showSuccessAlert: false,
      }),
    );
    return response.data;
  } catch (err) {
    throw toApiFailure(err);
  }
}

/** One page of GET /api/changes; `baseSearch` is changeListSearch() of the query without paging. */
export function fetchChangeListPage(baseSearch: string, page: number): Promise<ChangeListResponse> {
  return request<ChangeListResponse>(changeListPageUrl(baseSearch, page));
}

export function fetchChangeDetail(changeNumber: number): Promise<ChangeDetailResponse> {
  return request<ChangeDetailResponse>(changeDetailUrl(changeNumber));
}

export function fetchWaiting(query: ChangeListQuery): Promise<WaitingResponse> {
  return request<WaitingResponse>(waitingUrl(query));
}

export function fetchReviewLoad(query: ChangeListQuery): Promise<ReviewLoadResponse> {
  return request<ReviewLoadResponse>(reviewLoadUrl(query));
}

export function fetchTrends(query: ChangeListQuery): Promise<TrendsResponse> {
  return request<TrendsResponse>(trendsUrl(query));
}

export function fetchServiceMap(url: string): Promise<ServiceMapResponse> {
  return request<ServiceMapResponse>(url);
}

export function fetchSidecarStatus(): Promise<SidecarStatus> {
  return request<SidecarStatus>(sidecarStatusUrl());
}

export interface AppSettingsUpdate {
  enabled: boolean;
  pinned: boolean;
  jsonData: AppSettings;
  /** Leave out to keep the stored secrets. */
  secureJsonData?: AppSecureSettings;
}

export async function saveAppSettings(update: AppSettingsUpdate): Promise<void> {
  await request<unknown>(pluginSettingsUrl(), { method: 'POST', data: update });
}
