import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GerritServer, gerritReady } from '../support/gerrit.ts';
import {
  CASTS,
  TEMPLATES,
  createProject,
  describe as describeSpan,
  runScenarios,
  type ScenarioRun,
} from '../support/review-scenarios.ts';
import { SidecarProcess, spanIdOf, traceIdOf } from '../support/sidecar.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { TempoReader } from '../../server/query/tempo-reader.ts';
import { TempoServer, type TempoSpan } from '../support/tempo.ts';
import { removeTestDir } from '../support/test-dirs.ts';
import { waitFor } from '../support/wait.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GerritRest } from '../../server/gerrit/rest-client.ts';
import { Ingestor } from '../../server/ingest/ingestor.ts';
import { Reconciler } from '../../server/ingest/reconciler.ts';
import { ChangeMapper } from '../../server/mapping/change-mapper.ts';
import { createLogger } from '../../server/observability/logger.ts';
import { SidecarMetrics } from '../../server/observability/metrics.ts';
import { IngestStore } from '../../server/store/ingest-store.ts';
import type { ApiError, ChangeDetailResponse, ChangeListResponse } from '../../src/review-model/code-review-api.ts';

// Gerrit → sidecar → Tempo with the real programs: Gerrit 3.10 driven over REST, the sidecar's CLI
// in its own process following stream-events over SSH (through a TCP proxy; the fault suite in
// test/faults cuts such connections),
// and Tempo read back through its HTTP API.

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'reviewtrace-it-'));
let tempo: TempoServer;
let gerrit: GerritServer;
let proxy: TcpProxy;
let sidecar: SidecarProcess;
let serverId: string;
let liveRuns: ScenarioRun[] = [];

const CHANGE_LEVEL = new Set([
  'patchset',
  'topic',
  'hashtags',
  'wip',
  'private',
  'restore',
  'abandon',
  'submit',
  'delete',
]);

function sidecarEnv(database: string, otlpEndpoint: string): Record<string, string> {
  return {
    REVIEWTRACE_DATABASE_PATH: database,
    REVIEWTRACE_TEMPO__OTLP_ENDPOINT: otlpEndpoint,
    REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
    REVIEWTRACE_GERRIT__HTTP__URL: gerrit.url,
    REVIEWTRACE_GERRIT__HTTP__USERNAME: 'admin',
    REVIEWTRACE_GERRIT__HTTP__PASSWORD: gerrit.accounts.admin.httpPassword,
    REVIEWTRACE_MAPPING__BOT_ACCOUNTS: '["^ci-bot$"]',
    REVIEWTRACE_EXPORT__MAX_BACKOFF_MS: '2000',
    REVIEWTRACE_EXPORT__IDLE_MS: '200',
  };
}

async function traceOf(server: TempoServer, run: ScenarioRun): Promise<TempoSpan[]> {
  return server.trace(traceIdOf(serverId, run.number));
}

const sorted = (xs: string[]) => [...xs].sort();

