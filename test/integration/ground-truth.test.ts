import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type {
  ChangeDetailResponse,
  ChangeListResponse,
  ChangeSummary,
  ReviewLoadResponse,
} from '../../src/review-model/code-review-api.ts';
import { GerritServer, gerritReady } from '../support/gerrit.ts';
import {
  REST_OPTIONS,
  compareFigures,
  expectedFigures,
  expectedReviewLoad,
  expectedStats,
  gerritTimeMs,
  mismatchTable,
  ms,
  show,
  type ExpectedFigures,
  type Mismatch,
  type RestChange,
} from '../support/ground-truth.ts';
import { createProject } from '../support/review-scenarios.ts';
import { SidecarProcess, traceIdOf } from '../support/sidecar.ts';
import { readRawTrace, otlpValue, type OtlpValue, type RawSpan } from '../support/tempo-raw.ts';
import { TempoServer } from '../support/tempo.ts';
import { removeTestDir } from '../support/test-dirs.ts';
import { waitFor } from '../support/wait.ts';

// Ground truth: review stories driven through a real Gerrit 3.10 (REST, as the named accounts),
// followed by the sidecar's CLI over SSH (stopped gracefully, SIGKILLed and restarted on the same
// database while the stories go on), and every figure the product shows checked against figures
// this test computes itself from Gerrit's own REST record (test/support/ground-truth.ts), through
// the sidecar's query API and in Tempo directly. All mismatches are collected and shown as one table.

const work = mkdtempSync(join(tmpdir(), 'reviewtrace-gt-'));
const PROJECT = 'ground-truth';
const ABANDON_FINAL_AFTER_MS = 15_000;
const testStartMs = Date.now();

let tempo: TempoServer;
let gerrit: GerritServer;
let sidecar: SidecarProcess;
let sidecarStarts = 0;
let serverId: string;
/** Problems met while driving (not Gerrit errors: those fail the test at once). */
const drivingMismatches: Mismatch[] = [];
let expected: ExpectedFigures[] = [];

// --- the stories -------------------------------------------------------------------------------

interface Scenario {
  /** The story's number (9a/9b: a change and its cherry-pick to stable; 13a/13b: two open changes). */
  id: string;
  key: string;
  owner: string;
  subject?: string;
  create?: Record<string, unknown>;
  /** Created by another scenario's step (a cherry-pick), not by POST /changes/. */
  derived?: boolean;
  /** What the story leaves the change as (checked against REST: a harness self-check). */
  intended: 'NEW' | 'MERGED' | 'ABANDONED';
  /** Steps per phase: 0 before the graceful restart, 1 after it, 2 around the SIGKILL, 3 after the last start. */
  phases: Step[][];
  number: number;
}

type Step = (s: Scenario) => Promise<void>;

const HOSTILE = '<script>alert(1)</script> Ünïcødé ✓ 日本語';
const path = (s: Scenario) => `/changes/${encodeURIComponent(PROJECT)}~${s.number}`;
let buildNo = 0;

const addReviewer =
  (by: string, who: string, state: 'REVIEWER' | 'CC' = 'REVIEWER'): Step =>
  async (s) => {
    await gerrit.as(by).request('POST', `${path(s)}/reviewers`, { reviewer: who, state });
  };
const removeReviewer =
  (by: string, who: string): Step =>
  async (s) => {
    await gerrit.as(by).request('POST', `${path(s)}/reviewers/${who}/delete`, {});
  };
const comment =
  (who: string, message: string): Step =>
  async (s) => {
    await gerrit.as(who).request('POST', `${path(s)}/revisions/current/review`, { message, labels: {} });
  };
const vote =
  (who: string, value: number, message: string): Step =>
  async (s) => {
    await gerrit
      .as(who)
      .request('POST', `${path(s)}/revisions/current/review`, { message, labels: { 'Code-Review': value } });
  };
/** The CI bot's Verified vote; untagged, so only the bot rule (its username) keeps it from being a review. */
const ci =
  (passed: boolean): Step =>
  async (s) => {
    buildNo += 1;
    await gerrit.as('ci-bot').request('POST', `${path(s)}/revisions/current/review`, {
      message: `Build #${buildNo} ${passed ? 'succeeded' : 'failed'}`,
      labels: { Verified: passed ? 1 : -1 },
    });
  };
const newPatchSet =
  (who: string): Step =>
  async (s) => {
    const g = gerrit.as(who);
    await g.request(
      'PUT',
      `${path(s)}/edit/notes-${s.number}.txt`,
      `revision ${Date.now()}\n`,
      'application/octet-stream',
    );
    await g.request('POST', `${path(s)}/edit:publish`, { notify: 'NONE' });
  };
const ready =
  (who: string): Step =>
  async (s) => {
    await gerrit.as(who).request('POST', `${path(s)}/ready`, {});
  };
const wip =
  (who: string): Step =>
  async (s) => {
    await gerrit.as(who).request('POST', `${path(s)}/wip`, {});
  };
