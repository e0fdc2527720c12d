// The sidecar's query API as the Grafana app sees it through its proxy route
// (/api/plugin-proxy/reviewtrace-codereview-app/sidecar/...). Framework-free: the sidecar builds
// these, the plugin renders them. Times are epoch milliseconds; durations are milliseconds.

export type ChangeStatus = 'NEW' | 'MERGED' | 'ABANDONED' | 'DELETED';

/** Who an open change waits on now. */
export type WaitingOn = 'author' | 'reviewers' | 'ci';

export interface ChangeSummary {
  number: number;
  subject: string;
  project: string;
  branch: string;
  /** Account key (username, else email, else name). */
  owner: string;
  /** The owner's display name: always in a change's detail; in list rows only for open changes. */
  ownerName?: string;
  ownerIsBot: boolean;
  status: ChangeStatus;
  wip: boolean;
  createdMs: number;
  /** When it was merged, abandoned or deleted. */
  closedMs?: number;
  patchSets: number;
  /** Patch sets that got a human review. */
  rounds: number;
  /** Reviewer account keys. */
  reviewers: string[];
  timeToFirstReviewMs?: number;
  timeToMergeMs?: number;
  /** For open changes: what the change waits on, and on whom when it is reviewers. */
  waitingOn?: WaitingOn;
  waitingOnReviewers?: string[];
  /** For open changes: since when it has been waiting on `waitingOn`. */
  waitingSinceMs?: number;
  traceId: string;
  /**
   * The change in Gerrit's web UI: always in a change's detail; in list rows only for open
   * changes (the list's Tempo search leaves it out, see server/query/change-query.ts).
   */
  url?: string;
  /**
   * Set when the sidecar saw the change only from this time on (it started late and Gerrit's REST
   * history was not reachable): what happened before is unknown, and so is the time to first review.
   */
  firstSeenMs?: number;
  /** Open changes come from the sidecar's live overlay, closed ones from Tempo. */
  source: 'tempo' | 'overlay';
}

export const SORT_KEYS = [
  'number',
  'subject',
  'project',
  'owner',
  'status',
  'patchSets',
  'timeToFirstReview',
  'timeToMergeOrAge',
  'created',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export type StatusFilter = 'all' | 'open' | 'merged' | 'abandoned';

/** Query parameters of GET /api/changes (all optional but the range). */
export interface ChangeListQuery {
  from: number;
  to: number;
  project?: string[];
  branch?: string[];
  owner?: string[];
  reviewer?: string[];
  status?: StatusFilter;
  includeBots?: boolean;
  sort?: SortKey;
  dir?: 'asc' | 'desc';
  offset?: number;
  /** Page size, at most 1000. */
  limit?: number;
}

export interface Distribution {
  medianMs?: number;
  p90Ms?: number;
}

/** Headline stats over the whole filtered set (not only the page). */
export interface HeadlineStats {
  count: number;
  open: number;
  merged: number;
  abandoned: number;
  timeToFirstReview: Distribution;
  timeToMerge: Distribution;
  medianRounds?: number;
  /** Abandoned / closed (merged + abandoned); undefined with no closed change. */
  abandonedShare?: number;
}

/** Values present in the range, for filter pickers. */
export interface Facets {
  projects: string[];
  branches: string[];
  owners: string[];
  reviewers: string[];
}

export interface ChangeListResponse {
  changes: ChangeSummary[];
  /** Changes matching the filters (the page is `changes`). */
  total: number;
  offset: number;
  stats: HeadlineStats;
  facets: Facets;
  /** Where the data came from, for "what to check" messages. */
  sources: { tempo: 'ok' | 'error'; tempoError?: string; overlay: number };
  /** The sidecar's clock when it answered (epoch ms): open ages and "waiting since" run to it. */
  asOfMs: number;
}

export type LaneKind = 'change' | 'patchset' | 'review' | 'ci';

export interface TimelineBar {
  startMs: number;
  endMs: number;
  /** Still open (drawn up to now). */
  open: boolean;
  /** review: voted | commented | superseded | removed | pending; ci: success | failure | running; patchset: end reason. */
  outcome?: string;
  error?: boolean;
  /** Hover text. */
  detail?: string;
}

export interface TimelineLane {
  id: string;
  kind: LaneKind;
  label: string;
  /** For review and ci lanes: the patch set; for patchset lanes: its number. */
  patchSet?: number;
  who?: string;
  bars: TimelineBar[];
}

export type MarkerKind =
  | 'vote'
  | 'comment'
  | 'reviewer.added'
  | 'reviewer.removed'
  | 'vote.deleted'
  | 'wip'
  | 'private'
  | 'topic'
  | 'hashtags'
  | 'restore'
  | 'abandon'
  | 'submit'
  | 'delete';

export interface TimelineMarker {
  /** The lane it is drawn on. */
  laneId: string;
  atMs: number;
  kind: MarkerKind;
  who?: string;
  label?: string;
  value?: number;
  /** Comment text (truncated by the sidecar's configuration). */
  text?: string;
  error?: boolean;
}

export interface WaitingSegment {
  startMs: number;
  endMs: number;
  on: WaitingOn;
}

export interface ChangeTimeline {
  startMs: number;
  endMs: number;
  lanes: TimelineLane[];
  markers: TimelineMarker[];
  /** "Waiting on" shading along the change lane. */
  waiting: WaitingSegment[];
}

/** GET /api/changes/{number} */
export interface ChangeDetailResponse {
  change: ChangeSummary;
  timeline: ChangeTimeline;
  /** The sidecar's clock when it answered (epoch ms): open bars are drawn up to it. */
  asOfMs: number;
}

/** GET /api/status (also what the config page's "Test connection" shows). */
export interface SidecarStatus {
  ready: boolean;
  gerrit: { configured: boolean; connected: boolean; lastError?: string };
  tempo: { accepting: boolean; lastError?: string; queryReachable?: boolean; queryError?: string };
  outbox: { spans: number; bytes: number; fill: number };
  deadLetters: number;
  watermark?: string;
}

/** Error body of every non-2xx answer. */
/**
 * What kind of failure an error answer is, for clients that act on it (the page's advice):
 * bad_request 400 (a query parameter; the message names it), unauthorized 401 (token),
 * not_found 404 (no such route or change), tempo_unreachable 502 (the sidecar cannot search
 * Tempo), api_disabled 503 (no http.apiToken configured), internal 500.
 */
export type ApiErrorCode =
  'bad_request' | 'unauthorized' | 'not_found' | 'tempo_unreachable' | 'api_disabled' | 'internal';

/** The body of every error answer of the query API. */
export interface ApiError {
  code: ApiErrorCode;
  /** In plain words, naming what to fix. */
  error: string;
}
