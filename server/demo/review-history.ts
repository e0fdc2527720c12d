// A deterministic synthetic review history, emitted as `gerrit stream-events` JSON objects in time
// order, so the demo and the ingest benchmark go through exactly the code real events do.
// Changes arrive over the history window; each runs its own little review story (reviewers,
// CI, comments, votes, new patch sets, merge or abandon; a few stay stuck open). Only the changes
// in flight are held in memory, so millions of events stream in constant space.

import { rng } from './random.ts';

export interface DemoOptions {
  seed: number;
  /** Number of changes to create. */
  changes: number;
  /** Epoch ms of the first change's creation. */
  startMs: number;
  /** Mean gap between change creations. */
  meanArrivalMs: number;
  /** Canonical URL used in change URLs. */
  url: string;
}

export const DEMO_DEFAULTS = {
  seed: 20261121,
  changes: 600,
  meanArrivalMs: 2 * 3600_000,
  url: 'http://gerrit.demo.invalid',
};

/** Duration of the default demo history, so a caller can end it near now. */
export function demoSpanMs(changes: number, meanArrivalMs: number): number {
  return changes * meanArrivalMs + 5 * 24 * 3600_000;
}

/** The demo change with 40 patch sets. */
export const MARATHON_CHANGE = 7;

/**
 * A demo change whose subject is markup and whose URL is a script: the page must show the subject
 * as text and never render the URL as a link (e2e/specs/hostile-input.spec.ts).
 */
export const MARKUP_CHANGE = 11;
export const MARKUP_SUBJECT = '<img src=x onerror="alert(1)"> Fix <b>bold</b> & "quoted" <script>alert(2)</script>';
export const MARKUP_URL = 'javascript:alert(document.domain)';

export type StreamEventJson = Record<string, unknown> & { type: string; eventCreatedOn: number };

const PROJECTS = [
  'platform/core',
  'platform/build',
  'platform/ci-config',
  'web/frontend',
  'web/design-system',
  'web/docs',
  'mobile/android',
  'mobile/ios',
  'backend/payments',
  'backend/search',
  'backend/auth',
  'backend/notifications',
  'data/pipeline',
  'data/warehouse',
  'infra/terraform',
  'infra/k8s-manifests',
  'tools/linters',
  'tools/release',
  'sdk/python',
  'sdk/go',
];
const PEOPLE = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
  'rupert',
  'sybil',
  'trent',
  'victor',
  'walter',
  'yasmin',
  'zoe',
  'quentin',
  'uma',
  'xavier',
];
const BOTS = ['ci-bot', 'lint-bot'];
const VERBS = ['Fix', 'Add', 'Refactor', 'Remove', 'Improve', 'Speed up', 'Document', 'Migrate', 'Harden', 'Simplify'];
const NOUNS = [
  'cache invalidation',
  'login flow',
  'retry logic',
  'build graph',
  'search ranking',
  'rate limiter',
  'schema migration',
  'dark mode',
  'flaky test',
  'error messages',
  'metrics export',
  'config loader',
];
const REMARKS = [
  'Looks good to me.',
  'Nit: naming.',
  'Can we add a test for this?',
  'Why not reuse the existing helper?',
  'Please split this change.',
  'Done.',
  'Thanks, fixed.',
  'This breaks the edge case with empty input.',
  'LGTM once CI passes.',
  'Consider a feature flag.',
];

function account(username: string) {
  const name = username.endsWith('-bot')
    ? username.replace('-bot', ' Bot').replace(/^./, (c) => c.toUpperCase())
    : username[0].toUpperCase() + username.slice(1);
  return { name, email: `${username}@example.com`, username };
}