/** A reply that also starts the review (`ready: true`): Gerrit records no "Set Ready For Review" message. */
const readyByReply =
  (who: string, message: string): Step =>
  async (s) => {
    await gerrit.as(who).request('POST', `${path(s)}/revisions/current/review`, { message, ready: true });
  };
const abandon =
  (who: string): Step =>
  async (s) => {
    await gerrit.as(who).request('POST', `${path(s)}/abandon`, { message: 'Going another way.' });
  };
const restore =
  (who: string): Step =>
  async (s) => {
    await gerrit.as(who).request('POST', `${path(s)}/restore`, { message: 'Back on it.' });
  };
const submit =
  (who: string): Step =>
  async (s) => {
    await gerrit.as(who).request('POST', `${path(s)}/submit`, {});
  };
const deleteVote =
  (by: string, of: string): Step =>
  async (s) => {
    await gerrit.as(by).request('DELETE', `${path(s)}/reviewers/${of}/votes/Code-Review`);
  };
const cherryPick =
  (who: string, into: () => Scenario): Step =>
  async (s) => {
    // The change is an empty commit (REST-created), so its pick onto an identical branch is empty too.
    const picked = await gerrit
      .as(who)
      .request<{ _number: number }>('POST', `${path(s)}/revisions/current/cherrypick`, {
        destination: 'stable',
        allow_empty: true,
      });
    into().number = picked._number;
  };

/**
 * Restores an abandoned change late: once the abandoned change's root span is in Tempo and more
 * than abandonFinalAfterMs have passed since Gerrit recorded the abandon. The sidecar may write
 * that root on a periodic sweep, so it is given 75 s beyond abandonFinalAfterMs to show.
 */
const lateRestore =
  (who: string): Step =>
  async (s) => {
    const history = await gerrit.as('admin').request<RestChange>('GET', `${path(s)}?o=MESSAGES`);
    const abandoned = [...(history.messages ?? [])].reverse().find((m) => m.tag === 'autogenerated:gerrit:abandon');
    assert.ok(abandoned, `change ${s.number} was abandoned`);
    const abandonedMs = gerritTimeMs(abandoned.date);
    const traceId = traceIdOf(serverId, s.number);
    let rootSeenMs: number | undefined;
    await waitFor(
      `the abandoned change ${s.number}'s root span in Tempo, ${ABANDON_FINAL_AFTER_MS} ms after the abandon`,
      async () => {
        if (rootSeenMs === undefined && (await readTrace(traceId)).some((x) => x.name === 'change')) {
          rootSeenMs = Date.now();
        }
        return rootSeenMs !== undefined && Date.now() > abandonedMs + ABANDON_FINAL_AFTER_MS + 1500 ? true : undefined;
      },
      Math.max(5_000, abandonedMs + ABANDON_FINAL_AFTER_MS + 75_000 - Date.now()),
      500,
    ).catch(() => {
      drivingMismatches.push({
        subject: label(s),
        source: 'tempo (while driving)',
        field: 'root span after the abandon',
        expected: `in Tempo ${ABANDON_FINAL_AFTER_MS / 1000} s after the abandon`,
        actual: `absent ${(ABANDON_FINAL_AFTER_MS + 75_000) / 1000} s after it; restored anyway`,
      });
    });
    say(
      `ground-truth ${label(s)}: the abandoned change's root span was ${rootSeenMs === undefined ? 'not seen' : `seen in Tempo ${((rootSeenMs - abandonedMs) / 1000).toFixed(1)} s after the abandon`} ` +
        `(abandonFinalAfterMs ${ABANDON_FINAL_AFTER_MS / 1000} s); restoring ${((Date.now() - abandonedMs) / 1000).toFixed(1)} s after it`,
    );
    await restore(who)(s);
  };

const S9B: Scenario = {
  id: '9b',
  key: 'same-change-id-on-stable',
  owner: 'carol',
  derived: true,
  intended: 'MERGED',
  phases: [[], [addReviewer('carol', 'alice')], [vote('alice', 2, 'Same fix on stable.'), ci(true)], [submit('carol')]],
  number: 0,
};

