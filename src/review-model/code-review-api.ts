// The sidecar's query API as the Grafana app sees it through its proxy route
// (/api/plugin-proxy/reviewtrace-codereview-app/sidecar/...). Framework-free: the sidecar builds
// these, the plugin renders them. Times are epoch milliseconds; durations are milliseconds.

export type ChangeStatus = 'NEW' | 'MERGED' | 'ABANDONED' | 'DELETED';

/** Who an open change waits on now (docs/span-schema.md, "Waiting on"). */
export type WaitingOn = 'author' | 'reviewers' | 'ci';

/** A reviewer an open change waits on, and since when (the review was asked for this patch set). */
export interface WaitingReviewer {
  reviewer: string;
  sinceMs: number;
}

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
  waitingOnReviewers?: WaitingReviewer[];
  /** For open changes: since when it has been waiting on `waitingOn` (the longest-waiting reviewer's). */
  waitingSinceMs?: number;
  /**
   * For open changes: when it became ready for review (creation, or leaving work in progress);
   * undefined while in progress or when that was before the sidecar saw it.
   */
  readyMs?: number;
  /** For closed changes without a first review: how long they waited for one (ready → close). */
  unreviewedWaitMs?: number;
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
  'waiting',
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
  /** How many changes the figure is computed from. */
  n: number;
}

/**
 * Time to first review with the changes still waiting for one: a Kaplan–Meier estimate, where a
 * change not reviewed yet counts as a wait of at least its time so far (docs/span-schema.md).
 */
export interface FirstReviewDistribution extends Distribution {
  /** Changes that got a first review (the waits that ended). */
  reviewed: number;
  /** Open changes ready for review and not reviewed yet. */
  waiting: number;
  /** The longest of those waits so far. */
  oldestWaitMs?: number;
  /** Closed without a review: their waits ended unreviewed (counted as censored at the close). */
  closedUnreviewed: number;
  /** Not counted: seen only from the middle of their life (what happened before is unknown). */
  unknown: number;
  /**
   * Set when the estimate never falls to the median's (or p90's) level: so many changes still wait
   * that the figure is only known to be longer than the longest wait observed, this.
   */
  medianAtLeastMs?: number;
  p90AtLeastMs?: number;
}

/** Headline stats over the whole filtered set (not only the page). */
export interface HeadlineStats {
  count: number;
  open: number;
  merged: number;
  abandoned: number;
  timeToFirstReview: FirstReviewDistribution;
  timeToMerge: Distribution;
  medianRounds?: number;
  /** Changes the median of rounds is computed from (merged or reviewed). */
  roundsN: number;
  /** Abandoned / closed (merged + abandoned); undefined with no closed change. */
  abandonedShare?: number;
}

/** One change in a person's queue (GET /api/waiting). */
export interface WaitingItem {
  number: number;
  subject: string;
  project: string;
  /** Whether the change waits on this person as its reviewer or as its author. */
  role: 'reviewer' | 'author';
  sinceMs: number;
}

/** A person the open changes wait on, with their queue, the longest wait first. */
export interface WaitingPerson {
  who: string;
  /** Display name, when the sidecar knows it. */
  name?: string;
  asReviewer: number;
  asAuthor: number;
  oldestSinceMs: number;
  changes: WaitingItem[];
}

/** GET /api/waiting: the page's filters (no sort or paging); open changes only. */
export interface WaitingResponse {
  people: WaitingPerson[];
  /** Open changes matching the filters. */
  openChanges: number;
  /** Open changes waiting on CI (counted apart: no person). */
  onCi: number;
  asOfMs: number;
}

/** One day or week of GET /api/trends. */
export interface TrendBucket {
  /** Start of the day or week (Monday), 00:00 UTC. */
  startMs: number;
  /** Changes created in it, and changes merged in it. */
  created: number;
  merged: number;
  /** Over the changes created in it, those still waiting counted (as in the headline). */
  timeToFirstReview: { medianMs?: number; medianAtLeastMs?: number; n: number; waiting: number };
  /** Over the changes merged in it. */
  timeToMerge: { medianMs?: number; n: number };
  rounds: { median?: number; n: number };
}

/** GET /api/trends: the list's filters (status, sort and paging do not apply). */
export interface TrendsResponse {
  /** Days for ranges up to 14 days, else weeks. */
  bucket: 'day' | 'week';
  buckets: TrendBucket[];
  asOfMs: number;
}

/** One person's review load in GET /api/load. */
export interface ReviewLoadPerson {
  /** The account key, as in the list's reviewers. */
  who: string;
  /** Reviews they gave in the range (votes, or comments as a reviewer), on the changes the filters select. */
  reviewsDone: number;
  /** Distinct changes those reviews were on. */
  changesReviewed: number;
  /** Open changes waiting on their review now (as in "Waiting on"). */
  pending: number;
  /** Since when the oldest of those waits (absent with none pending). */
  oldestPendingSinceMs?: number;
}

/** GET /api/load: reviews done in the range and pending now, per reviewer, under the list's filters. */
export interface ReviewLoadResponse {
  /** The most reviews done first. */
  people: ReviewLoadPerson[];
  /** All reviews done in the range (the sum over people). */
  reviews: number;
  /** All pending reviews now (the sum over people). */
  pending: number;
  /** Tempo could not be searched: only open changes are counted. */
  tempoError?: string;
  asOfMs: number;
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
  sources: {
    tempo: 'ok' | 'error';
    tempoError?: string;
    overlay: number;
    /**
     * Where the closed changes came from: the sidecar's change index, or a Tempo search (while the
     * index is rebuilt or disabled, or for a range starting before its retention).
     */
    closed?: 'index' | 'tempo';
    /**
     * The Tempo search answered as many closed changes as it may (query.maxChanges): the range holds
     * more than the list shows. Only when the closed changes came from Tempo.
     */
    truncated?: boolean;
    /** The change index's state (docs/architecture.md, "Change index"). */
    index?: ChangeIndexStatus;
  };
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
/** ready: complete, serves the list; rebuilding: being filled from Tempo (the list searches Tempo meanwhile). */
export type ChangeIndexStatus = 'ready' | 'rebuilding' | 'disabled';

export interface SidecarStatus {
  ready: boolean;
  gerrit: { configured: boolean; connected: boolean; lastError?: string };
  tempo: { accepting: boolean; lastError?: string; queryReachable?: boolean; queryError?: string };
  outbox: { spans: number; bytes: number; fill: number };
  deadLetters: number;
  watermark?: string;
  /** The change index: its state, the share of the rebuild done (0..1) while rebuilding, its rows. */
  changeIndex?: { state: ChangeIndexStatus; rebuildProgress?: number; changes: number };
  /**
   * What keeps a ready sidecar from doing all of its job (empty when nothing): a failing reconcile,
   * changes that cannot be rebuilt from Gerrit REST. Ready stays true: the stream and export go on.
   */
  degraded?: { reason: string; message: string; since: string }[];
  /** Changes waiting for a rebuild from Gerrit REST, and the live events waiting for them. */
  rebuilds?: { changes: number; failing: number; heldEvents: number };
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
