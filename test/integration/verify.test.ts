import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadConfig, type Config } from '../../server/config/config.ts';
import { TempoExporter } from '../../server/export/tempo-exporter.ts';
import type { SpanRecord } from '../../server/mapping/span-record.ts';
import { traceIdFor } from '../../server/mapping/span-ids.ts';
import { SidecarMetrics } from '../../server/observability/metrics.ts';
import { Sidecar } from '../../server/sidecar.ts';
import { GerritServer, gerritReady } from '../support/gerrit.ts';
import { createProject, runScenarios, type ScenarioRun } from '../support/review-scenarios.ts';
import { assertOneLine, runCli, type CliResult } from '../support/cli.ts';
import { TempoServer } from '../support/tempo.ts';
import { waitFor } from '../support/wait.ts';

// `verify` and the periodic consistency check against a real Gerrit and a real Tempo, with ground
// truth the test makes itself: the spans of two reviewed changes are mapped into the sidecar's
// database (its ledger and outbox, as a backfill would, without exporting), and then the TEST sends
// them to Tempo with the official OTLP exporter, leaving out one span of each change and sending one
// span twice. Both checks must name exactly those spans: nothing else missing, nothing else doubled.

const work = mkdtempSync(join(tmpdir(), 'reviewtrace-verify-'));
const PROJECT = 'verify-reviews';

let tempo: TempoServer;
let gerrit: GerritServer;
let configFile: string;
let config: Config;
let runs: ScenarioRun[];
/** Per change number: the span ids the test left out of Tempo, and the one it sent twice. */
const left = new Map<number, string>();
let doubled: { change: number; spanId: string };

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> =>
  runCli(args, { cwd: work, env, timeoutMs: 120_000 });

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Spans a search scoped to the trace matched, asked of Tempo directly (not through the code under test). */
async function searchMatched(traceId: string): Promise<number> {
  const params = new URLSearchParams({
    // Tempo compares trace:id with the id it prints, without leading zeros.
    q: `{ trace:id = "${traceId.replace(/^0+/, '')}" }`,
    start: String(Math.floor(Date.now() / 1000) - 7200),
    end: String(Math.ceil(Date.now() / 1000) + 600),
    spss: '1',
  });
  const body = (await (await fetch(`${tempo.url}/api/search?${params}`)).json()) as {
    traces?: { spanSets?: { matched?: number }[] }[];
  };
  return (body.traces ?? []).flatMap((t) => t.spanSets ?? []).reduce((n, s) => n + (s.matched ?? 0), 0);
}

const log = pino({ level: 'silent' });

