import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rng } from '../../server/demo/random.ts';
import { GerritServer, gerritReady } from '../support/gerrit.ts';
import { OtlpProxy } from '../support/otlp-proxy.ts';
import {
  CASTS,
  createProject,
  describe as describeSpan,
  runScenarios,
  TEMPLATES,
  type ScenarioRun,
} from '../support/review-scenarios.ts';
import { SidecarProcess, traceIdOf } from '../support/sidecar.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { readRawTrace, type RawSpan } from '../support/tempo-raw.ts';
import { TempoServer } from '../support/tempo.ts';
import { removeTestDir } from '../support/test-dirs.ts';
import { waitFor } from '../support/wait.ts';

// The fault suite (`npm run test:faults`): the real Gerrit, the real Tempo and the sidecar's CLI in
// its own process, with two loopback proxies the test drives: a TCP proxy between the sidecar and
// Gerrit's SSH port (cuts, half-open connections) and an OTLP proxy in front of Tempo's receiver
// that decodes every request and counts each span id it forwarded and each that Tempo
// acknowledged (refused connections, slow answers, lost answers). Review stories are driven
// through Gerrit's REST API while the faults happen; what each trace must hold is written out by
// hand per story (test/support/review-scenarios.ts), or, for the flood of the slow-consumer
// scenario, counted from Gerrit's own REST record. After each scenario the spans are counted at
// the proxy and in Tempo (each trace by id, and a TraceQL search), never by the sidecar's counters,
// and one line is printed: `<scenario>: expected N, found N, missing 0, duplicated 0`.

const work = mkdtempSync(join(tmpdir(), 'reviewtrace-faults-'));
let tempo: TempoServer;
let gerrit: GerritServer;
let ssh: TcpProxy;
let otlp: OtlpProxy;
let sidecar: SidecarProcess;
let serverId: string;
let starts = 0;
const report: string[] = [];
const STORIES = TEMPLATES.length * CASTS.length;
/**
 * The slow consumer's flood: about 10 MB of comment events, well beyond what a paused reader lets
 * Gerrit send (the SSH channel's window and buffer, about 4 MB with ssh2) plus Gerrit's own queue.
 */
const FLOOD_CHANGES = 12;
const FLOOD_COMMENTS = 60;

const seed = Number(process.env.REVIEWTRACE_FAULT_SEED ?? Date.now() % 1_000_000);
// Seeded (server/demo/random.ts), so a failing run can be replayed with REVIEWTRACE_FAULT_SEED.
const random = rng(seed);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function sidecarEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    REVIEWTRACE_DATABASE_PATH: join(work, 'sidecar.db'),
    REVIEWTRACE_TEMPO__OTLP_ENDPOINT: otlp.url,
    REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
    REVIEWTRACE_TEMPO__TIMEOUT_MS: '10000',
    REVIEWTRACE_GERRIT__HTTP__URL: gerrit.url,
    REVIEWTRACE_GERRIT__HTTP__USERNAME: 'admin',
    REVIEWTRACE_GERRIT__HTTP__PASSWORD: gerrit.accounts.admin.httpPassword,
    REVIEWTRACE_GERRIT__SSH__HOST: '127.0.0.1',
    REVIEWTRACE_GERRIT__SSH__PORT: String(ssh.port),
    REVIEWTRACE_GERRIT__SSH__USERNAME: 'admin',
    REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: gerrit.adminKeyPath,
    REVIEWTRACE_GERRIT__SSH__HOST_KEY__KNOWN_HOSTS_FILE: gerrit.knownHostsFor(ssh.port, join(work, 'known_hosts')),
    // A half-open connection is noticed within seconds, not the production default's minutes.
    REVIEWTRACE_GERRIT__SSH__KEEPALIVE_INTERVAL_MS: '1000',
    REVIEWTRACE_GERRIT__SSH__KEEPALIVE_COUNT_MAX: '2',
    REVIEWTRACE_GERRIT__SSH__WATCHDOG_MS: '3000',
    REVIEWTRACE_GERRIT__SSH__RECONNECT_INITIAL_MS: '200',
    REVIEWTRACE_GERRIT__SSH__RECONNECT_MAX_MS: '2000',
    REVIEWTRACE_MAPPING__BOT_ACCOUNTS: '["^ci-bot$"]',
    REVIEWTRACE_EXPORT__MAX_BACKOFF_MS: '2000',
    REVIEWTRACE_EXPORT__IDLE_MS: '200',
    REVIEWTRACE_EXPORT__READ_BACK_DELAY_MS: '2000',
    ...extra,
  };
}

