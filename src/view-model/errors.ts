// What went wrong with a request to the sidecar, in words that say what to check. Grafana's
// backend service rejects with { status, statusText, data } where data is the body: the sidecar
// answers { code, error } (ApiError), Grafana's own proxy answers { message }.
// Framework-free (unit-tested with node --test).

export interface ApiFailure {
  /** HTTP status; undefined when no answer came (network, aborted). */
  status?: number;
  /** The most specific message available. */
  message: string;
  /** The sidecar's ApiErrorCode, when the answer came from the sidecar. */
  code?: string;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** Normalises whatever a failed fetch threw. */
export function toApiFailure(err: unknown): ApiFailure {
  const rec = asRecord(err);
  if (!rec) {
    return { message: text(err) ?? 'Unknown error' };
  }
  const status = typeof rec.status === 'number' && rec.status > 0 ? rec.status : undefined;
  const data = asRecord(rec.data);
  const message =
    text(data?.error) ??
    text(data?.message) ??
    text(rec.data) ??
    text(rec.message) ??
    text(rec.statusText) ??
    (status !== undefined ? `HTTP ${status}` : 'No answer from Grafana');
  const code = text(data?.code);
  return code ? { status, message, code } : { status, message };
}

export interface FailureAdvice {
  title: string;
  /** The server's own words. */
  detail: string;
  /** What to check, most likely first. */
  checks: string[];
}

const CHECK_URL =
  'The sidecar URL on the app’s configuration page points at a running reviewtrace-server (default port 8686), reachable from the Grafana server.';
const CHECK_READY =
  'The sidecar answers GET /ready with "ready": true (its Gerrit stream and Tempo export are healthy).';
const CHECK_TEMPO =
  'Tempo is running and the sidecar can reach it (tempo.otlpEndpoint and its query URL in the sidecar configuration).';
const CHECK_TOKEN =
  'The API token on the app’s configuration page equals the sidecar’s http.apiToken (REVIEWTRACE_HTTP__API_TOKEN).';

/** Turns a failure into a title and a list of things to check. */
export function describeFailure(f: ApiFailure): FailureAdvice {
  const detail = f.status !== undefined ? `HTTP ${f.status}: ${f.message}` : f.message;
  if (f.code === 'api_disabled') {
    return {
      title: 'The sidecar’s query API is turned off',
      detail,
      checks: [
        'Set http.apiToken (REVIEWTRACE_HTTP__API_TOKEN) in the sidecar’s configuration and restart it.',
        CHECK_TOKEN,
      ],
    };
  }
  if (f.code === 'tempo_unreachable') {
    return { title: 'The sidecar cannot search Tempo', detail, checks: [CHECK_TEMPO, CHECK_READY] };
  }
  switch (f.status) {
    case 401:
    case 403:
      return {
        title: 'The sidecar refused the API token',
        detail,
        checks: [
          CHECK_TOKEN,
          'After changing the token, save the configuration page (Grafana keeps it encrypted and sends it as a Bearer header).',
        ],
      };
    case 404:
      return {
        title: 'Not found',
        detail,
        checks: [
          'The app is enabled and its sidecar URL is saved on the configuration page (the proxy route needs both).',
          'The sidecar is a reviewtrace-server version that serves /api/changes.',
          CHECK_URL,
        ],
      };
    case 502:
    case 503:
    case 504:
      return {
        title: 'The sidecar or Tempo cannot be reached',
        detail,
        checks: [CHECK_URL, CHECK_READY, CHECK_TEMPO],
      };
    case undefined:
      return {
        title: 'No answer from Grafana',
        detail,
        checks: ['Your connection to Grafana.', CHECK_URL],
      };
    default:
      return {
        title: f.status >= 500 ? 'The sidecar failed to answer' : 'The request was rejected',
        detail,
        checks: [CHECK_READY, CHECK_TEMPO, CHECK_URL],
      };
  }
}