/** Waits until every run's trace holds its expected spans, then checks them exactly. */
async function assertTraces(server: TempoServer, runs: ScenarioRun[]): Promise<void> {
  // Tempo can briefly answer an incomplete (even empty) trace while it flushes a block: read until
  // the trace is what it must be, then check it once more in detail.
  const traces = new Map<number, TempoSpan[]>();
  for (const run of runs) {
    const spans = await waitFor(
      `change ${run.number} "${run.title}" to hold exactly its expected spans`,
      async () => {
        const got = await traceOf(server, run);
        return JSON.stringify(sorted(got.map(describeSpan))) === JSON.stringify(sorted(run.expected)) ? got : undefined;
      },
      180_000,
      500,
    ).catch(async (err: Error) => {
      const got = await traceOf(server, run);
      assert.deepEqual(sorted(got.map(describeSpan)), sorted(run.expected), `${err.message}`);
      throw err;
    });
    traces.set(run.number, spans);
  }
  for (const run of runs) {
    const spans = traces.get(run.number) ?? [];
    const label = `change ${run.number} "${run.title}" (${run.cast.owner})`;
    assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, `${label}: no span id twice`);
    const root = spanIdOf(serverId, run.number, 'change');
    for (const s of spans) {
      assert.ok(s.endMs > s.startMs, `${label}: ${s.name} has a duration`);
      if (s.name === 'change') {
        assert.equal(s.spanId, root);
        assert.equal(s.parentSpanId, undefined);
      } else if (CHANGE_LEVEL.has(s.name) || s.attributes['gerrit.patchset.number'] === undefined) {
        assert.equal(s.parentSpanId, root, `${label}: ${s.name} hangs off the change`);
      } else {
        const ps = String(s.attributes['gerrit.patchset.number']);
        assert.equal(
          s.parentSpanId,
          spanIdOf(serverId, run.number, `patchset/${ps}`),
          `${label}: ${s.name} hangs off patch set ${ps}`,
        );
      }
    }
  }
}

interface RestHistory {
  created: string;
  revisions: Record<string, { _number: number; created: string }>;
  messages: {
    date: string;
    tag?: string;
    _revision_number?: number;
    author?: { username?: string };
    real_author?: { username?: string };
  }[];
}

const gerritMs = (t: string) => Date.parse(`${t.replace(' ', 'T').slice(0, 23)}Z`);

/** Span times against Gerrit's own record of the same facts (it stores seconds; the stream may say +1 s). */
async function assertTimes(runs: ScenarioRun[]): Promise<void> {
  for (const run of runs.filter((r) => !r.deleted)) {
    const h = await gerrit
      .as('admin')
      .request<RestHistory>('GET', `/changes/${run.number}?o=ALL_REVISIONS&o=MESSAGES&o=DETAILED_ACCOUNTS`);
    const spans = await traceOf(tempo, run);
    const near = (ms: number, t: string, what: string) =>
      assert.ok(
        Math.abs(ms - gerritMs(t)) <= 1000,
        `change ${run.number}: ${what} at ${new Date(ms).toISOString()}, Gerrit says ${t}`,
      );
    const revision = (n: number) => Object.values(h.revisions).find((r) => r._number === n);
    for (const s of spans) {
      if (s.name === 'change') {
        near(s.startMs, h.created, 'change created');
        // The final close: a change restored before its abandon was final has one root, ending at its merge.
        const close = h.messages.findLast(
          (m) => m.tag === 'autogenerated:gerrit:merged' || m.tag === 'autogenerated:gerrit:abandon',
        );
        assert.ok(close);
        near(s.endMs, close.date, 'change closed');
      }
      if (s.name === 'patchset') {
        const rev = revision(Number(s.attributes['gerrit.patchset.number']));
        assert.ok(rev);
        near(s.startMs, rev.created, 'patch set uploaded');
      }
      if (s.name === 'vote' || s.name === 'comment') {
        const who = s.attributes['gerrit.actor'];
        const ps = s.attributes['gerrit.patchset.number'];
        const message = h.messages.find(
          (m) =>
            (m.real_author ?? m.author)?.username === who &&
            m._revision_number === ps &&
            Math.abs(gerritMs(m.date) - s.startMs) <= 1000,
        );
        assert.ok(message, `change ${run.number}: ${describeSpan(s)} matches a message of ${String(who)} at that time`);
      }
    }
  }
}

/** JSON log lines of a process's log file with the given message. */
function logLines(path: string, msg: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg);
}

