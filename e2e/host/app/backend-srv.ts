// The test host's BackendSrv (what getBackendSrv() returns to the plugin). Grafana's own
// implementation lives in Grafana's core (public/app/core/services/backend_srv.ts), not in an npm
// package, so this is a small re-implementation of its observable behaviour: fetch() over the
// browser's fetch, JSON bodies, query params, errors as FetchError { status, statusText, data, config }
// with Grafana's normalisation of error bodies (processRequestError), and cancellation on unsubscribe.
import { Observable, lastValueFrom } from 'rxjs';
import type { BackendSrv, BackendSrvRequest, FetchError, FetchResponse } from '@grafana/runtime';

function withParams(url: string, params: BackendSrvRequest['params']): string {
  if (!params || typeof params !== 'object') {
    return url;
  }
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
    if (value === undefined || value === null) {
      continue;
    }
    for (const v of Array.isArray(value) ? value : [value]) {
      qs.append(key, String(v));
    }
  }
  const s = qs.toString();
  return s ? `${url}${url.includes('?') ? '&' : '?'}${s}` : url;
}

function parseBody(text: string, responseType: BackendSrvRequest['responseType']): unknown {
  if (responseType === 'text') {
    return text;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Grafana's BackendSrv.processRequestError: error bodies always become an object with a message. */
function processRequestError(err: FetchError): FetchError {
  if (err.data === undefined || err.data === null || err.data === '') {
    err.data = { message: '', error: err.statusText, response: '' };
  } else if (typeof err.data === 'string') {
    err.data = { message: err.data, error: err.statusText, response: err.data };
  }
  const data = err.data as { message?: string; error?: unknown };
  if (data && !data.message && typeof data.error === 'string') {
    data.message = data.error;
  }
  return err;
}

export class HostBackendSrv implements BackendSrv {
  fetch<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
    return new Observable<FetchResponse<T>>((subscriber) => {
      const controller = new AbortController();
      const method = (options.method ?? 'GET').toUpperCase();
      const headers = new Headers((options.headers as Record<string, string> | undefined) ?? {});
      headers.set('X-Grafana-Org-Id', '1');
      if (!headers.has('Accept')) {
        headers.set('Accept', 'application/json, text/plain, */*');
      }
      let body: BodyInit | undefined;
      if (options.data !== undefined && method !== 'GET' && method !== 'HEAD') {
        if (typeof options.data === 'string' || options.data instanceof FormData || options.data instanceof Blob) {
          body = options.data;
        } else {
          body = JSON.stringify(options.data);
          if (!headers.has('Content-Type')) {
            headers.set('Content-Type', 'application/json');
          }
        }
      }
      const url = withParams(options.url, options.params);
      window
        .fetch(url, { method, headers, body, signal: controller.signal, credentials: 'same-origin' })
        .then(async (response) => {
          const data = parseBody(await response.text(), options.responseType) as T;
          if (!response.ok) {
            subscriber.error(
              processRequestError({ status: response.status, statusText: response.statusText, data, config: options }),
            );
            return;
          }
          subscriber.next({
            data,
            status: response.status,
            statusText: response.statusText,
            ok: response.ok,
            headers: response.headers,
            redirected: response.redirected,
            type: response.type,
            url: response.url,
            config: options,
          });
          subscriber.complete();
        })
        .catch((err: unknown) => {
          if (!controller.signal.aborted) {
            subscriber.error(err);
          }
        });
      return () => controller.abort();
    });
  }

  request<T = unknown>(options: BackendSrvRequest): Promise<T> {
    return lastValueFrom(this.fetch<T>(options)).then((r) => r.data);
  }

  datasourceRequest<T = unknown>(options: BackendSrvRequest): Promise<FetchResponse<T>> {
    return lastValueFrom(this.fetch<T>(options));
  }

  chunked(options: BackendSrvRequest): Observable<FetchResponse<Uint8Array | undefined>> {
    return this.fetch<Uint8Array | undefined>({ ...options, responseType: 'arraybuffer' });
  }

  get<T = unknown>(
    url: string,
    params?: unknown,
    requestId?: string,
    options?: Partial<BackendSrvRequest>,
  ): Promise<T> {
    return this.request<T>({
      ...options,
      method: 'GET',
      url,
      params: params as BackendSrvRequest['params'],
      requestId,
    });
  }

  delete<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'DELETE', url, data });
  }

  post<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'POST', url, data });
  }

  patch<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'PATCH', url, data });
  }

  put<T = unknown>(url: string, data?: unknown, options?: Partial<BackendSrvRequest>): Promise<T> {
    return this.request<T>({ ...options, method: 'PUT', url, data });
  }
}