const SCENARIOS: Scenario[] = [
  {
    id: '1',
    key: 'first-review-by-comment',
    owner: 'alice',
    intended: 'MERGED',
    phases: [
      [addReviewer('alice', 'bob'), comment('bob', 'Looks reasonable; why a new file?')],
      [ci(true), vote('bob', 2, 'LGTM')],
      [],
      [submit('alice')],
    ],
    number: 0,
  },
  {
    id: '2',
    key: 'first-review-by-vote',
    owner: 'bob',
    intended: 'NEW',
    phases: [[addReviewer('bob', 'carol')], [vote('carol', 1, 'Fine by me.')], [], []],
    number: 0,
  },
  {
    id: '3',
    key: 'owner-and-cc-comments-then-vote',
    owner: 'carol',
    intended: 'MERGED',
    phases: [
      [
        comment('carol', 'Note to self: rename later.'),
        addReviewer('carol', 'alice', 'CC'),
        comment('alice', 'FYI this touches my area.'),
      ],
      [addReviewer('carol', 'bob')],
      [vote('bob', 2, 'Good.'), ci(true)],
      [submit('carol')],
    ],
    number: 0,
  },
  {
    id: '4',
    key: 'ci-votes-first',
    owner: 'alice',
    intended: 'MERGED',
    phases: [[ci(true), addReviewer('alice', 'carol')], [vote('carol', 2, 'Ship it.')], [submit('alice')], []],
    number: 0,
  },
  {
    id: '5',
    key: 'wip-then-ready',
    owner: 'bob',
    create: { work_in_progress: true },
    intended: 'NEW',
    phases: [
      [addReviewer('bob', 'alice'), comment('alice', 'Early look: the approach is fine.')],
      [ready('bob')],
      [comment('alice', 'Now that it is ready: one nit.')],
      [vote('alice', 1, 'OK.')],
    ],
    number: 0,
  },
  {
    id: '6',
    key: 'three-patch-sets',
    owner: 'carol',
    intended: 'MERGED',
    phases: [
      [addReviewer('carol', 'alice'), addReviewer('carol', 'bob'), vote('alice', -1, 'Needs tests.')],
      [newPatchSet('carol'), vote('bob', 1, 'Tests look good.')],
      [newPatchSet('carol'), ci(true)],
      [vote('alice', 2, 'Done.'), submit('carol')],
    ],
    number: 0,
  },
  {
    id: '7',
    key: 'abandon-restore-merge',
    owner: 'alice',
    intended: 'MERGED',
    phases: [
      [addReviewer('alice', 'bob'), abandon('alice'), restore('alice')],
      [newPatchSet('alice')],
      [ci(true), vote('bob', 2, 'Better now.')],
      [submit('bob')],
    ],
    number: 0,
  },
  {
    id: '8',
    key: 'abandon-late-restore-merge',
    owner: 'bob',
    intended: 'MERGED',
    phases: [
      [addReviewer('bob', 'carol'), vote('carol', -1, 'Not like this.'), abandon('bob')],
      [],
      [],
      [lateRestore('bob'), newPatchSet('bob'), vote('carol', 2, 'Now yes.'), ci(true), submit('carol')],
    ],
    number: 0,
  },
  {
    id: '9a',
    key: 'same-change-id-on-master',
    owner: 'carol',
    intended: 'MERGED',
    phases: [
      [addReviewer('carol', 'alice')],
      [cherryPick('carol', () => S9B)],
      [vote('alice', 2, 'Good fix.'), ci(true)],
      [submit('carol')],
    ],
    number: 0,
  },
  S9B,
  {
    id: '10',
    key: 'reviewer-added-then-removed',
    owner: 'alice',
    intended: 'NEW',
    phases: [
      [addReviewer('alice', 'carol')],
      [removeReviewer('alice', 'carol'), comment('carol', 'Drive-by after being removed.')],
      [],
      [addReviewer('alice', 'bob'), vote('bob', 1, 'Fine.')],
    ],
    number: 0,
  },
  {
    id: '11',
    key: 'vote-deleted',
    owner: 'bob',
    intended: 'MERGED',
    phases: [
      [addReviewer('bob', 'alice'), vote('alice', -1, 'No.')],
      [deleteVote('admin', 'alice')],
      [vote('alice', 2, 'Fine after all.'), ci(true)],
      [submit('bob')],
    ],
    number: 0,
  },
  {
    id: '12',
    key: 'html-and-unicode',
    owner: 'carol',
    subject: HOSTILE,
    intended: 'MERGED',
    phases: [
      [addReviewer('carol', 'bob'), comment('bob', `${HOSTILE} <b>bold</b> & "quotes"`)],
      [],
      [vote('bob', 2, `${HOSTILE} ok`), ci(true)],
      [submit('carol')],
    ],
    number: 0,
  },
  { id: '13a', key: 'open-never-reviewed', owner: 'alice', intended: 'NEW', phases: [[], [], [], []], number: 0 },
  {
    id: '13b',
    key: 'open-waiting-on-reviewer',
    owner: 'bob',
    intended: 'NEW',
    phases: [[addReviewer('bob', 'alice')], [], [], []],
    number: 0,
  },
  {
    id: '13c',
    key: 'open-new-patch-set-asks-again',
    owner: 'carol',
    intended: 'NEW',
    phases: [
      [addReviewer('carol', 'alice'), addReviewer('carol', 'bob')],
      [vote('alice', -1, 'Please split this.')],
      [newPatchSet('carol')],
      [vote('bob', 1, 'Better.')],
    ],
    number: 0,
  },
  {
    id: '13d',
    key: 'open-back-to-work-in-progress',
    owner: 'alice',
    intended: 'NEW',
    phases: [[addReviewer('alice', 'bob')], [], [wip('alice')], []],
    number: 0,
  },
  {
    id: '15',
    key: 'submitted-by-a-non-reviewer',
    owner: 'carol',
    intended: 'MERGED',
    phases: [[addReviewer('carol', 'bob')], [vote('bob', 2, 'Good.'), ci(true)], [], [submit('admin')]],
    number: 0,
  },
  {
    id: '16',
    key: 'wip-then-ready-by-reply',
    owner: 'bob',
    create: { work_in_progress: true },
    intended: 'NEW',
    phases: [
      [addReviewer('bob', 'carol')],
      [readyByReply('bob', 'Ready for review now.')],
      [vote('carol', 1, 'Fine.')],
      [],
    ],
    number: 0,
  },
  {
    id: '14',
    key: 'abandoned-never-restored',
    owner: 'carol',
    intended: 'ABANDONED',
    phases: [[addReviewer('carol', 'bob')], [abandon('carol')], [], []],
    number: 0,
  },
];