function hex40(r: () => number): string {
  let s = '';
  for (let i = 0; i < 5; i += 1) {
    s += Math.floor(r() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  }
  return s;
}

interface TimedEvent {
  t: number;
  event: StreamEventJson;
}

/** Builds one change's events, in time order. */
function changeStory(n: number, createdMs: number, r: () => number, url: string): TimedEvent[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const project = PROJECTS[Math.floor(Math.pow(r(), 1.6) * PROJECTS.length)];
  const owner = pick(PEOPLE);
  const others = PEOPLE.filter((p) => p !== owner);
  const reviewers = [pick(others)];
  if (r() < 0.55) {
    const second = pick(others);
    if (!reviewers.includes(second)) {
      reviewers.push(second);
    }
  }
  const generatedSubject = `${pick(VERBS)} ${pick(NOUNS)}`;
  const subject = n === MARKUP_CHANGE ? MARKUP_SUBJECT : generatedSubject;
  const changeId = `I${hex40(r)}`;
  const sec = (ms: number) => Math.floor(ms / 1000);
  const change = (status: string, extra: Record<string, unknown> = {}) => ({
    project,
    branch: r() < 0.9 ? 'main' : 'release-1.x',
    id: changeId,
    number: n,
    subject,
    owner: account(owner),
    url: n === MARKUP_CHANGE ? MARKUP_URL : `${url}/c/${project}/+/${n}`,
    createdOn: sec(createdMs),
    status,
    ...extra,
  });
  const out: TimedEvent[] = [];
  const emit = (t: number, type: string, body: Record<string, unknown>, status = 'NEW') => {
    out.push({ t, event: { type, change: change(status), ...body, eventCreatedOn: sec(t) } });
  };
  const fate = r();
  const stuck = fate > 0.9;
  const abandoned = !stuck && fate > 0.8;
  // Change 7 is a marathon (40 patch sets), so every demo has one very long timeline.
  const patchSetTotal = n === MARATHON_CHANGE ? 40 : Math.min(40, 1 + Math.floor(-Math.log(1 - r() * 0.999) * 1.4));
  let t = createdMs;
  const hour = 3600_000;
  let psCreated = t;
  for (let ps = 1; ps <= patchSetTotal; ps += 1) {
    const patchSet = {
      number: ps,
      revision: hex40(r),
      uploader: account(owner),
      createdOn: sec(t),
      author: account(owner),
      kind: ps === 1 ? 'REWORK' : r() < 0.2 ? 'TRIVIAL_REBASE' : 'REWORK',
      sizeInsertions: 1 + Math.floor(r() * 400),
      sizeDeletions: -Math.floor(r() * 120),
    };
    psCreated = t;
    emit(t, 'patchset-created', { patchSet, uploader: account(owner) });
    if (ps === 1) {
      let rt = t + 1000;
      for (const rv of reviewers) {
        emit(rt, 'reviewer-added', { patchSet, reviewer: account(rv), adder: account(owner) });
        rt += 1000;
      }
    }
    // CI runs on every patch set.
    const bot = BOTS[0];
    const ciMs = psCreated + (5 + Math.floor(r() * 40)) * 60_000;
    const ciPass = r() < 0.82;
    emit(ciMs, 'comment-added', {
      patchSet,
      author: account(bot),
      approvals: [{ type: 'Verified', description: 'Verified', value: ciPass ? '1' : '-1', oldValue: '0' }],
      comment: `Patch Set ${ps}: Verified${ciPass ? '+1' : '-1'}\n\nBuild ${ciPass ? 'succeeded' : 'failed'}: ${url}/ci/${n}-${ps}`,
    });
    if (r() < 0.3) {
      emit(ciMs + 2000, 'comment-added', {
        patchSet,
        author: account(BOTS[1]),
        approvals: [],
        comment: `Patch Set ${ps}:\n\n(${1 + Math.floor(r() * 3)} comments)\n\nStyle findings.`,
      });
    }
    const last = ps === patchSetTotal;
    if (stuck && last) {
      break; // waits on reviewers forever
    }
    let reviewEnd = ciMs;
    for (const rv of reviewers) {
      if (!last && r() < 0.3) {
        continue; // this reviewer did not get to this patch set before the next upload
      }
      const waitMs = Math.floor(-Math.log(1 - r() * 0.999) * (r() < 0.15 ? 30 : 5) * hour);
      const rt = Math.max(psCreated + 60_000, ciMs + 1000) + waitMs;
      const approve = last && !abandoned;
      const value = approve ? (rv === reviewers[0] ? 2 : 1) : r() < 0.6 ? -1 : 0;
      const text =
        value === 0
          ? `Patch Set ${ps}:\n\n(${1 + Math.floor(r() * 4)} comments)\n\n${pick(REMARKS)}`
          : `Patch Set ${ps}: Code-Review${value > 0 ? '+' : ''}${value}\n\n${pick(REMARKS)}`;
      emit(rt, 'comment-added', {
        patchSet,
        author: account(rv),
        approvals:
          value === 0 ? [] : [{ type: 'Code-Review', description: 'Code-Review', value: String(value), oldValue: '0' }],
        comment: text,
      });
      reviewEnd = Math.max(reviewEnd, rt);
      if (!approve && r() < 0.5) {
        emit(rt + 20 * 60_000, 'comment-added', {
          patchSet,
          author: account(owner),
          approvals: [],
          comment: `Patch Set ${ps}:\n\n(1 comment)\n\n${pick(REMARKS)}`,
        });
        reviewEnd += 20 * 60_000;
      }
    }
    if (last) {
      const endT = reviewEnd + (10 + Math.floor(r() * 120)) * 60_000;
      if (abandoned) {
        emit(
          endT,
          'change-abandoned',
          { patchSet, abandoner: account(owner), reason: 'Superseded by another approach.' },
          'ABANDONED',
        );
      } else {
        emit(endT, 'change-merged', { patchSet, submitter: account(reviewers[0]), newRev: hex40(r) }, 'MERGED');
        emit(endT, 'ref-updated', {
          submitter: account(reviewers[0]),
          refUpdate: { oldRev: hex40(r), newRev: hex40(r), refName: 'refs/heads/main', project },
        });
      }
    } else {
      t = reviewEnd + (30 + Math.floor(r() * 600)) * 60_000;
    }
    if (r() < 0.05) {
      emit(t - 1000, 'topic-changed', { changer: account(owner), oldTopic: '' });
    }
  }
  out.sort((a, b) => a.t - b.t);
  return out;
}

/**
 * The whole history as one time-ordered stream. Memory holds only the changes in flight.
 */
export function* demoStreamEvents(options: DemoOptions): Generator<StreamEventJson> {
  const r = rng(options.seed);
  // Active change stories, each with a cursor; a small sorted list beats a heap at this size.
  const active: { events: TimedEvent[]; i: number }[] = [];
  let created = 0;
  let nextCreateMs = options.startMs;
  const nextOf = (s: { events: TimedEvent[]; i: number }) => s.events[s.i].t;
  const insert = (s: { events: TimedEvent[]; i: number }) => {
    const t = nextOf(s);
    let lo = 0;
    let hi = active.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nextOf(active[mid]) <= t) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    active.splice(lo, 0, s);
  };
  while (created < options.changes || active.length > 0) {
    if (created < options.changes && (active.length === 0 || nextCreateMs <= nextOf(active[0]))) {
      created += 1;
      const story = changeStory(created, nextCreateMs, r, options.url);
      insert({ events: story, i: 0 });
      nextCreateMs += Math.max(1000, Math.floor(-Math.log(1 - r() * 0.999) * options.meanArrivalMs));
      continue;
    }
    const s = active.shift();
    if (!s) {
      break;
    }
    yield s.events[s.i].event;
    s.i += 1;
    if (s.i < s.events.length) {
      insert(s);
    }
  }
}