async function startSidecar(extra: Record<string, string> = {}): Promise<SidecarProcess> {
  starts += 1;
  const started = await SidecarProcess.start([], sidecarEnv(extra), join(work, `sidecar-${starts}.log`));
  await started.ready(120_000);
  return started;
}

async function killSidecar(): Promise<void> {
  const exited = new Promise((r) => sidecar.process.child.once('exit', r));
  sidecar.process.child.kill('SIGKILL');
  await exited;
}

function logMessages(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => String((JSON.parse(l) as { msg?: string }).msg));
}

// --- counting -----------------------------------------------------------------------------------

/**
 * A run's expected descriptors. Two facts of a deleted change cannot be known after a cut, because
 * Gerrit keeps no record of a deleted change: who deleted it (when the reconcile, not the stream,
 * saw it go), and its patch set (when its creation fell in the cut and only the deletion came live).
 */
function expectedOf(run: ScenarioRun, spans: RawSpan[]): string[] {
  if (!run.deleted) {
    return run.expected;
  }
  const got = new Set(spans.map(describeSpan));
  return run.expected
    .map((e) => (e.startsWith('delete|') && got.has('delete|-|-|-') ? 'delete|-|-|-' : e))
    .filter((e) => !(e.startsWith('patchset|') && !got.has(e) && got.has('change|-|-|closed')));
}

/** Multiset difference: how many of `want` are in `got`, and how many of `got` are beyond `want`. */
function matchCounts(want: string[], got: string[]): { found: number; extra: number } {
  const left = new Map<string, number>();
  for (const w of want) {
    left.set(w, (left.get(w) ?? 0) + 1);
  }
  let found = 0;
  let extra = 0;
  for (const g of got) {
    const n = left.get(g) ?? 0;
    if (n > 0) {
      left.set(g, n - 1);
      found += 1;
    } else {
      extra += 1;
    }
  }
  return { found, extra };
}

const sortedJson = (xs: string[]) => JSON.stringify([...xs].sort());

/** How many rounds of steps runScenarios takes for `count` stories (its longest story). */
function roundsOf(count: number): number {
  let longest = 0;
  for (let i = 0; i < count; i += 1) {
    const cast = CASTS[Math.floor(i / TEMPLATES.length) % CASTS.length];
    longest = Math.max(longest, TEMPLATES[i % TEMPLATES.length].steps(cast).length);
  }
  return longest;
}

/** Before a scenario: the sidecar follows the stream again, after whatever the last one did. */
async function streamSettled(): Promise<void> {
  await sidecar.ready(120_000);
  await waitFor(
    'the sidecar connected to Gerrit',
    async () => ((await sidecar.metric('reviewtrace_gerrit_connected')) === 1 ? true : undefined),
    120_000,
  );
}

/** Waits until every run's trace in Tempo holds exactly its expected spans (or gives up and lets the count show why). */
async function settle(runs: ScenarioRun[], timeoutMs = 240_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const run of runs) {
    await waitFor(
      `change ${run.number} "${run.title}" to hold its expected spans`,
      async () => {
        const got = await readRawTrace(tempo.url, traceIdOf(serverId, run.number));
        return sortedJson(got.map(describeSpan)) === sortedJson(expectedOf(run, got)) ? true : undefined;
      },
      Math.max(1000, deadline - Date.now()),
      500,
    ).catch(() => undefined);
  }
  await waitFor('the outbox to drain', async () => ((await sidecar.outboxEmpty()) ? true : undefined), 120_000);
}

