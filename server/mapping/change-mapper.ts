import { Attr, ChangeState, PipelineResult, ReviewOutcome, SpanName } from '../../src/review-model/span-schema.ts';
import { parseReviewMessageHeader } from '../gerrit/review-message.ts';
import type { Account, Approval, ChangeEvent, PatchSetRef } from '../gerrit/stream-events.ts';
import { sha256Hex16, spanIdFor, traceIdFor, traceKey } from './span-ids.ts';
import type { AttributeValue, SpanRecord, SpanStatus } from './span-record.ts';

// Turns the events of one change into complete spans (SPEC "Span contract"). A span is produced
// once, when complete, with every field taken from Gerrit data, never from the clock, so the live
// stream, a reconcile and a backfill of the same history produce the same spans. What is still
// open (the current patch set, pending reviews, the change itself) lives in OpenChange, which is
// plain JSON so the store can persist it and the query API can serve it as the live overlay.

export interface MapperOptions {
  serverId: string;
  /** Regexes matched against a bot's username, email and name. */
  botPatterns: RegExp[];
  /**
   * Comment text (and an abandon's or restore's reason) longer than this, in UTF-16 units, is cut
   * (the rest is dropped; a comment span says so), never in the middle of a character.
   */
  commentMaxChars: number;
  /** Told of every text cut to commentMaxChars (for reviewtrace_comments_truncated_total). */
  onTextTruncated?: () => void;
  /** The label whose negative vote marks an error and whose bot vote closes a `ci` span. */
  ciLabel: string;
  /**
   * How long a change must stay abandoned before the abandon is taken as final and its root span
   * is written (mapping.abandonFinalAfterMs). Tempo keeps the first copy of a span, so a root
   * written at the abandon would hold the wrong final state forever if the change is restored.
   */
  abandonFinalAfterMs?: number;
}

/** Default of mapping.abandonFinalAfterMs: most restores follow an abandon within days. */
export const DEFAULT_ABANDON_FINAL_AFTER_MS = 7 * 24 * 3600_000;

export interface OpenPatchSet {
  number: number;
  createdMs: number;
  revision?: string;
  kind?: string;
  uploader?: Account;
  insertions?: number;
  deletions?: number;
}

export interface PendingReview {
  reviewer: Account;
  startMs: number;
}

export type ChangeStatus = 'NEW' | 'MERGED' | 'ABANDONED' | 'DELETED';

/** State of one change that is still open. JSON-serialisable. */
export interface OpenChange {
  number: number;
  project: string;
  branch: string;
  changeId?: string;
  subject?: string;
  url?: string;
  owner?: Account;
  createdMs: number;
  status: ChangeStatus;
  topic?: string;
  hashtags: string[];
  wip: boolean;
  isPrivate: boolean;
  /** Highest patch set number seen. */
  patchSetCount: number;
  current?: OpenPatchSet;
  /** Current reviewers (humans and bots), by account key. */
  reviewers: Record<string, Account>;
  /** Reviews asked for on the current patch set and not given yet, by reviewer key. */
  pendingReviews: Record<string, PendingReview>;
  /** Accounts that voted or commented on the current patch set. */
  reviewedCurrent: string[];
  /** Per bot, when its current CI run on the current patch set started. */
  ciStart: Record<string, number>;
  /**
   * When the change first became ready for review: its creation, or the first time it left work in
   * progress. Undefined while it has never been ready (or when that was before the sidecar saw it).
   */
  readyMs?: number;
  /** The first review (see onReview) at or after readyMs. */
  firstReviewMs?: number;
  /** The latest review (see onReview) of any patch set: the author's turn starts there. */
  lastReviewMs?: number;
  /** When the change last became work in progress (set while it is). */
  wipSinceMs?: number;
  reviewedPatchSets: number[];
  /**
   * Every review (see onReview) as [who, when], in order: the review load's "reviews given". Absent
   * in state stored by versions before it (their earlier reviews are then not listed).
   */
  reviews?: Array<[string, number]>;
  /**
   * Patch sets whose `patchset` span this change writes, by number, with the root generation it
   * belongs to. A span on any other patch set (one uploaded before the sidecar saw the change)
   * hangs off the root, so no span points at a parent that never comes.
   */
  openedPatchSets?: Record<string, number>;
  /** Set when the change was abandoned: its root and current patch set wait for the abandon to be final. */
  abandonedMs?: number;
  /** The root span of the current generation has been written (merged, deleted, or abandoned for good). */
  rootWritten?: boolean;
  /**
   * 1, or more once a change whose abandon was final (root written) is restored: the next close
   * writes a new root, `change/<generation>`, because Tempo keeps the first copy of a span id.
   */
  rootGeneration?: number;
  /** The change was first seen after it started (no history): the time of that first event. */
  firstSeenMs?: number;
  commentCount: number;
  /**
   * The latest events applied to this change, as [Gerrit time, factKey()], at most APPLIED_KEEP:
   * the same line delivered again (a replay, an events-log playback) is recognised by it and changes
   * nothing (span ids of open changes come from ordinals: applied twice, a fact would get new ids).
   * Absent in state stored by versions before it.
   */
  applied?: Array<[number, string]>;
  /** Events before this time may have been applied and no longer be listed in `applied`. */
  appliedFromMs?: number;
  /** How many spans of each keyed kind this change has produced (see ordinal()). */
  ordinals: Record<string, number>;
  lastEventMs: number;
}