const label = (s: Scenario) => `#${s.id} ${s.key} (change ${s.number})`;
const byNumber = (n: number) => SCENARIOS.find((s) => s.number === n);
const labelOf = (n: number) => {
  const s = byNumber(n);
  return s ? label(s) : `change ${n}`;
};

/** Runs one phase: the stories' steps interleaved round by round; `afterFirstStep` once, after the first. */
async function runPhase(phase: number, afterFirstStep?: () => void): Promise<number> {
  const longest = Math.max(...SCENARIOS.map((s) => s.phases[phase].length));
  let steps = 0;
  for (let round = 0; round < longest; round += 1) {
    for (const s of SCENARIOS) {
      const step = s.phases[phase][round];
      if (!step) {
        continue;
      }
      assert.ok(s.number > 0, `${s.id} ${s.key} exists before its steps run`);
      await step(s).catch((err: Error) => {
        throw new Error(`scenario ${label(s)}, phase ${phase}, step ${round + 1}: ${err.message}`);
      });
      steps += 1;
      if (steps === 1) {
        afterFirstStep?.();
      }
    }
  }
  return steps;
}

// --- the programs --------------------------------------------------------------------------------

async function startSidecar(): Promise<SidecarProcess> {
  sidecarStarts += 1;
  const dataDir = join(work, 'sidecar-data');
  mkdirSync(dataDir, { recursive: true });
  const started = await SidecarProcess.start(
    [],
    {
      REVIEWTRACE_DATA_DIR: dataDir,
      REVIEWTRACE_DATABASE_PATH: join(dataDir, 'sidecar.db'),
      REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint,
      REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
      REVIEWTRACE_GERRIT__HTTP__URL: gerrit.url,
      REVIEWTRACE_GERRIT__HTTP__USERNAME: 'admin',
      REVIEWTRACE_GERRIT__HTTP__PASSWORD: gerrit.accounts.admin.httpPassword,
      REVIEWTRACE_GERRIT__SSH__HOST: '127.0.0.1',
      REVIEWTRACE_GERRIT__SSH__PORT: String(gerrit.sshPort),
      REVIEWTRACE_GERRIT__SSH__USERNAME: 'admin',
      REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: gerrit.adminKeyPath,
      REVIEWTRACE_GERRIT__SSH__HOST_KEY__KNOWN_HOSTS_FILE: gerrit.knownHostsFor(
        gerrit.sshPort,
        join(work, 'known_hosts'),
      ),
      REVIEWTRACE_GERRIT__SSH__RECONNECT_INITIAL_MS: '200',
      REVIEWTRACE_GERRIT__SSH__RECONNECT_MAX_MS: '2000',
      REVIEWTRACE_MAPPING__BOT_ACCOUNTS: '["^ci-bot$"]',
      REVIEWTRACE_MAPPING__ABANDON_FINAL_AFTER_MS: String(ABANDON_FINAL_AFTER_MS),
      REVIEWTRACE_EXPORT__MAX_BACKOFF_MS: '2000',
      REVIEWTRACE_EXPORT__IDLE_MS: '200',
    },
    join(work, `sidecar-${sidecarStarts}.log`),
  );
  await started.ready();
  return started;
}

// --- reading the answers -------------------------------------------------------------------------

/** A trace by id straight from Tempo's HTTP API, parsed by the test's own reader. */
const readTrace = (traceId: string): Promise<RawSpan[]> => readRawTrace(tempo.url, traceId);

interface SpanSet {
  spans?: { attributes?: { key: string; value: OtlpValue }[] }[];
}

/** Change numbers (vcs.change.id) of the spans a TraceQL search finds in the test's time range. */
async function searchChangeIds(traceql: string): Promise<number[]> {
  const params = new URLSearchParams({
    q: `${traceql} | select(span.vcs.change.id)`,
    start: String(Math.floor(testStartMs / 1000) - 120),
    end: String(Math.ceil(Date.now() / 1000) + 120),
    limit: '1000',
    spss: '20',
  });
  const r = await fetch(`${tempo.url}/api/search?${params}`);
  assert.ok(r.ok, `Tempo search ${traceql}: HTTP ${r.status} ${await r.clone().text()}`);
  const body = (await r.json()) as {
    traces?: { spanSet?: SpanSet; spanSets?: SpanSet[] }[];
  };
  const ids = new Set<number>();
  for (const t of body.traces ?? []) {
    for (const set of t.spanSets ?? (t.spanSet ? [t.spanSet] : [])) {
      for (const span of set.spans ?? []) {
        const id = (span.attributes ?? []).find((a) => a.key === 'vcs.change.id');
        if (id) {
          ids.add(Number(otlpValue(id.value)));
        }
      }
    }
  }
  return [...ids].sort((a, b) => a - b);
}

