// Gerrit REST API client for reconcile and backfill: the changes updated since a time, with the
// history needed to rebuild their traces (all revisions, messages, reviewer updates).

export interface RestAccount {
  _account_id?: number;
  name?: string;
  email?: string;
  username?: string;
}

export interface RestRevision {
  _number: number;
  kind?: string;
  created: string;
  uploader?: RestAccount;
  ref?: string;
}

export interface RestMessage {
  id: string;
  author?: RestAccount;
  real_author?: RestAccount;
  date: string;
  message: string;
  tag?: string;
  _revision_number?: number;
}

export interface RestReviewerUpdate {
  updated: string;
  updated_by?: RestAccount;
  reviewer: RestAccount;
  state: 'REVIEWER' | 'CC' | 'REMOVED';
}

export interface RestChange {
  id: string;
  project: string;
  branch: string;
  topic?: string;
  hashtags?: string[];
  change_id: string;
  subject: string;
  status: 'NEW' | 'MERGED' | 'ABANDONED';
  created: string;
  updated: string;
  submitted?: string;
  submitter?: RestAccount;
  _number: number;
  owner: RestAccount;
  work_in_progress?: boolean;
  is_private?: boolean;
  insertions?: number;
  deletions?: number;
  current_revision?: string;
  revisions?: Record<string, RestRevision>;
  messages?: RestMessage[];
  reviewer_updates?: RestReviewerUpdate[];
  _more_changes?: boolean;
}

export interface RestOptions {
  url: string;
  username?: string;
  password?: string;
  timeoutMs: number;
}

export const HISTORY_OPTIONS = ['ALL_REVISIONS', 'MESSAGES', 'DETAILED_ACCOUNTS', 'REVIEWER_UPDATES'];

export class GerritRestError extends Error {
  readonly status: number | undefined;
  /** No answer within gerrit.http.timeoutMs. */
  readonly timedOut: boolean;
  constructor(message: string, status?: number, timedOut = false) {
    super(message);
    this.name = 'GerritRestError';
    this.status = status;
    this.timedOut = timedOut;
  }
}

/** Why a REST read failed, as a metric label: timeout, unreachable, http_4xx, http_5xx or other. */
export function restFailureReason(err: Error): string {
  if (!(err instanceof GerritRestError)) {
    return 'other';
  }
  if (err.timedOut) {
    return 'timeout';
  }
  if (err.status === undefined) {
    return 'unreachable';
  }
  return err.status >= 500 ? 'http_5xx' : 'http_4xx';
}

/** A change Gerrit answers 404 for is gone (or hidden from this account): reading it again cannot help. */
export function isChangeGone(err: Error): boolean {
  return err instanceof GerritRestError && err.status === 404;
}

/** Gerrit's timestamps ("2026-11-21 10:59:00.123000000", UTC) to epoch ms. */
export function parseGerritTimestamp(value: string | undefined): number | undefined {
  if (!value) {
    return undefined;
  }
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?/.exec(value);
  if (!m) {
    return undefined;
  }
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ? m[3].slice(0, 4) : ''}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Epoch ms to the form Gerrit's query language takes for `since:`/`before:`. */
export function gerritQueryTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export class GerritRest {
  private readonly options: RestOptions;
  private readonly base: string;

  constructor(options: RestOptions) {
    this.options = options;
    this.base = options.url.replace(/\/+$/, '');
  }

  private get authenticated(): boolean {
    return this.options.username !== undefined && this.options.password !== undefined;
  }

  async get<T>(path: string): Promise<T> {
    const url = `${this.base}${this.authenticated ? '/a' : ''}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authenticated) {
      headers.authorization = `Basic ${Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64')}`;
    }
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : (err as Error).message;
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new GerritRestError(
        timedOut
          ? `Gerrit's REST API at ${this.base} (gerrit.http.url) did not answer GET ${path} within ${this.options.timeoutMs} ms (gerrit.http.timeoutMs)`
          : `cannot reach Gerrit's REST API at ${this.base} (gerrit.http.url): ${cause}`,
        undefined,
        timedOut,
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      // The answer began but stopped (the same timeout covers the body).
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new GerritRestError(
        `Gerrit's REST API broke off its answer to GET ${path}: ${(err as Error).message}`,
        undefined,
        timedOut,
      );
    }
    if (!response.ok) {
      const hint =
        response.status === 401 || response.status === 403
          ? ' (check gerrit.http.username and gerrit.http.password: an HTTP password from Gerrit settings)'
          : '';
      throw new GerritRestError(
        `Gerrit answered HTTP ${response.status} for GET ${path}${hint}: ${text.slice(0, 200)}`,
        response.status,
      );
    }
    // Gerrit prefixes JSON with )]}' against XSSI.
    return JSON.parse(text.replace(/^\)\]\}'\s*/, '')) as T;
  }

  /** One page of changes matching `query`, with full history. */
  async queryChanges(query: string, start: number, limit: number): Promise<RestChange[]> {
    const o = HISTORY_OPTIONS.map((x) => `&o=${x}`).join('');
    return this.get<RestChange[]>(`/changes/?q=${encodeURIComponent(query)}&n=${limit}&S=${start}${o}`);
  }

  async getChange(number: number): Promise<RestChange> {
    const o = HISTORY_OPTIONS.map((x, i) => `${i === 0 ? '?' : '&'}o=${x}`).join('');
    return this.get<RestChange>(`/changes/${number}${o}`);
  }

  /** Which of these change numbers Gerrit still has (and this account can see). */
  async findChanges(numbers: number[]): Promise<Set<number>> {
    if (numbers.length === 0) {
      return new Set();
    }
    const query = numbers.map((n) => `change:${n}`).join(' OR ');
    const found = await this.get<{ _number: number }[]>(`/changes/?q=${encodeURIComponent(query)}&n=${numbers.length}`);
    return new Set(found.map((c) => c._number));
  }

  /** False only when Gerrit answers 404 for the change. */
  async exists(number: number): Promise<boolean> {
    try {
      await this.get(`/changes/${number}`);
      return true;
    } catch (err) {
      if (err instanceof GerritRestError && err.status === 404) {
        return false;
      }
      throw err;
    }
  }

  async version(): Promise<string> {
    return this.get<string>('/config/server/version');
  }
}
