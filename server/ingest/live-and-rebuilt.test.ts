import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { Attr } from '../../src/review-model/span-schema.ts';
import { changeHistoryEvents } from '../gerrit/change-history.ts';
import type { RestAccount, RestChange, RestMessage, RestReviewerUpdate } from '../gerrit/rest-client.ts';
import { parseStreamEventLine } from '../gerrit/stream-events.ts';
import { ChangeMapper } from '../mapping/change-mapper.ts';
import type { SpanRecord } from '../mapping/span-record.ts';
import { createLogger } from '../observability/logger.ts';
import { SidecarMetrics } from '../observability/metrics.ts';
import { IngestStore } from '../store/ingest-store.ts';
import { Ingestor } from './ingestor.ts';
import { RebuiltFacts } from './rebuilt-facts.ts';

// One change's spans must not depend on how the sidecar learnt its history: live events, rebuilds
// from REST (triggered by a figure, or by the reconcile at a start), restarts in between with the
// state reloaded from the database. Each story below is told twice, as the stream-events lines
// and as the REST history Gerrit 3.10 gives for it (shapes as in ../gerrit/fixtures/), and every
// mix of the two must export the spans of a clean rebuild of the whole history: same ids, same
// facts. The fault suite found a mix that lost a review (test/faults, "sigkill"): the abandon and
// the restore fell in one second and the REST history put the restore first.