interface Count {
  found: number;
  duplicated: number;
}

/** Span sets of a TraceQL search over the suite's time range: matched spans per trace id. */
async function searchMatched(traceql: string): Promise<Map<string, number>> {
  const params = new URLSearchParams({
    q: traceql,
    start: String(Math.floor(suiteStartMs / 1000) - 3600),
    end: String(Math.ceil(Date.now() / 1000) + 120),
    limit: '5000',
    spss: '1',
  });
  const r = await fetch(`${tempo.url}/api/search?${params}`);
  assert.ok(r.ok, `Tempo search ${traceql}: HTTP ${r.status} ${await r.clone().text()}`);
  const body = (await r.json()) as {
    traces?: { traceID: string; spanSet?: { matched?: number }; spanSets?: { matched?: number }[] }[];
  };
  const out = new Map<string, number>();
  for (const t of body.traces ?? []) {
    const matched = (t.spanSets ?? (t.spanSet ? [t.spanSet] : [])).reduce((n, s) => n + (s.matched ?? 0), 0);
    out.set(t.traceID.padStart(32, '0'), matched);
  }
  return out;
}

/**
 * Found and doubled spans by a TraceQL search: Tempo's search sees recent spans some seconds after
 * the trace by id does, so it is asked again until it finds them all or half a minute passed.
 */
async function searchCount(
  traceql: string,
  expected: Map<string, string[]>,
  select: (traceId: string) => string = () => traceql,
): Promise<Count> {
  const total = [...expected.values()].reduce((n, e) => n + e.length, 0);
  let count: Count = { found: 0, duplicated: 0 };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answers = new Map<string, Map<string, number>>();
    count = { found: 0, duplicated: 0 };
    for (const [traceId, want] of expected) {
      const q = select(traceId);
      if (!answers.has(q)) {
        answers.set(q, await searchMatched(q));
      }
      const n = answers.get(q)?.get(traceId) ?? 0;
      count.found += Math.min(n, want.length);
      count.duplicated += Math.max(0, n - want.length);
    }
    if (count.found >= total || Date.now() > deadline) {
      return count;
    }
    await sleep(2000);
  }
}

const expectedByTrace = (runs: ScenarioRun[], spansOf: Map<string, RawSpan[]> = new Map()) =>
  new Map(
    runs.map((r) => {
      const traceId = traceIdOf(serverId, r.number);
      return [traceId, expectedOf(r, spansOf.get(traceId) ?? [])];
    }),
  );

/** The expected map, with each deleted change's descriptor as Tempo shows it (see expectedOf). */
async function expectations(runs: ScenarioRun[]): Promise<Map<string, string[]>> {
  const spans = new Map<string, RawSpan[]>();
  for (const r of runs.filter((x) => x.deleted)) {
    const traceId = traceIdOf(serverId, r.number);
    spans.set(traceId, await readRawTrace(tempo.url, traceId));
  }
  return expectedByTrace(runs, spans);
}

let suiteStartMs = Date.now();