describe('verify and the periodic consistency check (real Gerrit, real Tempo)', { timeout: 600_000 }, () => {
  before(async () => {
    [tempo, gerrit] = await Promise.all([
      TempoServer.start(join(work, 'tempo')),
      GerritServer.start(join(work, 'gerrit')),
    ]);
    await gerritReady(gerrit.as('admin'));
    await createProject(gerrit, PROJECT);
    // The first two stories: one merged after a review, one merged after two rounds.
    runs = await runScenarios(gerrit, PROJECT, 2);
    configFile = join(work, 'reviewtrace.yaml');
    writeFileSync(
      configFile,
      [
        `dataDir: ${join(work, 'data')}`,
        'gerrit:',
        '  http:',
        `    url: ${gerrit.url}`,
        '    username: admin',
        `    password: ${gerrit.accounts.admin.httpPassword}`,
        'tempo:',
        `  otlpEndpoint: ${tempo.otlpEndpoint}`,
        `  queryUrl: ${tempo.url}`,
        'log:',
        '  level: warn',
        '',
      ].join('\n'),
    );
    // Not this process's environment: it names the test binaries with the same prefix.
    config = loadConfig({ file: configFile, env: {} });

    // The sidecar's own parts map the history into its ledger and outbox, exporting nothing.
    const sidecar = new Sidecar(config, log, new SidecarMetrics({ defaultMetrics: false }));
    await sidecar.reconciler?.walk(Date.now() - 3_600_000, Date.now() + 60_000);
    const batch = sidecar.store.readOutbox(1_000_000, 1e12);
    assert.ok(batch, 'the walk queued spans');
    const byChange = new Map<number, SpanRecord[]>();
    for (const run of runs) {
      const traceId = traceIdFor(sidecar.config.serverId, run.number);
      byChange.set(
        run.number,
        batch.spans.filter((s) => s.traceId === traceId),
      );
    }
    const sent: SpanRecord[] = [];
    for (const [change, spans] of byChange) {
      assert.ok(spans.length >= 3, `change ${change} has spans to leave out`);
      // Leave out a child span, not the root, so the trace is still one.
      const out = spans.find((s) => s.parentSpanId !== undefined);
      assert.ok(out);
      left.set(change, out.spanId);
      sent.push(...spans.filter((s) => s !== out));
    }
    const first = runs[0].number;
    const twice = sent.find((s) => s.traceId === byChange.get(first)?.[0].traceId && s.parentSpanId !== undefined);
    assert.ok(twice);
    doubled = { change: first, spanId: twice.spanId };

    // The test exports with the official OTLP exporter: everything but the left-out spans, then
    // one span again in a request of its own.
    const exporter = new TempoExporter(
      { endpoint: tempo.otlpEndpoint, headers: {}, timeoutMs: 10_000 },
      { serviceName: config.serviceName, serverAddress: sidecar.config.serverId },
    );
    assert.deepEqual(await exporter.export(sent), { kind: 'accepted' });
    assert.deepEqual(await exporter.export([twice]), { kind: 'accepted' });
    await exporter.shutdown();
    // The ledger now says "exported" for all of them: the outbox is emptied as after Tempo's answer,
    // and closed changes are compacted, which is what the periodic check samples.
    sidecar.store.ackOutbox(batch.lastSeq);
    sidecar.storage.sweep(Date.now());
    await sidecar.stop();

    // Tempo shows what the test sent (its trace by id, and a search counting the double).
    for (const [change, spans] of byChange) {
      const want = spans.length - 1;
      const traceId = spans[0].traceId;
      await waitFor(`change ${change} in Tempo`, async () => {
        const ids = new Set((await tempo.trace(traceId)).map((s) => s.spanId));
        const matched = await searchMatched(traceId);
        const wantMatched = want + (change === first ? 1 : 0);
        if (ids.size !== want || matched !== wantMatched) {
          throw new Error(`by id ${ids.size} of ${want} span ids, search matched ${matched} of ${wantMatched}`);
        }
        return true;
      });
    }
  });

  after(async () => {
    await Promise.all([tempo?.stop(), gerrit?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  it('verify --json names exactly the spans left out and the one sent twice, and exits 1', async () => {
    const r = await cli(['verify', '--since', '1h', '--config', configFile, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      changes: number;
      missing: number;
      unexpected: number;
      doubled: number;
      problems: { number: number; missing: string[]; unexpected: string[]; doubled: number; notExported: string[] }[];
    };
    assert.equal(report.changes, runs.length, 'every change Gerrit lists in the range');
    assert.equal(report.missing, left.size);
    assert.equal(report.unexpected, 0);
    assert.equal(report.doubled, 1);
    const problems = new Map(report.problems.map((p) => [p.number, p]));
    for (const [change, spanId] of left) {
      assert.deepEqual(problems.get(change)?.missing, [spanId], `change ${change}: missing`);
      assert.deepEqual(problems.get(change)?.notExported, [], 'the ledger holds them: lost after export');
      assert.equal(problems.get(change)?.doubled, change === doubled.change ? 1 : 0, `change ${change}: doubled`);
    }
  });

  it('verify prints a table and the span ids for people', async () => {
    const r = await cli(['verify', '--since', '1h', '--config', configFile]);
    assert.equal(r.code, 1, r.stderr);
    for (const [change, spanId] of left) {
      assert.match(r.stdout, new RegExp(`change ${change}: missing \\(exported, not in Tempo\\): ${spanId}\\n`));
    }
    assert.match(r.stdout, new RegExp(`change ${doubled.change}: doubled 1 span copy`));
    assert.match(r.stdout, /^ *change +expected +in Tempo +missing +unexpected +doubled +not exported$/m);
    assert.match(r.stdout, new RegExp(`changes?, .*missing ${left.size}, unexpected 0, doubled 1`));
  });

  it('the periodic check counts the same missing and doubled spans in its metrics', async () => {
    const metrics = new SidecarMetrics({ defaultMetrics: false });
    const sidecar = new Sidecar({ ...config, verify: { intervalMs: 0, sampleTraces: 20, minAgeMs: 1 } }, log, metrics);
    const run = await sidecar.consistency.run(Date.now() + 1000);
    await sidecar.stop();
    const closed = runs.filter((r) => !r.open);
    assert.ok(
      closed.some((r) => r.number === doubled.change),
      'the change with the doubled span is closed, so the check samples it',
    );
    assert.equal(run.failed, 0);
    const value = async (c: { get: () => Promise<{ values: { value: number }[] }> }) =>
      (await c.get()).values.reduce((n, v) => n + v.value, 0);
    assert.equal(await value(metrics.verifyTracesChecked), closed.length, 'every closed change is sampled');
    assert.equal(await value(metrics.verifySpansMissing), closed.filter((r) => left.has(r.number)).length);
    assert.equal(await value(metrics.verifySpansUnexpected), 0);
    assert.equal(await value(metrics.verifySpansDoubled), closed.some((r) => r.number === doubled.change) ? 1 : 0);
    const missingIds = run.checked.flatMap((c) => c.missing).sort();
    assert.deepEqual(missingIds, closed.map((r) => left.get(r.number)).sort());
  });

  it('ends foreseeable mistakes in one line with a hint', async () => {
    const env = { REVIEWTRACE_CONFIG: configFile };
    assertOneLine(await cli(['verify', '--since', 'yesterday'], env), /--since "yesterday" is not a date/, 'bad date');
    assertOneLine(
      await cli(['verify', '--since', '2h', '--until', '3h'], env),
      /--since 2h is after --until 3h.*swap them/,
      'since after until',
    );
    assertOneLine(
      await cli(['verify', '--since', '1h'], {
        ...env,
        REVIEWTRACE_TEMPO__QUERY_URL: `http://127.0.0.1:${await closedPort()}`,
      }),
      /Tempo's query API does not answer.*tempo\.queryUrl/,
      'Tempo unreachable',
    );
    assertOneLine(
      await cli(['verify', '--since', '1h'], {
        ...env,
        REVIEWTRACE_GERRIT__HTTP__URL: `http://127.0.0.1:${await closedPort()}`,
      }),
      /cannot reach Gerrit's REST API.*gerrit\.http\.url/,
      'Gerrit unreachable',
    );
    const noHttp = join(work, 'no-http.yaml');
    writeFileSync(noHttp, `dataDir: ${join(work, 'data-no-http')}\ntempo:\n  queryUrl: ${tempo.url}\n`);
    assertOneLine(
      await cli(['verify', '--since', '1h', '--config', noHttp]),
      /verify reads each change's history through Gerrit's REST API: set gerrit\.http\.url/,
      'no gerrit.http',
    );
  });
});