async function api<T>(pathAndQuery: string): Promise<T> {
  const r = await fetch(`${sidecar.url}${pathAndQuery}`, {
    headers: { authorization: `Bearer ${sidecar.apiToken}` },
  });
  assert.ok(r.ok, `sidecar ${pathAndQuery}: HTTP ${r.status} ${await r.clone().text()}`);
  return (await r.json()) as T;
}

const listQuery = (extra = '') =>
  `/api/changes?from=${testStartMs - 120_000}&to=${Date.now() + 120_000}&project=${encodeURIComponent(PROJECT)}&limit=1000${extra}`;

/** The figures the ground truth compares, from an expectation or an answer of the sidecar. */
function figuresOf(c: ExpectedFigures | ChangeSummary): Record<string, unknown> {
  return {
    status: c.status,
    patchSets: c.patchSets,
    timeToFirstReviewMs: c.timeToFirstReviewMs,
    rounds: c.rounds,
    reviewers: [...c.reviewers].sort(),
    timeToMergeMs: c.timeToMergeMs,
  };
}

/**
 * Whom an open change waits on must be exactly Gerrit's; since when may differ by up to a second: a
 * reviewer's addition keeps the stream's time, which can be a second after Gerrit's record.
 */
function compareWaiting(mismatches: Mismatch[], name: string, e: ExpectedFigures, row: ChangeSummary): number {
  const got = {
    on: row.waitingOn,
    reviewers: (row.waitingOnReviewers ?? []).map((r) => r.reviewer),
  };
  const want = { on: e.waiting?.on, reviewers: e.waiting?.reviewers ?? [] };
  let n = compareFigures(mismatches, name, 'list waiting', want, got);
  const drift = Math.abs((row.waitingSinceMs ?? 0) - (e.waiting?.sinceMs ?? 0));
  if (e.waiting && drift > 1000) {
    mismatches.push({
      subject: name,
      source: 'list waiting',
      field: 'waitingSinceMs',
      expected: e.waiting.sinceMs,
      actual: row.waitingSinceMs,
    });
    n += 1;
  }
  return n;
}