export interface ApplyResult {
  /**
   * The change's state after the event: undefined once merged or deleted; an abandoned change is
   * kept (status ABANDONED) because it can be restored.
   */
  change: OpenChange | undefined;
  spans: SpanRecord[];
  /** The event looked wrong (see reviewer-added): the change should be rebuilt from its history. */
  needsRebuild?: boolean;
  /** The change had already applied this event (see OpenChange.applied): nothing was done. */
  alreadyApplied?: boolean;
}

/** Whether a change applied an event already: `unknown` when it is older than what the change remembers. */
export type AppliedState = 'new' | 'applied' | 'unknown';

const INSTANT_MS = 1;
/** Events remembered per open change (OpenChange.applied); a replay of an older one is `unknown`. */
export const APPLIED_KEEP = 64;
/**
 * How far apart the stream's time and REST history's time of one fact can be. Gerrit dates a change
 * message when its update starts and a stream event when it is fired, after the update (reindexing
 * included) and rounded down to the second: usually within a second, but a busy or freshly restarted
 * Gerrit took longer, and the fault suite's gerrit-restart scenario then saw a review applied twice.
 */
export const FACT_SKEW_MS = 10_000;
const NO_VOTES: readonly Approval[] = Object.freeze([]);
/** Changes whose ids are cached (open ones: closing evicts); more than are usually open at once. */
const ID_CACHE_SIZE = 20_000;

export class ChangeMapper {
  private readonly options: MapperOptions;
  /** Per-change ids; bounded, because it is only a cache (everything in it is derivable). */
  private readonly idCache = new Map<number, ChangeIds>();

  constructor(options: MapperOptions) {
    this.options = options;
  }

  /** The id of a change's (first) root span, which is exported when the change closes. */
  rootSpanId(changeNumber: number): string {
    return this.idsFor(changeNumber, 1).rootId;
  }

  private idsFor(changeNumber: number, generation: number): ChangeIds {
    let ids = this.idCache.get(changeNumber);
    if (!ids || ids.generation !== generation) {
      if (this.idCache.size >= ID_CACHE_SIZE) {
        this.idCache.clear();
      }
      const key = traceKey(this.options.serverId, changeNumber);
      ids = {
        key,
        numberText: String(changeNumber),
        generation,
        traceId: traceIdFor(this.options.serverId, changeNumber),
        rootId: spanIdFor(key, generation === 1 ? 'change' : `change/${generation}`),
        patchSetIds: [],
      };
      this.idCache.set(changeNumber, ids);
    }
    return ids;
  }

  private writerFor(c: OpenChange): SpanWriter {
    return new SpanWriter(this.idsFor(c.number, c.rootGeneration ?? 1), c);
  }

  /** When the abandon of `c` becomes final (its root is written then), if it is waiting for that. */
  abandonFinalAtMs(c: OpenChange): number | undefined {
    return c.status === 'ABANDONED' && !c.rootWritten && c.abandonedMs !== undefined
      ? c.abandonedMs + (this.options.abandonFinalAfterMs ?? DEFAULT_ABANDON_FINAL_AFTER_MS)
      : undefined;
  }

  /**
   * Writes the root and last patch set of a change abandoned at least abandonFinalAfterMs before
   * `nowMs`. Every field comes from the abandon (Gerrit's time), so the sidecar's periodic sweep,
   * a later event and a rebuild all write the same spans.
   */
  finalizeAbandoned(c: OpenChange, nowMs: number): SpanRecord[] {
    const at = this.abandonFinalAtMs(c);
    if (at === undefined || nowMs < at) {
      return [];
    }
    const out = this.writerFor(c);
    this.close(c, c.abandonedMs ?? c.lastEventMs, 'abandoned', out);
    return out.spans;
  }