describe('fault suite: nothing lost, nothing doubled (real Gerrit, real Tempo)', { timeout: 1_500_000 }, () => {
  before(async () => {
    suiteStartMs = Date.now();
    process.stdout.write(`fault suite seed ${seed} (REVIEWTRACE_FAULT_SEED=${seed} replays it)\n`);
    [tempo, gerrit] = await Promise.all([
      TempoServer.start(join(work, 'tempo')),
      GerritServer.start(join(work, 'gerrit')),
    ]);
    await gerritReady(gerrit.as('admin'));
    serverId = new URL(gerrit.url).hostname;
    ssh = await TcpProxy.start(gerrit.sshPort);
    otlp = await OtlpProxy.start(tempo.otlpEndpoint);
    sidecar = await startSidecar();
  });

  after(async () => {
    if (report.length > 0) {
      process.stdout.write(`\n${report.join('\n')}\n`);
    }
    await sidecar?.stop();
    await ssh?.close();
    await otlp?.close();
    await Promise.all([tempo?.stop(), gerrit?.stop()]);
    removeTestDir(work);
  });

  it('ssh-cuts: 30 random SSH cuts, some half-open, during 3 minutes of reviews on 100+ changes', async () => {
    const project = 'faults-ssh-cuts';
    await createProject(gerrit, project);
    await streamSettled();
    const reconnectsBefore = await sidecar.metric('reviewtrace_gerrit_reconnects_total');
    // 30 cuts at random moments of the first 170 s; every fifth one half-open. The reviews are paced
    // to go on for 180 s, so every cut falls among them and the last steps run on a settled stream.
    const cutTimes = Array.from({ length: 30 }, () => 5_000 + random() * 165_000).sort((a, b) => a - b);
    const startedAt = Date.now();
    const cutter = (async () => {
      for (const [i, at] of cutTimes.entries()) {
        await sleep(Math.max(0, startedAt + at - Date.now()));
        // A cut must meet a live connection: the sidecar noticed the one before and reconnected.
        await waitFor(
          'the sidecar noticed the last cut and reconnected',
          async () =>
            (await sidecar.metric('reviewtrace_gerrit_reconnects_total')) - reconnectsBefore >= i &&
            (await sidecar.metric('reviewtrace_gerrit_connected')) === 1
              ? true
              : undefined,
          60_000,
          100,
        );
        if (i % 5 === 4) {
          ssh.stallAll();
        } else {
          ssh.cutAll();
        }
      }
    })();
    const rounds = roundsOf(5 * STORIES);
    const runs = await runScenarios(gerrit, project, 5 * STORIES, async (round) => {
      await sleep(Math.max(0, startedAt + ((round + 1) * 180_000) / rounds - Date.now()));
    });
    const cutsWhileReviewing = ssh.cuts + ssh.stalls;
    await cutter;
    assert.ok(runs.length >= 100, `${runs.length} changes`);
    assert.equal(cutsWhileReviewing, 30, 'every cut came while changes were being reviewed');
    await sidecar.ready(120_000);
    await settle(runs);
    assert.ok(
      (await sidecar.metric('reviewtrace_gerrit_reconnects_total')) - reconnectsBefore >= 30,
      'the sidecar noticed every cut',
    );
    await account('ssh-cuts', project, await expectations(runs));
  });

  it('tempo-outage: Tempo unreachable for 60 s, then slow (5 s a request) for 30 s, then back', async () => {
    const project = 'faults-tempo-outage';
    await createProject(gerrit, project);
    await streamSettled();
    otlp.refuse();
    const faults = (async () => {
      await sleep(60_000);
      await otlp.accept();
      otlp.setDelay(5_000);
      await sleep(30_000);
      otlp.setDelay(0);
    })();
    const startedAt = Date.now();
    const runs = await runScenarios(gerrit, project, STORIES, async () => {
      // Pace the stories across the outage and the slow phase.
      await sleep(Math.max(0, Math.min(15_000, 80_000 - (Date.now() - startedAt))));
    });
    await faults;
    await settle(runs);
    await account('tempo-outage', project, await expectations(runs));
  });

  it('lost-answers: Tempo accepts a request and the proxy drops the answer, at random, several times', async () => {
    const project = 'faults-lost-answers';
    await createProject(gerrit, project);
    await streamSettled();
    const withheldBefore = otlp.answersWithheld;
    otlp.dropAnswers(0.3, random);
    const runs = await runScenarios(gerrit, project, STORIES, () => sleep(1500));
    await waitFor(
      'answers dropped at least 3 times',
      () => (otlp.answersWithheld - withheldBefore >= 3 ? true : undefined),
      60_000,
    );
    otlp.dropAnswers(0);
    await settle(runs);
    await account('lost-answers', project, await expectations(runs));
  });

  it('sigkill: the sidecar killed with SIGKILL three times mid-stream, once between send and acknowledge', async () => {
    const project = 'faults-sigkill';
    await createProject(gerrit, project);
    await streamSettled();
    let kills = 0;
    let recoveredLog: string | undefined;
    const killer = async () => {
      kills += 1;
      if (kills === 2) {
        // Between send and acknowledge: Tempo has the batch, its answer never comes back.
        const withheld = otlp.answersWithheld;
        otlp.hangAnswers(true);
        await waitFor('a request Tempo accepted whose answer is held', () =>
          otlp.answersWithheld > withheld ? true : undefined,
        );
        await killSidecar();
        otlp.hangAnswers(false);
        sidecar = await startSidecar();
        recoveredLog = sidecar.process.logPath;
        return;
      }
      await killSidecar();
      sidecar = await startSidecar();
    };
    const runs = await runScenarios(gerrit, project, STORIES, async (round) => {
      if (round === 0 || round === 2 || round === 4) {
        await killer();
      }
    });
    assert.equal(kills, 3);
    await settle(runs);
    assert.ok(recoveredLog);
    assert.ok(
      logMessages(recoveredLog).some((m) => m.startsWith('Recovering from an unclean stop')),
      `the restart after the kill between send and acknowledge says it recovered (${recoveredLog})`,
    );
    await account('sigkill', project, await expectations(runs));
  });

  it('gerrit-restart: Gerrit restarted while the sidecar runs', async () => {
    const project = 'faults-gerrit-restart';
    await createProject(gerrit, project);
    await streamSettled();
    const runs = await runScenarios(gerrit, project, STORIES, async (round) => {
      if (round === 1) {
        await gerrit.restart();
      }
    });
    await sidecar.ready(120_000);
    await settle(runs);
    await account('gerrit-restart', project, await expectations(runs));
  });

  it('slow-consumer: the sidecar stops reading until Gerrit sends dropped-output', async () => {
    const project = 'faults-slow-consumer';
    await createProject(gerrit, project);
    await streamSettled();
    // A small outbox bound, and Tempo unreachable: the outbox fills, the sidecar stops reading the
    // stream (back-pressure), and Gerrit's per-connection queue overflows under a flood of large
    // comments until it drops events and says so.
    await sidecar.stop();
    sidecar = await startSidecar({ REVIEWTRACE_EXPORT__MAX_OUTBOX_SPANS: '100' });
    const droppedBefore = await sidecar.metric('reviewtrace_gerrit_events_total', { type: 'dropped-output' });
    otlp.refuse();
    const runs = await runScenarios(gerrit, project, STORIES);
    const flood: number[] = [];
    for (let i = 0; i < FLOOD_CHANGES; i += 1) {
      const created = await gerrit.as('alice').request<{ _number: number }>('POST', '/changes/', {
        project,
        branch: 'master',
        subject: `flood ${i}`,
      });
      flood.push(created._number);
    }
    const text = 'A long review note. '.repeat(700); // 14 KB, under Gerrit's 16 KB comment limit
    const posts: Promise<unknown>[] = [];
    for (let i = 0; i < FLOOD_CHANGES * FLOOD_COMMENTS; i += 1) {
      const n = flood[i % flood.length];
      posts.push(
        gerrit.as('bob').request('POST', `/changes/${n}/revisions/current/review`, { message: `${i}: ${text}` }),
      );
      if (posts.length === 4) {
        await Promise.all(posts.splice(0));
      }
    }
    await Promise.all(posts);
    await otlp.accept();
    await waitFor(
      'Gerrit to say it dropped events (dropped-output)',
      async () =>
        (await sidecar.metric('reviewtrace_gerrit_events_total', { type: 'dropped-output' })) > droppedBefore
          ? true
          : undefined,
      180_000,
      1000,
    );
    await settle(runs);
    // The flood: every comment Gerrit recorded (its REST record) is one comment span.
    const expected = await expectations(runs);
    for (const n of flood) {
      const detail = await gerrit
        .as('admin')
        .request<{ messages: { author?: { username?: string } }[] }>(
          'GET',
          `/changes/${n}?o=MESSAGES&o=DETAILED_ACCOUNTS`,
        );
      const comments = detail.messages.filter((m) => m.author?.username === 'bob').length;
      assert.equal(comments, FLOOD_COMMENTS, `Gerrit recorded bob's ${FLOOD_COMMENTS} comments on change ${n}`);
      expected.set(traceIdOf(serverId, n), Array<string>(comments).fill('comment|ps1|bob|-'));
    }
    await waitFor(
      'every flood comment in Tempo',
      async () => {
        for (const n of flood) {
          const spans = await readRawTrace(tempo.url, traceIdOf(serverId, n));
          if (spans.filter((s) => s.name === 'comment').length < FLOOD_COMMENTS) {
            return undefined;
          }
        }
        return true;
      },
      240_000,
      1000,
    );
    // Of the flood changes only the comment spans are counted (their expected set comes from
    // Gerrit's record of the comments); the search scopes to comments for them.
    await account('slow-consumer', project, expected, new Set(flood.map((n) => traceIdOf(serverId, n))));
  });
});

