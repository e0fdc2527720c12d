// The span contract between the sidecar (which writes traces) and the plugin (which reads them).
// Framework-free: imported by server/ and by the Grafana plugin alike. See docs/span-schema.md.

export const SpanName = {
  change: 'change',
  patchSet: 'patchset',
  review: 'review',
  vote: 'vote',
  comment: 'comment',
  reviewerAdded: 'reviewer.added',
  reviewerRemoved: 'reviewer.removed',
  voteDeleted: 'vote.deleted',
  wip: 'wip',
  private: 'private',
  topic: 'topic',
  hashtags: 'hashtags',
  restore: 'restore',
  ci: 'ci',
  submit: 'submit',
  abandon: 'abandon',
  delete: 'delete',
} as const;
export type SpanName = (typeof SpanName)[keyof typeof SpanName];

/** Resource attributes on every span the sidecar exports. */
export const ResourceAttr = {
  serviceName: 'service.name',
  vcsProvider: 'vcs.provider.name',
  serverAddress: 'server.address',
} as const;

/**
 * Span attributes. OpenTelemetry VCS semantic-convention names where one exists,
 * `gerrit.*` for what is Gerrit's own.
 */
export const Attr = {
  // change (root) — OpenTelemetry VCS semantic conventions
  changeNumber: 'vcs.change.id',
  changeTitle: 'vcs.change.title',
  changeState: 'vcs.change.state',
  repositoryName: 'vcs.repository.name',
  repositoryUrl: 'vcs.repository.url.full',
  baseRef: 'vcs.ref.base.name',
  headRevision: 'vcs.ref.head.revision',
  // change — Gerrit's own
  changeId: 'gerrit.change_id',
  project: 'gerrit.project',
  branch: 'gerrit.branch',
  changeUrl: 'gerrit.change.url',
  changeStatus: 'gerrit.change.status',
  owner: 'gerrit.owner',
  ownerName: 'gerrit.owner.name',
  topic: 'gerrit.topic',
  hashtags: 'gerrit.hashtags',
  patchSetCount: 'gerrit.patchset.count',
  // review metrics on the root span (milliseconds, counts)
  timeToFirstReviewMs: 'gerrit.review.time_to_first_review_ms',
  timeToMergeMs: 'gerrit.review.time_to_merge_ms',
  /**
   * On the root of a change closed without a first review after it was ready: how long it waited
   * (ready → close). The first-review estimate counts it as a wait that ended unreviewed.
   */
  unreviewedWaitMs: 'gerrit.review.unreviewed_wait_ms',
  reviewRounds: 'gerrit.review.rounds',
  reviewerCount: 'gerrit.review.reviewer_count',
  reviewers: 'gerrit.reviewers',
  /**
   * The same reviewers as one JSON string (`["alice","bob"]`): Tempo 2.8 answers array attributes
   * mixed up between the traces of one search, scalar strings right (SPEC, "Tempo versions").
   */
  reviewersJson: 'gerrit.reviewers.json',
  /** Root: every review as `[who, epoch ms]`, JSON (`[["alice",1700000000000]]`): the review load reads it. */
  reviewsJson: 'gerrit.reviews.json',
  commentCount: 'gerrit.review.comment_count',
  /**
   * On the root of a change restored after its abandon was final: 2, 3, … (its earlier root stays
   * in Tempo). Absent on a first root.
   */
  rootGeneration: 'gerrit.change.generation',
  /** The change was first seen after its start (no history): figures before this are unknown. */
  historyFirstSeenMs: 'gerrit.history.first_seen_ms',
  // patch set
  patchSetNumber: 'gerrit.patchset.number',
  patchSetKind: 'gerrit.patchset.kind',
  uploader: 'gerrit.uploader',
  insertions: 'gerrit.patchset.insertions',
  deletions: 'gerrit.patchset.deletions',
  patchSetEndReason: 'gerrit.patchset.end_reason',
  // review / vote / comment / reviewer
  reviewer: 'gerrit.reviewer',
  reviewerName: 'gerrit.reviewer.name',
  reviewOutcome: 'gerrit.review.outcome',
  label: 'gerrit.label',
  value: 'gerrit.value',
  oldValue: 'gerrit.old_value',
  actor: 'gerrit.actor',
  actorName: 'gerrit.actor.name',
  commentText: 'gerrit.comment.text',
  commentTruncated: 'gerrit.comment.truncated',
  /** On a `comment` span: true when the message counts as a review (a vote, or a reviewer's comment). */
  reviewCounted: 'gerrit.review.counted',
  reason: 'gerrit.reason',
  wip: 'gerrit.wip',
  isPrivate: 'gerrit.private',
  oldTopic: 'gerrit.topic.old',
  hashtagsAdded: 'gerrit.hashtags.added',
  hashtagsRemoved: 'gerrit.hashtags.removed',
  // ci
  pipelineResult: 'cicd.pipeline.result',
  bot: 'gerrit.bot',
} as const;

/** `gerrit.review.outcome` values. */
export const ReviewOutcome = {
  voted: 'voted',
  commented: 'commented',
  superseded: 'superseded',
} as const;
export type ReviewOutcome = (typeof ReviewOutcome)[keyof typeof ReviewOutcome];

/** `vcs.change.state` values (OpenTelemetry VCS semantic conventions). */
export const ChangeState = {
  open: 'open',
  wip: 'wip',
  merged: 'merged',
  closed: 'closed',
} as const;
export type ChangeState = (typeof ChangeState)[keyof typeof ChangeState];

/** `cicd.pipeline.result` values (OpenTelemetry CI/CD semantic conventions). */
export const PipelineResult = {
  success: 'success',
  failure: 'failure',
} as const;