const dir = mkdtempSync(join(tmpdir(), 'reviewtrace-live-rebuilt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// --- stories, as Gerrit tells them on both channels ---------------------------------------------

const ids: Record<string, number> = { carol: 1000003, alice: 1000001, bob: 1000002, 'ci-bot': 1000004 };
const restAccount = (u: string): RestAccount => ({
  _account_id: ids[u],
  name: u,
  email: `${u}@example.com`,
  username: u,
});
const streamAccount = (u: string) => ({ name: u, email: `${u}@example.com`, username: u });
const LABELS = ['Verified', 'Code-Review'];

type Fact =
  | { at: number; kind: 'upload'; ps: number }
  | { at: number; kind: 'add'; by: string; who: string }
  | { at: number; kind: 'remove'; by: string; who: string }
  | { at: number; kind: 'review'; by: string; votes: Record<string, number>; text: string }
  | { at: number; kind: 'abandon' | 'restore'; by: string; text: string }
  | { at: number; kind: 'submit'; by: string };

interface Story {
  title: string;
  owner: string;
  facts: Fact[];
  /** Descriptors the clean rebuild must give (the span contract, by hand). */
  expected?: string[];
}

interface Told {
  /** The stream-events line of each fact. */
  lines: string[];
  /** Gerrit's REST record after the first `n` facts. */
  restAfter: (n: number) => RestChange;
}

const NUMBER = 188;
/** Recent, so that no abandon here is final (mapping.abandonFinalAfterMs) by the wall clock. */
const T0 = Math.floor(Date.now() / 1000) - 3600;
const restTime = (sec: number) => `${new Date(sec * 1000).toISOString().replace('T', ' ').slice(0, 19)}.000000000`;

function tell(story: Story): Told {
  const changeRef = (status: string) => ({
    project: 'demo',
    branch: 'master',
    id: 'I0123456789abcdef0123456789abcdef01234567',
    number: NUMBER,
    subject: story.title,
    owner: streamAccount(story.owner),
    url: `http://g/c/demo/+/${NUMBER}`,
    createdOn: T0,
    status,
  });
  const revision = (ps: number) => `${String(ps).repeat(40)}`;
  const patchSetRef = (ps: number, createdOn: number) => ({
    number: ps,
    revision: revision(ps),
    ref: `refs/changes/88/${NUMBER}/${ps}`,
    uploader: streamAccount(story.owner),
    createdOn,
    author: streamAccount(story.owner),
    kind: 'REWORK',
  });
  const lines: string[] = [];
  const steps: { messages: RestMessage[]; updates: RestReviewerUpdate[]; revision?: [string, number, number] }[] = [];
  let ps = 1;
  let psCreated = T0;
  let status = 'NEW';
  const votes = new Map<string, number>(); // `${ps}/${who}/${label}` → value
  const reviewers = new Set<string>();
  for (const fact of story.facts) {
    const sec = T0 + fact.at;
    const step: (typeof steps)[number] = { messages: [], updates: [] };
    const message = (author: string, text: string, tag?: string) =>
      step.messages.push({
        id: `m${steps.length}`,
        author: restAccount(author),
        date: restTime(sec),
        message: text,
        _revision_number: ps,
        ...(tag ? { tag } : {}),
      } as RestMessage);
    const update = (by: string, who: string, state: RestReviewerUpdate['state']) =>
      step.updates.push({ updated: restTime(sec), updated_by: restAccount(by), reviewer: restAccount(who), state });
    const event = (type: string, fields: Record<string, unknown>) =>
      lines.push(
        JSON.stringify({
          ...fields,
          patchSet: patchSetRef(ps, psCreated),
          change: changeRef(status),
          project: 'demo',
          refName: 'refs/heads/master',
          type,
          eventCreatedOn: sec,
        }),
      );
    switch (fact.kind) {
      case 'upload':
        ps = fact.ps;
        psCreated = sec;
        step.revision = [revision(ps), ps, sec];
        message(story.owner, `Uploaded patch set ${ps}.`, 'autogenerated:gerrit:newPatchSet');
        event('patchset-created', { uploader: streamAccount(story.owner) });
        break;
      case 'add':
        reviewers.add(fact.who);
        update(fact.by, fact.who, 'REVIEWER');
        event('reviewer-added', { reviewer: streamAccount(fact.who), adder: streamAccount(fact.by) });
        break;
      case 'remove':
        reviewers.delete(fact.who);
        update(fact.by, fact.who, 'REMOVED');
        message(fact.by, `Removed reviewer <GERRIT_ACCOUNT_${ids[fact.who]}>.`, 'autogenerated:gerrit:deleteReviewer');
        event('reviewer-deleted', {
          reviewer: streamAccount(fact.who),
          remover: streamAccount(fact.by),
          approvals: [],
        });
        break;
      case 'review': {
        // The header names the votes this review changed; the stream lists every label of the
        // author, with oldValue exactly on the changed ones (fixtures/README.md).
        const changed = Object.entries(fact.votes).filter(([l, v]) => (votes.get(`${ps}/${fact.by}/${l}`) ?? 0) !== v);
        const header = changed.map(([l, v]) => (v === 0 ? ` -${l}` : ` ${l}${v > 0 ? '+' : ''}${v}`)).join('');
        const text = `Patch Set ${ps}:${header}\n\n${fact.text}`;
        const approvals = LABELS.map((label) => {
          const old = votes.get(`${ps}/${fact.by}/${label}`) ?? 0;
          const value = fact.votes[label] ?? old;
          return {
            type: label,
            description: label,
            value: String(value),
            ...(value !== old ? { oldValue: String(old) } : {}),
          };
        });
        for (const [l, v] of changed) {
          votes.set(`${ps}/${fact.by}/${l}`, v);
        }
        if (changed.length > 0 && !reviewers.has(fact.by)) {
          reviewers.add(fact.by);
          update(fact.by, fact.by, 'REVIEWER'); // a voter becomes a reviewer, with no reviewer-added
        }
        message(fact.by, text, fact.by === 'ci-bot' ? 'autogenerated:ci' : undefined);
        event('comment-added', { author: streamAccount(fact.by), approvals, comment: text });
        break;
      }
      case 'abandon':
      case 'restore':
        status = fact.kind === 'abandon' ? 'ABANDONED' : 'NEW';
        message(
          fact.by,
          `${fact.kind === 'abandon' ? 'Abandoned' : 'Restored'}\n\n${fact.text}`,
          `autogenerated:gerrit:${fact.kind}`,
        );
        event(fact.kind === 'abandon' ? 'change-abandoned' : 'change-restored', {
          [fact.kind === 'abandon' ? 'abandoner' : 'restorer']: streamAccount(fact.by),
          reason: fact.text,
        });
        break;
      case 'submit':
        status = 'MERGED';
        message(fact.by, 'Change has been successfully merged', 'autogenerated:gerrit:merged');
        event('change-merged', { submitter: streamAccount(fact.by), newRev: revision(ps) });
        break;
    }
    steps.push(step);
  }
  const restAfter = (n: number): RestChange => {
    const done = steps.slice(0, n);
    const merged = story.facts.slice(0, n).some((f) => f.kind === 'submit');
    const last = story.facts.slice(0, n).findLast((f) => f.kind === 'abandon' || f.kind === 'restore');
    return {
      id: `demo~${NUMBER}`,
      project: 'demo',
      branch: 'master',
      change_id: 'I0123456789abcdef0123456789abcdef01234567',
      subject: story.title,
      status: merged ? 'MERGED' : last?.kind === 'abandon' ? 'ABANDONED' : 'NEW',
      created: restTime(T0),
      updated: restTime(T0 + (story.facts[n - 1]?.at ?? 0)),
      _number: NUMBER,
      owner: restAccount(story.owner),
      ...(merged ? { submitter: restAccount(story.facts.findLast((f) => f.kind === 'submit')?.by ?? '') } : {}),
      revisions: Object.fromEntries(
        [[revision(1), 1, T0] as const, ...done.flatMap((s) => (s.revision ? [s.revision] : []))].map(
          ([sha, number, created]) => [
            sha,
            { _number: number, created: restTime(created), uploader: restAccount(story.owner), kind: 'REWORK' },
          ],
        ),
      ),
      messages: done.flatMap((s) => s.messages),
      reviewer_updates: done.flatMap((s) => s.updates),
    } as RestChange;
  };
  return { lines, restAfter };
}

const STORIES: Story[] = [
  {
    // test/support/review-scenarios.ts 'abandoned, restored, merged', timed as in the fault run.
    title: 'abandoned, restored in the same second, merged',
    owner: 'carol',
    facts: [
      { at: 0, kind: 'upload', ps: 1 },
      { at: 2, kind: 'add', by: 'carol', who: 'alice' },
      { at: 10, kind: 'abandon', by: 'carol', text: 'Going another way.' },
      { at: 10, kind: 'restore', by: 'carol', text: 'Back on it.' },
      { at: 20, kind: 'review', by: 'ci-bot', votes: { Verified: 1 }, text: 'Build #101 succeeded' },
      { at: 30, kind: 'review', by: 'alice', votes: { 'Code-Review': 2 }, text: 'OK now.' },
      { at: 40, kind: 'submit', by: 'alice' },
    ],
    expected: [
      'change|-|-|merged',
      'patchset|ps1|-|merged',
      'reviewer.added|-|alice|-',
      'review|ps1|alice|superseded',
      'abandon|-|carol|-',
      'restore|-|carol|-',
      'review|ps1|alice|voted',
      'comment|ps1|ci-bot|-',
      'vote|ps1|ci-bot|Verified+1',
      'ci|ps1|ci-bot|success',
      'comment|ps1|alice|-',
      'vote|ps1|alice|Code-Review+2',
      'submit|-|alice|-',
    ],
  },
  {
    title: 'a restore and a review in one second, a reviewer removed, merged',
    owner: 'bob',
    facts: [
      { at: 0, kind: 'upload', ps: 1 },
      { at: 1, kind: 'add', by: 'bob', who: 'alice' },
      { at: 1, kind: 'add', by: 'bob', who: 'carol' },
      { at: 5, kind: 'abandon', by: 'bob', text: 'Wait.' },
      { at: 9, kind: 'restore', by: 'bob', text: 'Go.' },
      { at: 9, kind: 'review', by: 'alice', votes: { 'Code-Review': 1 }, text: 'Fine.' },
      { at: 12, kind: 'remove', by: 'bob', who: 'carol' },
      { at: 12, kind: 'abandon', by: 'bob', text: 'Not yet.' },
      { at: 15, kind: 'restore', by: 'bob', text: 'Now.' },
      { at: 16, kind: 'review', by: 'alice', votes: { 'Code-Review': 2 }, text: 'Ship it.' },
      { at: 16, kind: 'submit', by: 'alice' },
    ],
  },
  {
    title: 'two patch sets, a review and an upload in one second, an abandon and a restore in another',
    owner: 'alice',
    facts: [
      { at: 0, kind: 'upload', ps: 1 },
      { at: 1, kind: 'add', by: 'alice', who: 'bob' },
      { at: 3, kind: 'review', by: 'ci-bot', votes: { Verified: -1 }, text: 'Build #7 failed' },
      { at: 6, kind: 'review', by: 'bob', votes: {}, text: 'Why?' },
      { at: 8, kind: 'review', by: 'bob', votes: { 'Code-Review': -1 }, text: 'Please fix.' },
      { at: 8, kind: 'upload', ps: 2 },
      { at: 11, kind: 'abandon', by: 'alice', text: 'Hm.' },
      { at: 11, kind: 'restore', by: 'alice', text: 'No, keep it.' },
      { at: 14, kind: 'review', by: 'ci-bot', votes: { Verified: 1 }, text: 'Build #8 succeeded' },
      { at: 17, kind: 'review', by: 'bob', votes: { 'Code-Review': 2 }, text: 'Thanks.' },
      { at: 20, kind: 'submit', by: 'bob' },
    ],
  },
];

// --- the sidecar, as far as ingestion goes ------------------------------------------------------

/**
 * How one run learns the history. `restartAfter`: the process is killed after those facts (by
 * index); `downFor` facts then happen while no process runs, and the next process reconciles from
 * REST when it starts (also without a downtime when `reconcileAtStart`). `restLag`: how many facts
 * Gerrit has moved on by when a REST read happens (their live events come after it and are
 * covered by the rebuild). `live: false`: no REST at all (gerrit.http not configured).
 */
interface Plan {
  restartAfter: number[];
  downFor: number;
  reconcileAtStart: boolean;
  restLag: number;
  live: boolean;
}

/** A span as the faults suite's descriptors read it (test/support/review-scenarios.ts). */
const describeSpan = (s: SpanRecord): string => {
  const a = s.attributes;
  // Like the faults suite, reviewer.added and reviewer.removed without their patch set.
  const onChange = s.name === 'change' || s.name.startsWith('reviewer.');
  const ps = onChange || a[Attr.patchSetNumber] === undefined ? '-' : `ps${String(a[Attr.patchSetNumber])}`;
  const who =
    s.name === 'change' || s.name === 'patchset' ? '-' : String(a[Attr.reviewer] ?? a[Attr.bot] ?? a[Attr.actor]);
  const value = Number(a[Attr.value]);
  const what: Partial<Record<string, unknown>> = {
    change: a[Attr.changeState],
    patchset: a[Attr.patchSetEndReason],
    review: a[Attr.reviewOutcome],
    ci: a[Attr.pipelineResult],
    vote: `${String(a[Attr.label])}${value > 0 ? '+' : ''}${value}`,
  };
  return `${s.name}|${ps}|${who}|${String(what[s.name] ?? '-')}`;
};

let runs = 0;

/** Every span the runs of `plan` hand to the outbox: span id → descriptor and parent. */
function exported(story: Story, plan: Plan): Map<string, string> {
  const { lines, restAfter } = tell(story);
  const path = join(dir, `run-${(runs += 1)}.db`);
  let now = 0; // facts that happened so far
  let store: IngestStore | undefined;
  let ingestor: Ingestor | undefined;
  let rebuilt = new RebuiltFacts();
  const start = (reconcile: boolean) => {
    store = new IngestStore(path);
    const mapper = new ChangeMapper({
      serverId: 'gerrit.example.com',
      botPatterns: [/^ci-bot$/],
      commentMaxChars: 1000,
      ciLabel: 'Verified',
    });
    // A new process: nothing but the database carries over.
    rebuilt = new RebuiltFacts();
    const rebuild = () =>
      ingestor?.rebuildChange(
        NUMBER,
        changeHistoryEvents(restAfter(Math.min(lines.length, now + plan.restLag)), 'http://g'),
      );
    const self: Ingestor = new Ingestor(
      store,
      mapper,
      new SidecarMetrics({ defaultMetrics: false }),
      createLogger('silent'),
      {
        requestRebuild: (_n, event) => {
          if (!plan.live) {
            return false;
          }
          rebuild();
          // The trigger is handed back after the rebuild (ChangeRebuilds, Sidecar.applyEvent).
          if (event && !rebuilt.consume(event)) {
            self.applyLive(event, { mayRebuild: false });
          }
          return true;
        },
        onRebuilt: (n, history) => rebuilt.add(n, history),
      },
    );
    ingestor = self;
    if (reconcile && store.getChange(NUMBER) !== undefined) {
      rebuild();
    }
  };
  start(false);
  let downUntil = 0;
  for (let i = 0; i < lines.length; i += 1) {
    now = i;
    if (i >= downUntil) {
      // The sidecar reconciles when its stream connects: the read may come before or after this
      // fact (restLag), whose live event is then covered by the rebuild or applied after it.
      if (store === undefined) {
        start(plan.live && (plan.reconcileAtStart || plan.downFor > 0));
      }
      now = i + 1;
      const parsed = parseStreamEventLine(lines[i]);
      if (!(parsed.kind === 'change' && rebuilt.consume(parsed.event))) {
        ingestor?.handleParsed(parsed, lines[i]);
      }
    }
    if (plan.restartAfter.includes(i) && store !== undefined) {
      store.close();
      store = undefined;
      downUntil = i + 1 + plan.downFor;
    }
  }
  if (store === undefined) {
    now = lines.length;
    start(plan.live);
  }
  const out = new Map<string, string>();
  for (const span of store?.readOutbox(10_000, Number.MAX_SAFE_INTEGER)?.spans ?? []) {
    assert.ok(!out.has(span.spanId), `span id ${span.spanId} exported twice`);
    out.set(span.spanId, `${describeSpan(span)} parent=${span.parentSpanId ?? '-'}`);
  }
  store?.close();
  return out;
}

/** What a backfill of the whole history gives: one rebuild from REST, nothing live. */
function clean(story: Story): Map<string, string> {
  const { restAfter, lines } = tell(story);
  const path = join(dir, `clean-${(runs += 1)}.db`);
  const store = new IngestStore(path);
  const mapper = new ChangeMapper({
    serverId: 'gerrit.example.com',
    botPatterns: [/^ci-bot$/],
    commentMaxChars: 1000,
    ciLabel: 'Verified',
  });
  new Ingestor(store, mapper, new SidecarMetrics({ defaultMetrics: false }), createLogger('silent')).rebuildChange(
    NUMBER,
    changeHistoryEvents(restAfter(lines.length), 'http://g'),
  );
  const out = new Map<string, string>();
  for (const span of store.readOutbox(10_000, Number.MAX_SAFE_INTEGER)?.spans ?? []) {
    out.set(span.spanId, `${describeSpan(span)} parent=${span.parentSpanId ?? '-'}`);
  }
  store.close();
  return out;
}

const sorted = (m: Map<string, string>) => [...m.entries()].map(([id, d]) => `${d} id=${id}`).sort();
const descriptors = (m: Map<string, string>) => [...m.values()].map((d) => d.replace(/ parent=.*$/, '')).sort();

describe('live events, REST rebuilds and restarts give one change the same spans (real mapper, ingestor and SQLite store)', () => {
  const fault = STORIES[0];

  it('a clean rebuild of the abandoned-and-restored story has both of alice’s reviews, as the span contract says', () => {
    assert.deepEqual(descriptors(clean(fault)), [...(fault.expected ?? [])].sort());
  });

  it('the fault run: killed after the reviewer, after the restore and after the review, rebuilt by figures', () => {
    // Positions of the faults suite's kills (after rounds 0, 2 and 4; upload is fact 0).
    const plan: Plan = { restartAfter: [1, 3, 5], downFor: 0, reconcileAtStart: false, restLag: 0, live: true };
    const mixed = exported(fault, plan);
    assert.deepEqual(descriptors(mixed), [...(fault.expected ?? [])].sort(), 'the 13 spans of the span contract');
    assert.deepEqual(sorted(mixed), sorted(clean(fault)), 'the ids of a clean rebuild');
  });

  for (const story of STORIES) {
    it(`${story.title}: pure live (no REST) and pure REST agree`, () => {
      const live = exported(story, { restartAfter: [], downFor: 0, reconcileAtStart: false, restLag: 0, live: false });
      assert.deepEqual(sorted(live), sorted(clean(story)));
    });

    it(`${story.title}: any restarts, downtimes, reconciles and REST read lags agree with a clean rebuild (property)`, () => {
      const expected = sorted(clean(story));
      // The stream's order is Gerrit's: a clean rebuild that disagrees with it is no reference.
      const live = exported(story, { restartAfter: [], downFor: 0, reconcileAtStart: false, restLag: 0, live: false });
      assert.deepEqual(sorted(live), expected, 'pure live and a clean rebuild agree');
      const n = story.facts.length;
      fc.assert(
        fc.property(
          fc.record({
            restartAfter: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
            downFor: fc.integer({ min: 0, max: 2 }),
            reconcileAtStart: fc.boolean(),
            restLag: fc.integer({ min: 0, max: 2 }),
            live: fc.constant(true),
          }),
          (plan) => {
            assert.deepEqual(sorted(exported(story, plan)), expected);
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