/**
 * Counts a scenario's spans three ways and prints its line. `expected` lists, per trace id, the
 * descriptors it must hold; `project` scopes the search; of the traces in `commentsOnly` (the
 * slow consumer's flood) only the comment spans are counted.
 */
async function account(
  scenario: string,
  project: string,
  expected: Map<string, string[]>,
  commentsOnly: ReadonlySet<string> = new Set(),
): Promise<void> {
  const total = [...expected.values()].reduce((n, e) => n + e.length, 0);
  const proxy: Count = { found: 0, duplicated: 0 };
  const byId: Count = { found: 0, duplicated: 0 };
  const detail: string[] = [];
  const spansOf = new Map<string, RawSpan[]>();
  for (const traceId of expected.keys()) {
    const spans = (await readRawTrace(tempo.url, traceId)).filter(
      (s) => !commentsOnly.has(traceId) || s.name === 'comment',
    );
    spansOf.set(traceId, spans);
  }
  const counted = new Set([...spansOf.values()].flat().map((s) => s.spanId));
  for (const [spanId, acks] of otlp.acknowledged) {
    const traceId = otlp.traceIds.get(spanId) ?? '';
    if (expected.has(traceId) && (!commentsOnly.has(traceId) || counted.has(spanId))) {
      proxy.found += 1;
      proxy.duplicated += acks - 1;
    }
  }
  for (const [traceId, want] of expected) {
    const spans = spansOf.get(traceId) ?? [];
    const got = spans.map(describeSpan);
    const { found, extra } = matchCounts(want, got);
    byId.found += found;
    byId.duplicated += extra + (spans.length - new Set(spans.map((s) => s.spanId)).size);
    if (found < want.length || extra > 0) {
      detail.push(`${traceId}: want ${sortedJson(want)}, got ${sortedJson(got)}`);
    }
  }
  const all = `{ span.gerrit.project = "${project}" }`;
  const comments = `{ span.gerrit.project = "${project}" && name = "comment" }`;
  const search = await searchCount(all, expected, (traceId) => (commentsOnly.has(traceId) ? comments : all));
  // The search finds doubles (a trace by id merges them) but not every span: Tempo 2.8 answers a
  // trace kept in several blocks with the matches of some of them (docs/testing.md).
  const found = Math.min(proxy.found, byId.found);
  const duplicated = Math.max(proxy.duplicated, byId.duplicated, search.duplicated);
  const line =
    `${scenario}: expected ${total}, found ${found}, missing ${total - found}, duplicated ${duplicated}` +
    ` (proxy ${proxy.found}/${proxy.duplicated}, Tempo by id ${byId.found}/${byId.duplicated}, search ${search.found}/${search.duplicated}; found/duplicated)`;
  report.push(line);
  process.stdout.write(`${line}\n`);
  assert.deepEqual(otlp.errors, [], 'every OTLP request decoded');
  assert.equal(total - found, 0, `${line}\n${detail.slice(0, 5).join('\n')}`);
  assert.equal(duplicated, 0, `${line}\n${detail.slice(0, 5).join('\n')}`);
}