function figureLine(e: ExpectedFigures): string {
  return (
    `status ${e.status}, patchSets ${e.patchSets}, ttfr ${ms(e.timeToFirstReviewMs)}, rounds ${e.rounds}, ` +
    `reviewers ${show(e.reviewers)}, ttm ${ms(e.timeToMergeMs)}` +
    (e.waiting ? `, waiting on ${e.waiting.on === 'author' ? 'author' : show(e.waiting.reviewers)}` : '')
  );
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function finish(what: string, mismatches: Mismatch[]): void {
  if (mismatches.length > 0) {
    say(`\n${what}: ${mismatches.length} mismatch(es)\n${mismatchTable(mismatches)}\n`);
    assert.fail(`${what}: ${mismatches.length} figure(s) differ from Gerrit's record:\n${mismatchTable(mismatches)}`);
  }
}

// --- the test ------------------------------------------------------------------------------------

describe(
  'ground truth: every figure against Gerrit’s own record (real Gerrit, real Tempo)',
  { timeout: 600_000 },
  () => {
    before(async () => {
      [tempo, gerrit] = await Promise.all([
        TempoServer.start(join(work, 'tempo')),
        GerritServer.start(join(work, 'gerrit')),
      ]);
      await gerritReady(gerrit.as('admin'));
      // Not configured: the sidecar derives it, as the host name of gerrit.http.url without the port.
      serverId = new URL(gerrit.url).hostname;
      await createProject(gerrit, PROJECT);
      await gerrit.as('admin').request('PUT', `/projects/${encodeURIComponent(PROJECT)}/branches/stable`, {});
      sidecar = await startSidecar();
    });

    after(async () => {
      await sidecar?.stop();
      await Promise.all([tempo?.stop(), gerrit?.stop()]);
      removeTestDir(work);
    });

    it('drives the stories through Gerrit across a restart and a SIGKILL, and computes the truth from REST', async () => {
      for (const s of SCENARIOS.filter((x) => !x.derived)) {
        const created = await gerrit.as(s.owner).request<{ _number: number }>('POST', '/changes/', {
          project: PROJECT,
          branch: 'master',
          subject: s.subject ?? `${s.key} (${s.owner})`,
          ...s.create,
        });
        s.number = created._number;
      }
      await runPhase(0);
      // A graceful restart.
      await sidecar.stop();
      sidecar = await startSidecar();
      await runPhase(1);
      // A SIGKILL while reviews go on; Gerrit keeps going while the sidecar is down.
      const killed = sidecar;
      const stepsWhileDown = await runPhase(2, () => killed.process.child.kill('SIGKILL'));
      await killed.process.stop(5_000, 'SIGKILL');
      assert.equal(killed.process.child.signalCode, 'SIGKILL');
      assert.ok(stepsWhileDown >= 5, `${stepsWhileDown} steps ran around the SIGKILL`);
      sidecar = await startSidecar();
      await runPhase(3);

      const rest = await gerrit
        .as('admin')
        .request<RestChange[]>(
          'GET',
          `/changes/?q=${encodeURIComponent(`project:${PROJECT}`)}&n=500&${REST_OPTIONS.map((o) => `o=${o}`).join('&')}`,
        );
      expected = rest.map(expectedFigures).sort((a, b) => a.number - b.number);
      // The harness itself: every story left Gerrit as it meant to, and nothing else is in the project.
      assert.deepEqual(
        expected.map((e) => e.number),
        SCENARIOS.map((s) => s.number).sort((a, b) => a - b),
      );
      for (const s of SCENARIOS) {
        const e = expected.find((x) => x.number === s.number);
        assert.equal(e?.status, s.intended, `${label(s)} ends ${s.intended} in Gerrit`);
      }
      const s9a = SCENARIOS.find((s) => s.id === '9a');
      const e9 = expected.filter((e) => e.number === s9a?.number || e.number === S9B.number);
      assert.equal(new Set(e9.map((e) => e.changeId)).size, 1, 'the cherry-pick keeps the Change-Id');
      assert.deepEqual(e9.map((e) => e.branch).sort(), ['master', 'stable']);
      for (const e of expected) {
        say(
          `ground-truth expected ${labelOf(e.number)}: ${figureLine(e)}; reviews ${e.reviews.map((r) => `${r.who}@ps${r.patchSet}/${r.kind}`).join(' ') || '—'}`,
        );
      }
      finish('driving', drivingMismatches);
    });

    it('the query API shows every figure as Gerrit recorded it', async () => {
      assert.ok(expected.length > 0, 'the stories ran');
      await waitFor('the outbox to drain', async () => ((await sidecar.outboxEmpty()) ? true : undefined), 120_000);
      // Let the list catch up with the last events; whatever it then shows is compared.
      const want = new Map(expected.map((e) => [e.number, e.status]));
      let list = await api<ChangeListResponse>(listQuery());
      await waitFor(
        'the list to show every change with its status',
        async () => {
          list = await api<ChangeListResponse>(listQuery());
          return list.changes.length === want.size && list.changes.every((c) => want.get(c.number) === c.status)
            ? true
            : undefined;
        },
        45_000,
        1000,
      ).catch(() => undefined);
      // The figures compared are those of the change index (a new database, so rebuilt at start).
      assert.equal(list.sources.closed, 'index', 'the closed changes come from the change index');
      const mismatches: Mismatch[] = [];
      const rows = new Map(list.changes.map((c) => [c.number, c]));
      for (const c of list.changes) {
        if (!want.has(c.number)) {
          mismatches.push({
            subject: labelOf(c.number),
            source: 'list',
            field: 'listed',
            expected: false,
            actual: true,
          });
        }
      }
      for (const e of expected) {
        const name = labelOf(e.number);
        const row = rows.get(e.number);
        let n = 0;
        if (!row) {
          mismatches.push({ subject: name, source: 'list', field: 'listed', expected: true, actual: false });
          n += 1;
        } else {
          n += compareFigures(
            mismatches,
            name,
            'list',
            { ...figuresOf(e), subject: e.subject },
            {
              ...figuresOf(row),
              subject: row.subject,
            },
          );
          n += compareWaiting(mismatches, name, e, row);
        }
        const r = await fetch(`${sidecar.url}/api/changes/${e.number}`, {
          headers: { authorization: `Bearer ${sidecar.apiToken}` },
        });
        if (!r.ok) {
          mismatches.push({ subject: name, source: 'detail', field: 'HTTP status', expected: 200, actual: r.status });
          n += 1;
        } else {
          const detail = ((await r.json()) as ChangeDetailResponse).change;
          // The detail must say what the list row says (or, without a row, what Gerrit says).
          n += compareFigures(
            mismatches,
            name,
            row ? 'detail vs list' : 'detail',
            row ? figuresOf(row) : figuresOf(e),
            figuresOf(detail),
          );
        }
        say(`ground-truth ${name}: ${figureLine(e)}: ${n === 0 ? 'match' : `${n} mismatch(es)`}`);
      }

      for (const who of ['alice', 'bob', 'carol']) {
        const got = await api<ChangeListResponse>(listQuery(`&reviewer=${who}`));
        const wantNumbers = expected.filter((e) => e.reviewers.includes(who)).map((e) => e.number);
        const gotNumbers = got.changes.map((c) => c.number).sort((a, b) => a - b);
        const ok = compareFigures(
          mismatches,
          `filter reviewer=${who}`,
          'list',
          { changes: wantNumbers },
          { changes: gotNumbers },
        );
        say(
          `ground-truth filter reviewer=${who}: ${show(wantNumbers)}: ${ok === 0 ? 'match' : `got ${show(gotNumbers)}`}`,
        );
      }

      const stats = expectedStats(expected, list.asOfMs);
      const flat = (s: typeof stats) => ({
        count: s.count,
        open: s.open,
        merged: s.merged,
        abandoned: s.abandoned,
        'timeToFirstReview.medianMs': s.timeToFirstReview.medianMs,
        'timeToFirstReview.p90Ms': s.timeToFirstReview.p90Ms,
        'timeToFirstReview.n': s.timeToFirstReview.n,
        'timeToFirstReview.reviewed': s.timeToFirstReview.reviewed,
        'timeToFirstReview.waiting': s.timeToFirstReview.waiting,
        'timeToFirstReview.oldestWaitMs': s.timeToFirstReview.oldestWaitMs,
        'timeToFirstReview.closedUnreviewed': s.timeToFirstReview.closedUnreviewed,
        'timeToMerge.n': s.timeToMerge.n,
        roundsN: s.roundsN,
        'timeToMerge.medianMs': s.timeToMerge.medianMs,
        'timeToMerge.p90Ms': s.timeToMerge.p90Ms,
        medianRounds: s.medianRounds,
        abandonedShare: s.abandonedShare,
      });
      const statsMismatches = compareFigures(
        mismatches,
        `stats project=${PROJECT}`,
        'list',
        flat(stats),
        flat(list.stats),
      );
      say(
        `ground-truth stats ${PROJECT}: count ${stats.count}, open ${stats.open}, merged ${stats.merged}, ` +
          `abandoned ${stats.abandoned}, ttfr median ${ms(stats.timeToFirstReview.medianMs)} p90 ${ms(stats.timeToFirstReview.p90Ms)} ` +
          `(n ${stats.timeToFirstReview.n}: ${stats.timeToFirstReview.reviewed} reviewed, ${stats.timeToFirstReview.waiting} waiting, ` +
          `${stats.timeToFirstReview.closedUnreviewed} closed unreviewed), ` +
          `ttm median ${ms(stats.timeToMerge.medianMs)} p90 ${ms(stats.timeToMerge.p90Ms)}, ` +
          `median rounds ${show(stats.medianRounds)}, abandoned share ${show(stats.abandonedShare)}: ` +
          `${statsMismatches === 0 ? 'match' : `${statsMismatches} mismatch(es)`}`,
      );
      // Review load: each person's reviews given in the range and pending now.
      const loadRange = { from: testStartMs - 120_000, to: list.asOfMs };
      const load = await api<ReviewLoadResponse>(
        `/api/load?from=${loadRange.from}&to=${loadRange.to}&project=${encodeURIComponent(PROJECT)}`,
      );
      const wantLoad = expectedReviewLoad(expected, loadRange);
      const gotLoad = new Map(load.people.map((p) => [p.who, p]));
      let loadMismatches = 0;
      for (const who of new Set([...wantLoad.keys(), ...gotLoad.keys()])) {
        const want = wantLoad.get(who) ?? { reviewsDone: 0, changesReviewed: 0, pending: 0 };
        const got = gotLoad.get(who);
        const n = compareFigures(mismatches, `load ${who}`, 'load', want, {
          reviewsDone: got?.reviewsDone ?? 0,
          changesReviewed: got?.changesReviewed ?? 0,
          pending: got?.pending ?? 0,
        });
        loadMismatches += n;
        say(
          `ground-truth load ${who}: ${want.reviewsDone} reviews on ${want.changesReviewed} changes, ${want.pending} pending: ${n === 0 ? 'match' : `${n} mismatch(es)`}`,
        );
      }
      assert.ok(load.reviews > 0, 'the stories have reviews');
      say(
        `ground-truth load: ${load.reviews} reviews, ${load.pending} pending: ${loadMismatches === 0 ? 'match' : 'mismatch'}`,
      );
      finish('query API', mismatches);
    });

    it('Tempo holds each closed change’s final figures on its root span, in a well-formed trace', async () => {
      assert.ok(expected.length > 0, 'the stories ran');
      await waitFor('the outbox to drain', async () => ((await sidecar.outboxEmpty()) ? true : undefined), 120_000);
      const mismatches: Mismatch[] = [];
      const closed = expected.filter((e) => e.status !== 'NEW');
      // Tempo answers a trace by id from the ingester at once; give it a shared grace period to show
      // each closed change's final root (its end at Gerrit's last close), then compare what is there.
      const deadline = Date.now() + 30_000;
      const traces = new Map<number, RawSpan[]>();
      for (const e of closed) {
        const traceId = traceIdOf(serverId, e.number);
        const finalRoot = (spans: RawSpan[]) =>
          spans.some((x) => x.name === 'change' && Math.abs(x.endMs - (e.closedMs ?? 0)) <= 2000);
        const spans = await waitFor(
          `change ${e.number}'s final root span`,
          async () => {
            const got = await readTrace(traceId);
            return finalRoot(got) ? got : undefined;
          },
          Math.max(0, deadline - Date.now()),
          500,
        ).catch(() => readTrace(traceId));
        traces.set(e.number, spans);
      }
      for (const e of closed) {
        const name = labelOf(e.number);
        const spans = traces.get(e.number) ?? [];
        const roots = spans.filter((x) => x.name === 'change').sort((a, b) => a.endMs - b.endMs);
        const root = roots[roots.length - 1];
        let n = 0;
        if (!root) {
          mismatches.push({
            subject: name,
            source: 'tempo',
            field: 'root span',
            expected: 'present',
            actual: 'absent',
          });
          n += 1;
        } else {
          const a = root.attributes;
          n += compareFigures(
            mismatches,
            name,
            `tempo root${roots.length > 1 ? ` (latest of ${roots.length})` : ''}`,
            {
              'gerrit.change.status': e.status,
              'gerrit.patchset.count': e.patchSets,
              'gerrit.review.time_to_first_review_ms': e.timeToFirstReviewMs,
              'gerrit.review.rounds': e.rounds,
              'gerrit.change_id': e.changeId,
              // Read by trace id, the list attribute is right on every Tempo; the JSON string is
              // what the list reads from a search of many changes: both must be Gerrit's set.
              'gerrit.reviewers': e.reviewers.length > 0 ? show(e.reviewers) : undefined,
              'gerrit.reviewers.json': JSON.stringify(e.reviewers),
            },
            {
              ...a,
              'gerrit.reviewers': Array.isArray(a['gerrit.reviewers']) ? show(a['gerrit.reviewers']) : undefined,
            },
          );
        }
        // A change abandoned and restored late keeps the root of its abandon beside its final one; any
        // other closed change has one root (a quick restore must not leave an abandoned root behind).
        const lateRestored = byNumber(e.number)?.id === '8';
        n += compareFigures(
          mismatches,
          name,
          'tempo trace',
          { 'change spans': lateRestored ? 2 : 1 },
          {
            'change spans': roots.length,
          },
        );
        const ids = new Set(spans.map((x) => x.spanId));
        const orphans = spans.filter((x) => x.parentSpanId !== undefined && !ids.has(x.parentSpanId));
        const noChangeId = spans.filter((x) => x.attributes['vcs.change.id'] !== String(e.number));
        const noProject = spans.filter((x) => x.attributes['gerrit.project'] !== e.project);
        const names = (xs: RawSpan[]) => [...new Set(xs.map((x) => x.name))].sort().join(',');
        for (const [field, bad] of [
          ['spans whose parent is not in the trace', orphans],
          ['spans without vcs.change.id = number', noChangeId],
          ['spans without gerrit.project', noProject],
        ] as const) {
          if (bad.length > 0) {
            mismatches.push({
              subject: name,
              source: 'tempo trace',
              field,
              expected: 0,
              actual: `${bad.length} of ${spans.length} (${names(bad)})`,
            });
            n += 1;
          }
        }
        say(
          `ground-truth tempo ${name}: ${roots.length} change span(s), latest ${root ? `${show(root.attributes['gerrit.change.status'])}, patchSets ${show(root.attributes['gerrit.patchset.count'])}, ttfr ${show(root.attributes['gerrit.review.time_to_first_review_ms'])}, rounds ${show(root.attributes['gerrit.review.rounds'])}` : 'absent'}, ${spans.length} spans: ${n === 0 ? 'match' : `${n} mismatch(es)`}`,
        );
      }

      const mergedWanted = expected.filter((e) => e.status === 'MERGED').map((e) => e.number);
      const traceql = `{ name = "change" && span.vcs.change.state = "merged" && span.gerrit.project = "${PROJECT}" }`;
      const found = await waitFor(
        'the merged search to find every merged change',
        async () => {
          const got = await searchChangeIds(traceql);
          return mergedWanted.every((n) => got.includes(n)) ? got : undefined;
        },
        Math.max(5_000, deadline - Date.now()),
        1000,
      ).catch(() => searchChangeIds(traceql));
      const restored = SCENARIOS.filter((s) => s.id === '7' || s.id === '8').map((s) => s.number);
      for (const n of mergedWanted) {
        if (!found.includes(n)) {
          mismatches.push({
            subject: labelOf(n),
            source: 'tempo search',
            field: traceql,
            expected: 'found',
            actual: 'missing',
          });
        }
      }
      for (const n of found.filter((x) => !mergedWanted.includes(x))) {
        mismatches.push({
          subject: labelOf(n),
          source: 'tempo search',
          field: traceql,
          expected: 'missing',
          actual: 'found',
        });
      }
      say(
        `ground-truth tempo search merged: ${show(mergedWanted)} (restored then merged: ${show(restored)}): ` +
          `${show(found) === show(mergedWanted) ? 'match' : `got ${show(found)}`}`,
      );
      finish('Tempo', mismatches);
    });
  },
);