  isBot(account: Account | undefined): boolean {
    if (!account) {
      return false;
    }
    for (const pattern of this.options.botPatterns) {
      if (
        (account.username !== undefined && pattern.test(account.username)) ||
        (account.email !== undefined && pattern.test(account.email)) ||
        (account.name !== undefined && pattern.test(account.name))
      ) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when the event would set a figure's time (ready for review, first review, merge, abandon):
   * the sidecar then takes it from Gerrit's REST record, so live and rebuilt history agree.
   */
  definesFigure(c: OpenChange, event: ChangeEvent): boolean {
    switch (event.type) {
      case 'change-merged':
      case 'change-abandoned':
        return true;
      case 'wip-state-changed':
        return c.readyMs === undefined && event.change.wip !== true;
      case 'comment-added': {
        if (c.wip && c.readyMs === undefined && event.change.wip === false) {
          return true; // a reply that also started the review (`ready: true`)
        }
        const author = event.author;
        if (c.firstReviewMs !== undefined || !author || author.key === c.owner?.key || this.isBot(author)) {
          return false;
        }
        return c.reviewers[author.key] !== undefined || reviewVotes(event.approvals, event.comment).length > 0;
      }
      default:
        return false;
    }
  }

  /**
   * Applies one event. `change` is the stored state (undefined if the change is not open here). An
   * event the change already applied (appliedState) gives no span and leaves the state as it was.
   */
  applyEvent(change: OpenChange | undefined, event: ChangeEvent): ApplyResult {
    const key = factKey(event);
    if (change && findApplied(change, event, key)) {
      // Gerrit can name the last of several added reviewers in every event of the batch: the
      // repeats look like a replay, and only the change's history says who was added.
      return { change, spans: [], alreadyApplied: true, needsRebuild: event.type === 'reviewer-added' };
    }
    const c = change ?? this.startChange(event);
    rememberApplied(c, event.timeMs, key);
    // An event long after an abandon shows (by Gerrit's clock) that the abandon was final.
    const finalSpans = this.finalizeAbandoned(c, event.timeMs);
    if (event.type === 'change-restored' && c.rootWritten) {
      c.rootGeneration = (c.rootGeneration ?? 1) + 1;
      c.rootWritten = false;
    }
    const out = this.writerFor(c);
    out.spans.push(...finalSpans);
    refreshChangeFields(c, event);
    if (!c.wip && c.readyMs === undefined && c.firstSeenMs === undefined) {
      c.readyMs = event.type === 'patchset-created' ? (event.patchSet?.createdOnMs ?? event.timeMs) : event.timeMs;
    }
    // A higher patch set number opens that patch set, even if its patchset-created was missed.
    const reopening = event.type === 'change-restored' && !c.current;
    if (event.patchSet && !reopening && (!c.current || event.patchSet.number > c.current.number)) {
      this.openPatchSet(c, event.patchSet, event.timeMs, out);
    }
    c.lastEventMs = Math.max(c.lastEventMs, event.timeMs);
    const t = event.timeMs;
    let needsRebuild = false;
    const psNumber = event.patchSet?.number ?? c.current?.number;

    switch (event.type) {
      case 'patchset-created':
        break;
      case 'reviewer-added': {
        const reviewer = event.reviewer;
        if (!reviewer) {
          break;
        }
        if (c.reviewers[reviewer.key]) {
          // Gerrit sometimes names the last of several added reviewers in every event of the batch:
          // a repeated add means the stream cannot be trusted here; rebuild the change from REST.
          needsRebuild = true;
          break;
        }
        c.reviewers[reviewer.key] = reviewer;
        out.instant(SpanName.reviewerAdded, ordinal(c, `reviewer.added/${reviewer.key}`), t, psNumber, {
          [Attr.reviewer]: reviewer.key,
          [Attr.reviewerName]: reviewer.name,
          [Attr.actor]: event.adder?.key,
          [Attr.actorName]: event.adder?.name,
        });
        this.askForReview(c, reviewer, t);
        break;
      }
      case 'reviewer-deleted': {
        const reviewer = event.reviewer;
        if (!reviewer) {
          break;
        }
        delete c.reviewers[reviewer.key];
        out.instant(SpanName.reviewerRemoved, ordinal(c, `reviewer.removed/${reviewer.key}`), t, psNumber, {
          [Attr.reviewer]: reviewer.key,
          [Attr.reviewerName]: reviewer.name,
          [Attr.actor]: event.remover?.key,
          [Attr.actorName]: event.remover?.name,
        });
        const pending = c.pendingReviews[reviewer.key];
        if (pending && c.current) {
          this.closeReview(c, c.current.number, pending, t, 'removed', out);
          delete c.pendingReviews[reviewer.key];
        }
        break;
      }
      case 'comment-added':
        this.onReview(c, event.author, event.comment, event.approvals, psNumber, t, out);
        break;
      case 'vote-deleted':
        for (const approval of event.approvals) {
          out.instant(
            SpanName.voteDeleted,
            ordinal(c, `vote.deleted/${psNumber ?? 0}/${approval.label}`),
            t,
            psNumber,
            {
              [Attr.reviewer]: event.reviewer?.key,
              [Attr.reviewerName]: event.reviewer?.name,
              [Attr.actor]: event.remover?.key,
              [Attr.actorName]: event.remover?.name,
              [Attr.label]: approval.label,
              [Attr.oldValue]: approval.oldValue ?? approval.value,
            },
          );
        }
        break;
      case 'topic-changed':
        out.instant(SpanName.topic, ordinal(c, 'topic'), t, undefined, {
          [Attr.topic]: event.change.topic ?? '',
          [Attr.oldTopic]: event.oldTopic,
          [Attr.actor]: event.changer?.key,
        });
        break;
      case 'hashtags-changed': {
        if (!event.change.hashtags) {
          const set = new Set(c.hashtags);
          event.added.forEach((h) => set.add(h));
          event.removed.forEach((h) => set.delete(h));
          c.hashtags = [...set];
        }
        out.instant(SpanName.hashtags, ordinal(c, 'hashtags'), t, undefined, {
          [Attr.hashtags]: c.hashtags,
          [Attr.hashtagsAdded]: event.added,
          [Attr.hashtagsRemoved]: event.removed,
          [Attr.actor]: event.editor?.key,
        });
        break;
      }
      case 'wip-state-changed':
        out.instant(SpanName.wip, ordinal(c, 'wip'), t, undefined, {
          [Attr.wip]: c.wip,
          [Attr.actor]: event.changer?.key,
        });
        break;
      case 'private-state-changed':
        out.instant(SpanName.private, ordinal(c, 'private'), t, undefined, {
          [Attr.isPrivate]: c.isPrivate,
          [Attr.actor]: event.changer?.key,
        });
        break;
      case 'change-restored':
        c.status = 'NEW';
        c.abandonedMs = undefined;
        if (!c.current && event.patchSet) {
          // After a final abandon: the patch set's span of the last generation is written, so it
          // opens anew. Reviewers are asked again from the restore on.
          this.openPatchSet(c, event.patchSet, t, out, t);
        } else if (c.current) {
          // Restored before the abandon was final: the patch set goes on; reviewers are asked again.
          for (const key in c.reviewers) {
            this.askForReview(c, c.reviewers[key], t);
          }
        }
        out.instant(SpanName.restore, ordinal(c, 'restore'), t, undefined, {
          [Attr.actor]: event.restorer?.key,
          [Attr.actorName]: event.restorer?.name,
          [Attr.reason]: this.limitText(event.reason),
        });
        break;
      case 'change-merged':
        c.status = 'MERGED';
        // Gerrit records the submitter as a reviewer (REST lists it under REVIEWER).
        if (event.submitter && !c.reviewers[event.submitter.key]) {
          c.reviewers[event.submitter.key] = event.submitter;
        }
        out.instant(SpanName.submit, 'submit', t, undefined, {
          [Attr.actor]: event.submitter?.key,
          [Attr.actorName]: event.submitter?.name,
          [Attr.headRevision]: event.newRev,
        });
        this.close(c, t, 'merged', out);
        return { change: undefined, spans: out.spans };
      case 'change-abandoned':
        c.status = 'ABANDONED';
        out.instant(SpanName.abandon, ordinal(c, 'abandon'), t, undefined, {
          [Attr.actor]: event.abandoner?.key,
          [Attr.actorName]: event.abandoner?.name,
          [Attr.reason]: this.limitText(event.reason),
        });
        // The reviews asked for end here; the patch set and the root wait until the abandon is
        // final (finalizeAbandoned), so that a restore can continue them.
        if (c.current) {
          this.closePendingReviews(c, c.current.number, t, out);
        }
        c.abandonedMs = t;
        // Kept: a restore continues it with its reviewers and span ordinals.
        return { change: c, spans: out.spans };
      case 'change-deleted':
        c.status = 'DELETED';
        out.instant(SpanName.delete, 'delete', t, undefined, {
          [Attr.actor]: event.deleter?.key,
          [Attr.actorName]: event.deleter?.name,
        });
        this.close(c, t, 'deleted', out);
        return { change: undefined, spans: out.spans };
    }
    // A change first seen after it merged (a comment on a merged change, say) gives its instant
    // spans but is not kept.
    return { change: c.status === 'MERGED' ? undefined : c, spans: out.spans, needsRebuild };
  }

  private startChange(event: ChangeEvent): OpenChange {
    const ch = event.change;
    // A change seen from its first upload has its whole history; one first seen later (the
    // sidecar started late and no REST history was reachable) does not: what happened before its
    // first event is unknown, not invented.
    const fromStart = event.type === 'patchset-created' && event.patchSet?.number === 1;
    return {
      number: ch.number,
      project: ch.project,
      branch: ch.branch,
      createdMs: ch.createdOnMs ?? event.patchSet?.createdOnMs ?? event.timeMs,
      status: ch.status === 'MERGED' || ch.status === 'ABANDONED' ? ch.status : 'NEW',
      hashtags: [],
      wip: false,
      isPrivate: false,
      patchSetCount: 0,
      reviewers: keyedRecord(),
      pendingReviews: keyedRecord(),
      reviewedCurrent: [],
      ciStart: keyedRecord(),
      reviewedPatchSets: [],
      openedPatchSets: keyedRecord(),
      ...(fromStart ? {} : { firstSeenMs: event.timeMs }),
      commentCount: 0,
      applied: [],
      ordinals: keyedRecord(),
      lastEventMs: event.timeMs,
    };
  }

  private openPatchSet(c: OpenChange, ps: PatchSetRef, eventMs: number, out: SpanWriter, askFromMs?: number): void {
    const createdMs = ps.createdOnMs ?? eventMs;
    if (c.current) {
      this.closePatchSet(c, createdMs, 'superseded', out);
    }
    c.current = {
      number: ps.number,
      createdMs,
      revision: ps.revision,
      kind: ps.kind,
      uploader: ps.uploader,
      insertions: ps.insertions,
      deletions: ps.deletions,
    };
    c.patchSetCount = Math.max(c.patchSetCount, ps.number);
    (c.openedPatchSets ??= keyedRecord())[ps.number] = c.rootGeneration ?? 1;
    if (askFromMs === undefined) {
      c.reviewedCurrent = []; // a restore reopens the same patch set: its reviews stand
    }
    clearRecord(c.ciStart);
    clearRecord(c.pendingReviews);
    for (const key in c.reviewers) {
      this.askForReview(c, c.reviewers[key], askFromMs ?? createdMs);
    }
  }

  /** Human text as a span keeps it: at most commentMaxChars, cut before a split surrogate pair. */
  private limitText<T extends string | undefined>(text: T): T {
    const max = this.options.commentMaxChars;
    if (text === undefined || text.length <= max) {
      return text;
    }
    this.options.onTextTruncated?.();
    const lastKept = text.charCodeAt(max - 1);
    const splitsPair = max > 0 && lastKept >= 0xd800 && lastKept <= 0xdbff;
    return text.slice(0, splitsPair ? max - 1 : max) as T;
  }

  /** Opens a review interval for a human reviewer who has not reviewed the current patch set. */
  private askForReview(c: OpenChange, reviewer: Account, atMs: number): void {
    if (!c.current || this.isBot(reviewer) || reviewer.key === c.owner?.key) {
      return;
    }
    if (c.pendingReviews[reviewer.key] || c.reviewedCurrent.includes(reviewer.key)) {
      return;
    }
    c.pendingReviews[reviewer.key] = { reviewer, startMs: Math.max(atMs, c.current.createdMs) };
  }

  private onReview(
    c: OpenChange,
    author: Account | undefined,
    text: string,
    approvals: Approval[],
    psNumber: number | undefined,
    t: number,
    out: SpanWriter,
  ): void {
    const who = author?.key ?? 'unknown';
    const ps = psNumber ?? parseReviewMessageHeader(text)?.patchSet;
    const votes = reviewVotes(approvals, text);
    const truncated = text.length > this.options.commentMaxChars;
    // A review is a vote, or a comment by a reviewer, by a human other than the owner
    // (docs/span-schema.md, "Review figures"): a comment by the owner, a CC or a passer-by is not one.
    const isReview =
      author !== undefined &&
      !this.isBot(author) &&
      author.key !== c.owner?.key &&
      (votes.length > 0 || c.reviewers[who] !== undefined);
    c.commentCount += 1;
    out.instant(SpanName.comment, ordinal(c, `comment/${ps ?? 0}/${who}`), t, ps, {
      [Attr.actor]: who,
      [Attr.actorName]: author?.name,
      [Attr.commentText]: this.limitText(text),
      [Attr.commentTruncated]: truncated,
      [Attr.reviewCounted]: isReview,
    });
    for (const vote of votes) {
      const negativeCi = vote.label === this.options.ciLabel && vote.value < 0;
      out.instant(
        SpanName.vote,
        ordinal(c, `vote/${ps ?? 0}/${who}/${vote.label}`),
        t,
        ps,
        { [Attr.actor]: who, [Attr.actorName]: author?.name, [Attr.label]: vote.label, [Attr.value]: vote.value },
        negativeCi ? 'error' : 'unset',
      );
    }
    const onCurrent = c.current !== undefined && ps === c.current.number;
    if (this.isBot(author)) {
      const ciVote = votes.find((v) => v.label === this.options.ciLabel);
      if (ciVote && author && onCurrent && c.current) {
        const start = c.ciStart[who] ?? c.current.createdMs;
        const failed = ciVote.value < 0;
        out.interval(
          SpanName.ci,
          ordinal(c, `ci/${ps}/${who}`),
          start,
          t,
          ps,
          {
            [Attr.bot]: who,
            [Attr.pipelineResult]: failed ? PipelineResult.failure : PipelineResult.success,
            [Attr.label]: ciVote.label,
            [Attr.value]: ciVote.value,
          },
          failed ? 'error' : 'ok',
        );
        c.ciStart[who] = t;
      }
      return;
    }
    if (!isReview) {
      return;
    }
    (c.reviews ??= []).push([who, t]);
    if (c.readyMs !== undefined && t >= c.readyMs && (c.firstReviewMs === undefined || t < c.firstReviewMs)) {
      c.firstReviewMs = t;
    }
    if (ps !== undefined && !c.reviewedPatchSets.includes(ps)) {
      c.reviewedPatchSets.push(ps);
    }
    c.lastReviewMs = Math.max(c.lastReviewMs ?? 0, t);
    if (!onCurrent || !c.current) {
      return;
    }
    const pending = c.pendingReviews[who];
    if (pending) {
      const first = votes[0];
      this.closeReview(
        c,
        c.current.number,
        pending,
        t,
        votes.length > 0 ? ReviewOutcome.voted : ReviewOutcome.commented,
        out,
        first,
      );
      delete c.pendingReviews[who];
    }
    if (!c.reviewedCurrent.includes(who)) {
      c.reviewedCurrent.push(who);
    }
    // Voting makes an account a reviewer in Gerrit; it is then asked again on later patch sets.
    if (votes.length > 0 && !c.reviewers[who]) {
      c.reviewers[who] = author;
    }
  }

  private closeReview(
    c: OpenChange,
    ps: number,
    pending: PendingReview,
    endMs: number,
    outcome: string,
    out: SpanWriter,
    vote?: Approval,
  ): void {
    out.interval(SpanName.review, ordinal(c, `review/${ps}/${pending.reviewer.key}`), pending.startMs, endMs, ps, {
      [Attr.owner]: c.owner?.key,
      [Attr.reviewer]: pending.reviewer.key,
      [Attr.reviewerName]: pending.reviewer.name,
      [Attr.reviewOutcome]: outcome,
      [Attr.label]: vote?.label,
      [Attr.value]: vote?.value,
      [Attr.project]: c.project,
    });
  }

  private closePendingReviews(c: OpenChange, ps: number, endMs: number, out: SpanWriter): void {
    for (const key in c.pendingReviews) {
      this.closeReview(c, ps, c.pendingReviews[key], endMs, ReviewOutcome.superseded, out);
    }
    clearRecord(c.pendingReviews);
  }

  private closePatchSet(c: OpenChange, endMs: number, reason: string, out: SpanWriter): void {
    const ps = c.current;
    if (!ps) {
      return;
    }
    this.closePendingReviews(c, ps.number, endMs, out);
    out.patchSet(ps.number, ps.createdMs, endMs, {
      [Attr.patchSetNumber]: ps.number,
      [Attr.headRevision]: ps.revision,
      [Attr.patchSetKind]: ps.kind,
      [Attr.uploader]: ps.uploader?.key,
      [Attr.insertions]: ps.insertions,
      [Attr.deletions]: ps.deletions,
      [Attr.patchSetEndReason]: reason,
    });
  }

  private close(c: OpenChange, t: number, how: 'merged' | 'abandoned' | 'deleted', out: SpanWriter): void {
    this.closePatchSet(c, t, how, out);
    c.current = undefined;
    const attributes = changeAttributes(c, (a) => this.isBot(a));
    attributes[Attr.changeState] = how === 'merged' ? ChangeState.merged : ChangeState.closed;
    if ((c.rootGeneration ?? 1) > 1) {
      attributes[Attr.rootGeneration] = c.rootGeneration;
    }
    if (how === 'merged') {
      attributes[Attr.timeToMergeMs] = Math.max(0, t - c.createdMs);
    }
    if (c.readyMs !== undefined && c.firstReviewMs === undefined && c.firstSeenMs === undefined) {
      attributes[Attr.unreviewedWaitMs] = Math.max(0, t - c.readyMs);
    }
    out.root(c.createdMs, t, attributes, how === 'merged' ? 'ok' : 'unset');
    c.rootWritten = true;
    // Kept, the ids of closed changes would fill the cache with every change ever seen: most of
    // the mapper's long-lived memory in bench:ingest. A restore hashes them again.
    this.idCache.delete(c.number);
  }
}

/**
 * Whether `c` applied `event` already: `applied` when it remembers the same fact (factKey) at most
 * a second apart, `unknown` when the event is older than what it remembers (or it was stored by a
 * version that remembered nothing), else `new`.
 */
export function appliedState(c: OpenChange, event: ChangeEvent): AppliedState {
  if (findApplied(c, event, factKey(event))) {
    return 'applied';
  }
  const from = c.applied === undefined ? c.lastEventMs + FACT_SKEW_MS + 1 : (c.appliedFromMs ?? -Infinity);
  return event.timeMs < from ? 'unknown' : 'new';
}

/**
 * The fact an event reports (eventFingerprint), with a comment's text, as 16 hex characters. The
 * same for a line and its replay, and for a stream event and its REST history (whose time may be a
 * second earlier, hence matched apart from the time); two reviews by one account on one patch set
 * with the same votes differ by their text.
 */
export function factKey(event: ChangeEvent): string {
  const text = event.type === 'comment-added' ? event.comment.trim() : '';
  // A flat string: a slice of the hex digest would keep all 64 characters alive in OpenChange.applied.
  return sha256Hex16(`${eventFingerprint(event)}\0${text}`);
}

function findApplied(c: OpenChange, event: ChangeEvent, key: string): boolean {
  const applied = c.applied;
  if (applied === undefined) {
    return false;
  }
  // An index loop: destructuring each entry through the iterator cost 4 % of bench:ingest.
  for (let i = 0; i < applied.length; i += 1) {
    const entry = applied[i];
    if (entry[1] === key && Math.abs(entry[0] - event.timeMs) <= FACT_SKEW_MS) {
      return true;
    }
  }
  return false;
}

/** Adds a fact to OpenChange.applied, forgetting the oldest beyond APPLIED_KEEP. */
function rememberApplied(c: OpenChange, timeMs: number, key: string): void {
  if (c.applied === undefined) {
    // State from a version that remembered nothing: what came before is unknown.
    c.applied = [];
    c.appliedFromMs = c.lastEventMs + FACT_SKEW_MS + 1;
  }
  c.applied.push([timeMs, key]);
  if (c.applied.length > APPLIED_KEEP) {
    let oldest = 0;
    for (let i = 1; i < c.applied.length; i += 1) {
      if (c.applied[i][0] < c.applied[oldest][0]) {
        oldest = i;
      }
    }
    const [forgotten] = c.applied.splice(oldest, 1);
    // A replay of the forgotten fact may carry a time a second later.
    c.appliedFromMs = Math.max(c.appliedFromMs ?? -Infinity, forgotten[0] + FACT_SKEW_MS + 1);
  }
}

/**
 * The votes a review changed. Live events list every current vote of the author in `approvals`,
 * with `oldValue` exactly on the ones this review changed. REST history has no approvals, only the
 * message, whose header names the changed votes ("Code-Review+2", "-Code-Review" for a removal).
 * The stream's text can lack that header, so each source is read the way it is exact.
 */
export function reviewVotes(approvals: Approval[], text: string): readonly Approval[] {
  if (approvals.length > 0) {
    // Most reviews change no vote: no array is allocated for them.
    let changed: Approval[] | undefined;
    for (const a of approvals) {
      if (a.oldValue !== undefined && a.oldValue !== a.value) {
        (changed ??= []).push(a);
      }
    }
    return changed ?? NO_VOTES;
  }
  const header = parseReviewMessageHeader(text);
  return header ? [...header.votes, ...header.removed.map((label) => ({ label, value: 0 }))] : [];
}

/**
 * What fact an event reports, the same whether it came from the stream or from REST history
 * (whose time may be a second earlier). Used to recognise live events a rebuild already covered.
 */
export function eventFingerprint(event: ChangeEvent): string {
  const ps = event.patchSet?.number ?? '';
  switch (event.type) {
    case 'patchset-created':
      return `patchset|${ps}`;
    case 'comment-added': {
      const votes = reviewVotes(event.approvals, event.comment)
        .map((v) => `${v.label}=${v.value}`)
        .sort()
        .join(',');
      return `comment|${ps}|${event.author?.key ?? ''}|${votes}`;
    }
    case 'reviewer-added':
      return `reviewer.added|${event.reviewer?.key ?? ''}`;
    case 'reviewer-deleted':
      return `reviewer.removed|${event.reviewer?.key ?? ''}`;
    case 'vote-deleted':
      return `vote.deleted|${ps}|${event.approvals
        .map((a) => a.label)
        .sort()
        .join(',')}`;
    case 'topic-changed':
      return `topic|${event.change.topic ?? ''}`;
    case 'hashtags-changed':
      // Sorted: the stream and REST list the same hashtags in different orders.
      return `hashtags|${[...event.added].sort().join(',')}|${[...event.removed].sort().join(',')}`;
    case 'wip-state-changed':
      return `wip|${event.change.wip === true}`;
    case 'private-state-changed':
      return `private|${event.change.isPrivate === true}`;
    default:
      return event.type;
  }
}

/** Attributes of the root span, also served for open changes by the live overlay. */
export function changeAttributes(
  c: OpenChange,
  isBot: (account: Account) => boolean = () => false,
): Record<string, AttributeValue | undefined> {
  const reviewers = reviewerKeys(c, isBot);
  const partial = c.firstSeenMs !== undefined;
  return {
    [Attr.changeNumber]: String(c.number),
    [Attr.changeTitle]: c.subject,
    [Attr.changeState]: c.wip ? ChangeState.wip : ChangeState.open,
    [Attr.changeStatus]: c.status,
    [Attr.repositoryName]: c.project,
    [Attr.baseRef]: c.branch,
    [Attr.changeId]: c.changeId,
    [Attr.project]: c.project,
    [Attr.branch]: c.branch,
    [Attr.changeUrl]: c.url,
    [Attr.owner]: c.owner?.key,
    [Attr.ownerName]: c.owner?.name,
    [Attr.topic]: c.topic,
    [Attr.hashtags]: c.hashtags.length > 0 ? c.hashtags : undefined,
    [Attr.patchSetCount]: c.patchSetCount,
    [Attr.timeToFirstReviewMs]: timeToFirstReviewMs(c),
    [Attr.reviewRounds]: c.reviewedPatchSets.length,
    [Attr.reviewerCount]: reviewers.length,
    [Attr.reviewers]: reviewers.length > 0 ? reviewers : undefined,
    [Attr.reviewersJson]: JSON.stringify(reviewers),
    [Attr.reviewsJson]: JSON.stringify(c.reviews ?? []),
    [Attr.commentCount]: c.commentCount,
    [Attr.historyFirstSeenMs]: partial ? c.firstSeenMs : undefined,
  };
}

/** The change's reviewers (docs/span-schema.md): its REVIEWERs in Gerrit but the owner and bots, sorted. */
export function reviewerKeys(c: OpenChange, isBot: (account: Account) => boolean): string[] {
  const out: string[] = [];
  for (const key in c.reviewers) {
    if (key !== c.owner?.key && !isBot(c.reviewers[key])) {
      out.push(key);
    }
  }
  return out.sort();
}

/**
 * From ready for review to the first review after it; unknown (undefined) before the first review,
 * for a change never ready, and for one first seen after its start (an earlier review may be missing).
 */
export function timeToFirstReviewMs(c: OpenChange): number | undefined {
  return c.firstReviewMs === undefined || c.readyMs === undefined || c.firstSeenMs !== undefined
    ? undefined
    : c.firstReviewMs - c.readyMs;
}

/**
 * Later events carry the newest subject, topic, flags: keep them. A field is assigned only when its
 * value changed: every event brings fresh copies of the same strings and accounts, and pointing a
 * long-lived change at them would keep each copy alive through garbage collections (bench:ingest).
 */
function refreshChangeFields(c: OpenChange, event: ChangeEvent): void {
  const ch = event.change;
  if (ch.project !== 'unknown' && ch.project !== c.project) {
    c.project = ch.project;
  }
  if (ch.branch !== 'unknown' && ch.branch !== c.branch) {
    c.branch = ch.branch;
  }
  if (ch.changeId !== undefined && ch.changeId !== c.changeId) {
    c.changeId = ch.changeId;
  }
  if (ch.subject !== undefined && ch.subject !== c.subject) {
    c.subject = ch.subject;
  }
  if (ch.url !== undefined && ch.url !== c.url) {
    c.url = ch.url;
  }
  if (ch.owner !== undefined && !sameAccount(ch.owner, c.owner)) {
    c.owner = ch.owner;
  }
  if (ch.createdOnMs !== undefined && ch.createdOnMs < c.createdMs) {
    c.createdMs = ch.createdOnMs;
  }
  if ((event.type === 'topic-changed' || ch.topic !== undefined) && ch.topic !== c.topic) {
    c.topic = ch.topic;
  }
  if (ch.hashtags && !sameStrings(ch.hashtags, c.hashtags)) {
    c.hashtags = ch.hashtags;
  }
  if (ch.wip !== undefined) {
    if (ch.wip && !c.wip) {
      c.wipSinceMs = event.timeMs;
    }
    c.wip = ch.wip;
  }
  if (ch.isPrivate !== undefined) {
    c.isPrivate = ch.isPrivate;
  }
}

function sameAccount(a: Account, b: Account | undefined): boolean {
  return b !== undefined && a.key === b.key && a.name === b.name && a.email === b.email && a.username === b.username;
}

function sameStrings(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * An OpenChange read back from JSON (the store): its keyed records without a prototype again, so
 * that an account named `constructor` or `__proto__` is a key like any other.
 */
export function reviveOpenChange(json: OpenChange): OpenChange {
  const revive = <T>(r: Record<string, T> | undefined): Record<string, T> => {
    const out = keyedRecord<T>();
    for (const [k, v] of Object.entries(r ?? {})) {
      out[k] = v;
    }
    return out;
  };
  json.reviewers = revive(json.reviewers);
  json.pendingReviews = revive(json.pendingReviews);
  json.ciStart = revive(json.ciStart);
  json.ordinals = revive(json.ordinals);
  if (json.openedPatchSets !== undefined) {
    json.openedPatchSets = revive(json.openedPatchSets);
  }
  if (json.status === 'ABANDONED' && json.rootWritten === undefined && json.abandonedMs === undefined) {
    // Stored by a version that wrote the root at the abandon: a restore must start a new generation.
    json.rootWritten = true;
  }
  return json;
}

/**
 * An empty record for keys that differ from change to change (accounts, span keys). Created
 * without a prototype it is a dictionary from the start: filled from `{}`, V8 would grow a new
 * hidden class for every new key of every change (bench:ingest: a fifth of the mapping time).
 */
function keyedRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Empties a keyed record in place: a new one per patch set was a tenth of the mapper's garbage. */
function clearRecord(record: Record<string, unknown>): void {
  for (const key in record) {
    delete record[key];
  }
}

/**
 * The key of the n-th span of its kind (n-th comment of an account on a patch set, …). Ordinals,
 * not times, because the stream's eventCreatedOn can be a second later than the REST history's
 * time for the same fact, and both must give the same span id.
 */
function ordinal(c: OpenChange, prefix: string): string {
  const n = (c.ordinals[prefix] ?? 0) + 1;
  c.ordinals[prefix] = n;
  return `${prefix}/${n}`;
}

/** The ids every span of one change needs, hashed once per change (see ChangeMapper.idsFor). */
interface ChangeIds {
  key: string;
  /** The change number as the `vcs.change.id` every span carries: one string per change, not per span. */
  numberText: string;
  /** The root generation these ids are for (see OpenChange.rootGeneration). */
  generation: number;
  traceId: string;
  rootId: string;
  /** By patch set number. */
  patchSetIds: string[];
}

/** Builds the spans of one change's trace: ids, parents, clamped times, the change's context. */
class SpanWriter {
  readonly spans: SpanRecord[] = [];
  private readonly ids: ChangeIds;
  private readonly change: OpenChange;

  constructor(ids: ChangeIds, change: OpenChange) {
    this.ids = ids;
    this.change = change;
  }

  /**
   * The span id of a patch set's span: `patchset/<n>`, or `patchset/<n>/<generation>` for one
   * opened again after a final abandon. Undefined for a patch set this change never opened.
   */
  private patchSetId(patchSet: number): string | undefined {
    const generation = this.change.openedPatchSets?.[patchSet];
    if (generation === undefined) {
      // Stored before patch sets were tracked: every patch set up to the current one was opened.
      return this.change.openedPatchSets === undefined ? this.cachedPatchSetId(patchSet) : undefined;
    }
    return generation === 1
      ? this.cachedPatchSetId(patchSet)
      : spanIdFor(this.ids.key, `patchset/${patchSet}/${generation}`);
  }

  private cachedPatchSetId(patchSet: number): string {
    let id = this.ids.patchSetIds[patchSet];
    if (id === undefined) {
      id = spanIdFor(this.ids.key, `patchset/${patchSet}`);
      this.ids.patchSetIds[patchSet] = id;
    }
    return id;
  }

  root(
    startMs: number,
    endMs: number,
    attributes: Record<string, AttributeValue | undefined>,
    status: SpanStatus,
  ): void {
    this.push(SpanName.change, this.ids.rootId, undefined, startMs, endMs, attributes, status);
  }

  /** A patch set span hangs off the change; its id is the one its children name as parent. */
  patchSet(
    patchSet: number,
    startMs: number,
    endMs: number,
    attributes: Record<string, AttributeValue | undefined>,
  ): void {
    const id = this.patchSetId(patchSet) ?? this.cachedPatchSetId(patchSet);
    this.push(SpanName.patchSet, id, this.ids.rootId, startMs, endMs, attributes, 'unset');
  }

  instant(
    name: SpanName,
    spanKey: string,
    atMs: number,
    patchSet: number | undefined,
    attributes: Record<string, AttributeValue | undefined>,
    status: SpanStatus = 'unset',
  ): void {
    this.interval(name, spanKey, atMs, atMs + INSTANT_MS, patchSet, attributes, status);
  }

  interval(
    name: SpanName,
    spanKey: string,
    startMs: number,
    endMs: number,
    patchSet: number | undefined,
    attributes: Record<string, AttributeValue | undefined>,
    status: SpanStatus = 'unset',
  ): void {
    // Everything on a patch set hangs off that patch set, if this change writes its span.
    const parent = (patchSet === undefined ? undefined : this.patchSetId(patchSet)) ?? this.ids.rootId;
    if (patchSet !== undefined) {
      attributes[Attr.patchSetNumber] = patchSet;
    }
    this.push(name, spanIdFor(this.ids.key, spanKey), parent, startMs, endMs, attributes, status);
  }

  private push(
    name: SpanName,
    spanId: string,
    parentSpanId: string | undefined,
    startMs: number,
    endMs: number,
    attributes: Record<string, AttributeValue | undefined>,
    status: SpanStatus,
  ): void {
    // What TraceQL users filter any span on (docs/span-schema.md, "Every span").
    attributes[Attr.changeNumber] = this.ids.numberText;
    attributes[Attr.project] = this.change.project;
    attributes[Attr.branch] = this.change.branch;
    this.spans.push({
      traceId: this.ids.traceId,
      spanId,
      parentSpanId,
      name,
      startMs,
      endMs: Math.max(endMs, startMs + INSTANT_MS),
      status,
      attributes,
    });
  }
}