describe('Gerrit → sidecar → Tempo (real Gerrit, real Tempo)', { timeout: 1_500_000 }, () => {
  before(async () => {
    [tempo, gerrit] = await Promise.all([
      TempoServer.start(join(work, 'tempo')),
      GerritServer.start(join(work, 'gerrit')),
    ]);
    await gerritReady(gerrit.as('admin'));
    serverId = new URL(gerrit.url).hostname;
    proxy = await TcpProxy.start(gerrit.sshPort);
    await createProject(gerrit, 'live-reviews');
    sidecar = await SidecarProcess.start(
      [],
      {
        ...sidecarEnv(join(work, 'sidecar.db'), tempo.otlpEndpoint),
        REVIEWTRACE_GERRIT__SSH__HOST: '127.0.0.1',
        REVIEWTRACE_GERRIT__SSH__PORT: String(proxy.port),
        REVIEWTRACE_GERRIT__SSH__USERNAME: 'admin',
        REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: gerrit.adminKeyPath,
        REVIEWTRACE_GERRIT__SSH__HOST_KEY__KNOWN_HOSTS_FILE: gerrit.knownHostsFor(
          proxy.port,
          join(work, 'known_hosts'),
        ),
        REVIEWTRACE_GERRIT__SSH__RECONNECT_INITIAL_MS: '200',
        REVIEWTRACE_GERRIT__SSH__RECONNECT_MAX_MS: '2000',
      },
      join(work, 'sidecar.log'),
    );
    await sidecar.ready();
  });

  after(async () => {
    await sidecar?.stop();
    await proxy?.close();
    await Promise.all([tempo?.stop(), gerrit?.stop()]);
    removeTestDir(work);
  });

  it('exports exactly the expected spans for 24 reviewed changes, once each', async () => {
    const exportedBefore = await sidecar.metric('reviewtrace_spans_exported_total');
    liveRuns = await runScenarios(gerrit, 'live-reviews', TEMPLATES.length * CASTS.length);
    assert.equal(liveRuns.length, 24);
    await assertTraces(tempo, liveRuns);
    await assertTimes(liveRuns);
    await waitFor('outbox drained', async () => ((await sidecar.outboxEmpty()) ? true : undefined));
    const expectedTotal = liveRuns.reduce((n, r) => n + r.expected.length, 0);
    assert.equal(
      (await sidecar.metric('reviewtrace_spans_exported_total')) - exportedBefore,
      expectedTotal,
      'Tempo was sent each span exactly once',
    );
    assert.equal(await sidecar.metric('reviewtrace_gerrit_bad_lines_total', { reason: 'malformed' }), 0);
    assert.ok((await sidecar.metric('reviewtrace_gerrit_events_total', { type: 'comment-added' })) > 24);
  });

  it('the query API lists, filters and explains the reviewed changes', async () => {
    const api = (path: string, token: string | null = sidecar.apiToken) =>
      fetch(`${sidecar.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    assert.equal((await api('/api/changes?from=0&to=1', null)).status, 401);
    const refused = await api('/api/changes?from=0&to=1', 'wrong-token-0123456789');
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as ApiError).code, 'unauthorized');
    const bad = await api('/api/changes?from=0&to=1&sort=nonsense');
    assert.equal(bad.status, 400);
    const badBody = (await bad.json()) as ApiError;
    assert.match(badBody.error, /sort/);
    assert.equal(badBody.code, 'bad_request');
    const now = Date.now();
    const range = `from=${now - 3 * 3_600_000}&to=${now + 60_000}`;
    const list = await waitFor('every live change listed', async () => {
      const body = (await (
        await api(`/api/changes?${range}&project=live-reviews&includeBots=true&limit=1000`)
      ).json()) as ChangeListResponse;
      return body.total === liveRuns.length ? body : undefined;
    });
    assert.equal(list.sources.tempo, 'ok');
    assert.ok(Math.abs(list.asOfMs - Date.now()) < 60_000, 'asOfMs is the sidecar’s clock when it answered');
    const byNumber = new Map(list.changes.map((c) => [c.number, c]));
    const expectedStatus = (r: ScenarioRun) =>
      r.deleted ? 'DELETED' : r.open ? 'NEW' : r.title.startsWith('abandoned after') ? 'ABANDONED' : 'MERGED';
    for (const run of liveRuns) {
      const c = byNumber.get(run.number);
      assert.ok(c, `change ${run.number} listed`);
      assert.equal(c.status, expectedStatus(run), `change ${run.number} "${run.title}"`);
      assert.equal(c.source, run.open || run.abandoned ? 'overlay' : 'tempo');
      assert.equal(c.owner, run.cast.owner);
      assert.equal(c.traceId, traceIdOf(serverId, run.number));
    }
    assert.deepEqual([list.stats.count, list.stats.open, list.stats.merged, list.stats.abandoned], [24, 9, 9, 3]);
    assert.ok((list.stats.timeToMerge.medianMs ?? 0) > 0);
    const bobs = (await (
      await api(`/api/changes?${range}&project=live-reviews&reviewer=bob&status=merged`)
    ).json()) as ChangeListResponse;
    assert.ok(bobs.total > 0 && bobs.changes.every((c) => c.reviewers.includes('bob') && c.status === 'MERGED'));
    const page = (await (
      await api(`/api/changes?${range}&project=live-reviews&sort=number&dir=asc&offset=5&limit=5`)
    ).json()) as ChangeListResponse;
    assert.deepEqual(
      page.changes.map((c) => c.number),
      [...list.changes.map((c) => c.number)].sort((a, b) => a - b).slice(5, 10),
    );

    const twoRounds = liveRuns.find((r) => r.title.startsWith('two rounds'));
    assert.ok(twoRounds);
    const detail = (await (await api(`/api/changes/${twoRounds.number}`)).json()) as ChangeDetailResponse;
    const { first, second } = twoRounds.cast;
    const byWho = [first, second].sort();
    assert.deepEqual(
      detail.timeline.lanes.map((l) => l.id),
      [
        'change',
        'patchset-1',
        'ci-1-ci-bot',
        ...byWho.map((w) => `review-1-${w}`),
        'patchset-2',
        'ci-2-ci-bot',
        ...byWho.map((w) => `review-2-${w}`),
      ],
    );
    assert.equal(detail.timeline.markers.filter((m) => m.kind === 'vote').length, 5);
    assert.ok(
      detail.timeline.waiting.some((w) => w.on === 'ci') && detail.timeline.waiting.some((w) => w.on === 'reviewers'),
    );
    const ciOnly = liveRuns.find((r) => r.title.startsWith('only CI'));
    assert.ok(ciOnly);
    const open = (await (await api(`/api/changes/${ciOnly.number}`)).json()) as ChangeDetailResponse;
    assert.deepEqual(
      open.timeline.lanes.map((l) => [l.id, l.bars[0].open]),
      [
        ['change', true],
        ['patchset-1', true],
        ['ci-1-ci-bot', false],
      ],
    );
    assert.equal((await api('/api/changes/999999')).status, 404);
  });

  it('a backfill into an empty database and another Tempo gives the same span ids', async () => {
    const other = await TempoServer.start(join(work, 'tempo-backfill'));
    try {
      const backfill = await SidecarProcess.start(
        ['backfill', '--since', '2h', '--export-timeout', '120'],
        sidecarEnv(join(work, 'backfill.db'), other.otlpEndpoint),
        join(work, 'backfill.log'),
      );
      await waitFor('backfill to finish', () => (backfill.process.running ? undefined : true), 300_000, 500);
      assert.equal(backfill.process.child.exitCode, 0, `backfill failed; see ${backfill.process.logPath}`);
      for (const run of liveRuns.filter((r) => !r.deleted)) {
        const ids = async (server: TempoServer) =>
          sorted((await traceOf(server, run)).map((s) => `${s.spanId} ${describeSpan(s)}`));
        const live = await ids(tempo);
        const backfilled = await waitFor(
          `backfilled trace of change ${run.number} to equal the live one`,
          async () => {
            const got = await ids(other);
            return JSON.stringify(got) === JSON.stringify(live) ? got : undefined;
          },
          60_000,
          500,
        ).catch(async () => ids(other));
        assert.deepEqual(backfilled, live, `change ${run.number} "${run.title}": backfill = live`);
      }
    } finally {
      await other.stop();
    }
  });

  it('a backfill beside the running sidecar, on its database, adds nothing', async () => {
    const exportedBefore = await sidecar.metric('reviewtrace_spans_exported_total');
    const backfill = await SidecarProcess.start(
      ['backfill', '--since', '2h'],
      sidecarEnv(join(work, 'sidecar.db'), tempo.otlpEndpoint),
      join(work, 'backfill-same-db.log'),
    );
    await waitFor('backfill to finish', () => (backfill.process.running ? undefined : true), 300_000, 500);
    assert.equal(backfill.process.child.exitCode, 0);
    const done = logLines(backfill.process.logPath, 'Backfill read all history; exporting');
    assert.equal(done.length, 1);
    assert.ok(
      Number(done[0].changes) >= liveRuns.filter((r) => !r.deleted).length,
      'it walked every change (REST has no deleted ones)',
    );
    assert.equal(done[0].newSpans, 0, 'every span it produced was already in the ledger');
    assert.equal(await sidecar.metric('reviewtrace_spans_exported_total'), exportedBefore);
  });

  it('doctor says all is well, and refuses a host key that does not match', async () => {
    const env = {
      ...sidecarEnv(join(work, 'doctor.db'), tempo.otlpEndpoint),
      REVIEWTRACE_GERRIT__SSH__HOST: '127.0.0.1',
      REVIEWTRACE_GERRIT__SSH__PORT: String(gerrit.sshPort),
      REVIEWTRACE_GERRIT__SSH__USERNAME: 'admin',
      REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: gerrit.adminKeyPath,
    };
    const doctor = async (extra: Record<string, string>) => {
      const p = await SidecarProcess.start(['doctor', '--json'], { ...env, ...extra }, join(work, 'doctor.log'));
      await waitFor('doctor to finish', () => (p.process.running ? undefined : true), 60_000);
      const lines = readFileSync(p.process.logPath, 'utf8').trim().split('\n');
      return {
        code: p.process.child.exitCode,
        report: JSON.parse(lines[lines.length - 1]) as {
          ok: boolean;
          checks: { name: string; ok: boolean; detail: string }[];
        },
      };
    };
    const good = await doctor({
      REVIEWTRACE_GERRIT__SSH__HOST_KEY__KNOWN_HOSTS_FILE: gerrit.knownHostsFor(
        gerrit.sshPort,
        join(work, 'known_hosts_direct'),
      ),
    });
    assert.equal(good.code, 0, JSON.stringify(good.report));
    assert.deepEqual(
      good.report.checks.map((c) => c.name),
      [
        'Gerrit SSH reachable',
        'Gerrit host key and login',
        'Gerrit version',
        'Stream Events capability',
        'Gerrit REST',
        'Tempo OTLP endpoint',
        'Tempo query API',
      ],
    );
    const wrongKey = await doctor({ REVIEWTRACE_GERRIT__SSH__HOST_KEY__FINGERPRINT: `SHA256:${'A'.repeat(43)}` });
    assert.equal(wrongKey.code, 1);
    const hostKey = wrongKey.report.checks.find((c) => c.name === 'Gerrit host key and login');
    assert.equal(hostKey?.ok, false);
    assert.match(hostKey?.detail ?? '', /does not match the pinned gerrit.ssh.hostKey.fingerprint/);
  });

  it('logs in with a passphrase-protected key, and says so plainly when the passphrase is wrong', async () => {
    const key = join(work, 'protected_key');
    await run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      'correct horse battery',
      '-C',
      'reviewtrace-test',
      '-f',
      key,
    ]);
    await gerrit
      .as('admin')
      .request('POST', '/accounts/self/sshkeys', readFileSync(`${key}.pub`, 'utf8'), 'text/plain');
    const doctor = async (passphrase: string) => {
      const p = await SidecarProcess.start(
        ['doctor', '--json'],
        {
          ...sidecarEnv(join(work, 'doctor2.db'), tempo.otlpEndpoint),
          REVIEWTRACE_GERRIT__SSH__HOST: '127.0.0.1',
          REVIEWTRACE_GERRIT__SSH__PORT: String(gerrit.sshPort),
          REVIEWTRACE_GERRIT__SSH__USERNAME: 'admin',
          REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: key,
          REVIEWTRACE_GERRIT__SSH__PASSPHRASE: passphrase,
          REVIEWTRACE_GERRIT__SSH__HOST_KEY__KNOWN_HOSTS_FILE: gerrit.knownHostsFor(
            gerrit.sshPort,
            join(work, 'known_hosts_direct'),
          ),
        },
        join(work, `doctor-${passphrase.length}.log`),
      );
      await waitFor('doctor to finish', () => (p.process.running ? undefined : true), 60_000);
      const lines = readFileSync(p.process.logPath, 'utf8').trim().split('\n');
      return (
        JSON.parse(lines[lines.length - 1]) as { checks: { name: string; ok: boolean; detail: string }[] }
      ).checks.find((c) => c.name === 'Gerrit host key and login');
    };
    assert.equal((await doctor('correct horse battery'))?.ok, true);
    const wrong = await doctor('wrong');
    assert.equal(wrong?.ok, false);
    assert.match(wrong?.detail ?? '', /gerrit\.ssh\.privateKeyFile.*passphrase/);
  });

  it('a backfill interrupted after its first page resumes where it stopped', async () => {
    const log = createLogger('silent');
    const walk = async (db: string, interruptAfterFirstPage: boolean) => {
      const store = new IngestStore(join(work, db));
      const mapper = new ChangeMapper({
        serverId,
        botPatterns: [/^ci-bot$/],
        commentMaxChars: 1000,
        ciLabel: 'Verified',
      });
      const ingestor = new Ingestor(store, mapper, new SidecarMetrics({ defaultMetrics: false }), log);
      const rest = new GerritRest({
        url: gerrit.url,
        username: 'admin',
        password: gerrit.accounts.admin.httpPassword,
        timeoutMs: 30_000,
      });
      const reconciler = new Reconciler(rest, ingestor, store, log, 5, gerrit.url);
      const since = Date.now() - 3 * 3_600_000;
      const until = Date.now() + 60_000;
      let result;
      if (interruptAfterFirstPage) {
        const abort = new AbortController();
        const first = await reconciler.walk(since, until, {
          cursorKey: 'backfill:test',
          signal: abort.signal,
          onProgress: (p) => (p.changes > 0 ? abort.abort() : undefined),
        });
        assert.equal(first.changes, 5, 'stopped after one page of five');
        result = await reconciler.walk(since, until, { cursorKey: 'backfill:test' });
      } else {
        result = await reconciler.walk(since, until);
      }
      const ledger = store.ledgerSize();
      store.close();
      return { changes: result.changes, ledger };
    };
    const whole = await walk('whole.db', false);
    const resumed = await walk('resumed.db', true);
    assert.ok(whole.changes >= 21);
    assert.deepEqual(resumed, whole, 'the resumed walk saw every change once and produced the same spans');
  });

  it('the watchdog reconnects a connection that went silent', async () => {
    const silentProxy = await TcpProxy.start(gerrit.sshPort);
    const watched = await SidecarProcess.start(
      [],
      {
        ...sidecarEnv(join(work, 'watchdog.db'), tempo.otlpEndpoint),
        REVIEWTRACE_GERRIT__SSH__HOST: '127.0.0.1',
        REVIEWTRACE_GERRIT__SSH__PORT: String(silentProxy.port),
        REVIEWTRACE_GERRIT__SSH__USERNAME: 'admin',
        REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: gerrit.adminKeyPath,
        REVIEWTRACE_GERRIT__SSH__HOST_KEY__KNOWN_HOSTS_FILE: gerrit.knownHostsFor(
          silentProxy.port,
          join(work, 'known_hosts_watchdog'),
        ),
        // Keepalives would notice too; make the watchdog the first to act.
        REVIEWTRACE_GERRIT__SSH__KEEPALIVE_INTERVAL_MS: '600000',
        REVIEWTRACE_GERRIT__SSH__WATCHDOG_MS: '2000',
        REVIEWTRACE_GERRIT__SSH__RECONNECT_INITIAL_MS: '200',
        REVIEWTRACE_GERRIT__SSH__RECONNECT_MAX_MS: '1000',
      },
      join(work, 'watchdog.log'),
    );
    try {
      await watched.ready();
      silentProxy.freeze();
      await waitFor(
        'a watchdog reconnect',
        async () =>
          (await watched.metric('reviewtrace_gerrit_reconnects_total', { reason: 'watchdog' })) >= 1 ? true : undefined,
        30_000,
      );
      silentProxy.thaw();
      await watched.ready(30_000);
      assert.equal(await watched.metric('reviewtrace_gerrit_connected'), 1);
    } finally {
      await watched.stop();
      await silentProxy.close();
    }
  });

  it('demo --no-follow exports the bundled history to Tempo', async () => {
    const demo = await SidecarProcess.start(
      ['demo', '--no-follow', '--changes', '40'],
      { REVIEWTRACE_DATABASE_PATH: join(work, 'demo.db'), REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint },
      join(work, 'demo.log'),
    );
    await waitFor('demo to finish', () => (demo.process.running ? undefined : true), 180_000, 500);
    assert.equal(demo.process.child.exitCode, 0, `see ${demo.process.logPath}`);
    const loaded = logLines(demo.process.logPath, 'Demo history loaded');
    assert.equal(loaded.length, 1);
    assert.ok(Number(loaded[0].events) > 200);
    // Change 1 of the demo history is long closed: its whole trace is in Tempo.
    const spans = await waitFor('demo change 1 in Tempo', async () => {
      const t = await tempo.trace(traceIdOf('demo', 1));
      return t.some((x) => x.name === 'change') ? t : undefined;
    });
    assert.ok(spans.some((x) => x.name === 'patchset') && spans.some((x) => x.name === 'ci'));
    // The microservice traces of the last six hours, four a minute, for the service map.
    assert.equal(loaded[0].topologyTraces, 6 * 60 * 4);
    const gateway = await waitFor('demo topology traces in Tempo', async () => {
      const now = Date.now();
      const body = await new TempoReader(tempo.url, {}, 10_000).search(
        '{ resource.service.name = "api-gateway" && resource.service.namespace = "reviewtrace-demo" }',
        now - 7 * 3_600_000,
        now,
        100,
        1,
      );
      return (body.traces?.length ?? 0) >= 100 ? body : undefined;
    });
    assert.ok(gateway.traces?.every((t) => t.traceID));
    // A restart on the same database continues the history and queues no span again.
    const again = await SidecarProcess.start(
      ['demo', '--no-follow', '--changes', '40'],
      { REVIEWTRACE_DATABASE_PATH: join(work, 'demo.db'), REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint },
      join(work, 'demo-again.log'),
    );
    await waitFor('second demo run to finish', () => (again.process.running ? undefined : true), 180_000, 500);
    assert.equal(again.process.child.exitCode, 0);
    const reloaded = logLines(again.process.logPath, 'Demo history loaded');
    assert.equal(reloaded[0].events, loaded[0].events);
    assert.equal(reloaded[0].outbox, 0, 'nothing queued twice');
    assert.ok(Number(reloaded[0].topologyTraces) <= 8, 'only the minutes since the first run');
  });
});
