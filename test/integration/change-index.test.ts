import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import type { ChangeListResponse, ChangeSummary, SidecarStatus } from '../../src/review-model/code-review-api.ts';
import { SidecarProcess } from '../support/sidecar.ts';
import { TempoServer } from '../support/tempo.ts';
import { waitFor } from '../support/wait.ts';

// The change index against a real Tempo, with the real sidecar CLI: the list served from the index
// equals the list served by searching Tempo for the same data, and both equal what Tempo's own
// search says the closed changes are (read here, independently of the sidecar's code); after the
// database is deleted and the sidecar restarted, the index rebuilt from Tempo gives the same list
// and figures again.

const CHANGES = 150;
const DAY = 86_400_000;
/** The demo history (server/demo) spans changes × 2 h + 5 days; the test puts all of it in the past. */
const HISTORY_MS = CHANGES * 2 * 3_600_000 + 5 * DAY;

let tempo: TempoServer;
let work: string;
const startedMs = Date.now();
const range = { from: startedMs - HISTORY_MS - 10 * DAY, to: startedMs + DAY };

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'reviewtrace-index-it-'));
  tempo = await TempoServer.start(join(work, 'tempo'));
});

after(async () => {
  await tempo?.stop();
  rmSync(work, { recursive: true, force: true });
});

function sidecarEnv(dbPath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REVIEWTRACE_DATABASE_PATH: dbPath,
    REVIEWTRACE_DATA_DIR: join(dbPath, '..'),
    REVIEWTRACE_TEMPO__OTLP_ENDPOINT: tempo.otlpEndpoint,
    REVIEWTRACE_TEMPO__QUERY_URL: tempo.url,
    // Every abandon is final at once, so no root waits while the test compares.
    REVIEWTRACE_MAPPING__ABANDON_FINAL_AFTER_MS: '1000',
    // Every list request searches Tempo anew on the Tempo path.
    REVIEWTRACE_QUERY__CACHE_SECONDS: '0',
    REVIEWTRACE_LOG__LEVEL: 'info',
    ...extra,
  };
}

async function serve(name: string, args: string[], dbPath: string, extra: Record<string, string> = {}) {
  const sidecar = await SidecarProcess.start(['demo', ...args], sidecarEnv(dbPath, extra), join(work, `${name}.log`));
  await sidecar.ready(180_000);
  return sidecar;
}

async function list(sidecar: SidecarProcess, query: string): Promise<ChangeListResponse> {
  const r = await fetch(`${sidecar.url}/api/changes?from=${range.from}&to=${range.to}&limit=1000${query}`, {
    headers: { authorization: `Bearer ${sidecar.apiToken}` },
  });
  assert.ok(r.ok, `/api/changes${query}: HTTP ${r.status} ${await r.clone().text()}`);
  return (await r.json()) as ChangeListResponse;
}

async function indexStatus(sidecar: SidecarProcess): Promise<SidecarStatus['changeIndex']> {
  return ((await (await fetch(`${sidecar.url}/ready`)).json()) as SidecarStatus).changeIndex;
}

type OtlpValue = { stringValue?: string; intValue?: string | number };
interface ClosedChange {
  number: number;
  status: string;
  createdMs: number;
  closedMs: number;
}

/**
 * The closed changes as Tempo's own search has them: every `change` root span, the one of the
 * latest generation per trace (a change restored after a final abandon has two).
 */
async function closedChangesInTempo(): Promise<ClosedChange[]> {
  const params = new URLSearchParams({
    q: '{ name = "change" && resource.service.name = "gerrit" } | select(span.vcs.change.id, span.gerrit.change.status, span.gerrit.change.generation)',
    start: String(Math.floor(range.from / 1000)),
    end: String(Math.ceil(range.to / 1000)),
    limit: '5000',
    spss: '10',
  });
  const r = await fetch(`${tempo.url}/api/search?${params}`);
  assert.ok(r.ok, `Tempo search: HTTP ${r.status}`);
  type Span = { startTimeUnixNano: string; durationNanos: string; attributes?: { key: string; value: OtlpValue }[] };
  const body = (await r.json()) as { traces?: { spanSet?: { spans?: Span[] }; spanSets?: { spans?: Span[] }[] }[] };
  const out: ClosedChange[] = [];
  for (const t of body.traces ?? []) {
    const spans = (t.spanSets ?? (t.spanSet ? [t.spanSet] : [])).flatMap((s) => s.spans ?? []);
    const attr = (s: Span, key: string) => {
      const v = s.attributes?.find((a) => a.key === key)?.value;
      return v?.stringValue ?? (v?.intValue === undefined ? undefined : String(v.intValue));
    };
    const generation = (s: Span) => Number(attr(s, 'gerrit.change.generation') ?? 1);
    const endNs = (s: Span) => BigInt(s.startTimeUnixNano) + BigInt(s.durationNanos);
    const root = spans.reduce<Span | undefined>(
      (best, s) =>
        !best || generation(s) > generation(best) || (generation(s) === generation(best) && endNs(s) > endNs(best))
          ? s
          : best,
      undefined,
    );
    if (root) {
      out.push({
        number: Number(attr(root, 'vcs.change.id')),
        status: attr(root, 'gerrit.change.status') ?? '',
        createdMs: Number(BigInt(root.startTimeUnixNano) / 1_000_000n),
        closedMs: Number(endNs(root) / 1_000_000n),
      });
    }
  }
  return out.sort((a, b) => a.number - b.number);
}

const closedOf = (answer: ChangeListResponse): ClosedChange[] =>
  answer.changes
    .filter((c) => c.source !== 'overlay')
    .map((c: ChangeSummary) => ({
      number: c.number,
      status: c.status,
      createdMs: c.createdMs,
      closedMs: c.closedMs ?? NaN,
    }))
    .sort((a, b) => a.number - b.number);

/** The answer without when and from where it was served. */
const content = ({ sources: _sources, asOfMs: _asOfMs, ...rest }: ChangeListResponse) => rest;

const QUERIES = {
  all: '&includeBots=true&sort=number&dir=asc',
  merged: '&status=merged&sort=timeToMergeOrAge',
  abandoned: '&status=abandoned&includeBots=true&sort=timeToFirstReview&dir=asc',
} as const;
type QueryName = keyof typeof QUERIES;

async function answers(sidecar: SidecarProcess): Promise<Record<QueryName, ChangeListResponse>> {
  return {
    all: await list(sidecar, QUERIES.all),
    merged: await list(sidecar, QUERIES.merged),
    abandoned: await list(sidecar, QUERIES.abandoned),
  };
}

describe('change index against a real Tempo', () => {
  it('serves the list from the index as a Tempo search does, and rebuilds it the same after the database is lost', async () => {
    const firstDir = join(work, 'first');
    mkdirSync(firstDir, { recursive: true });
    const firstDb = join(firstDir, 'reviewtrace.db');
    // The demo's stored time anchor, set so that its whole history lies in the past: nothing
    // arrives live while the lists are compared.
    const preset = new DatabaseSync(firstDb);
    preset.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const anchor = Math.floor((startedMs - HISTORY_MS - 2 * DAY) / 60_000) * 60_000;
    preset.prepare("INSERT INTO meta (key, value) VALUES ('demo_anchor_ms', ?)").run(String(anchor));
    preset.close();

    const loader = await SidecarProcess.start(
      ['demo', '--no-follow', '--changes', String(CHANGES)],
      sidecarEnv(firstDb),
      join(work, 'load.log'),
    );
    await waitFor('the demo history to be exported', () => (loader.process.running ? undefined : true), 600_000, 500);
    assert.equal(loader.process.child.exitCode, 0, `demo --no-follow failed; see ${loader.process.logPath}`);

    // 1. The index, filled as the spans were queued, against Tempo's own search.
    let indexed = await serve('indexed', ['--changes', String(CHANGES)], firstDb);
    try {
      assert.equal((await indexStatus(indexed))?.state, 'ready', 'filled as the spans were queued');
      let difference = '';
      const fromIndex = await waitFor(
        'Tempo to show every closed change the index serves',
        async () => {
          const all = await list(indexed, QUERIES.all);
          const open = new Set(all.changes.filter((c) => c.source === 'overlay').map((c) => c.number));
          const inTempo = (await closedChangesInTempo()).filter((c) => !open.has(c.number));
          try {
            assert.deepEqual(closedOf(all), inTempo);
            return all;
          } catch (err) {
            difference = (err as Error).message.slice(0, 2000);
            return undefined;
          }
        },
        180_000,
        2000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nlast difference:\n${difference}`);
      });
      assert.equal(fromIndex.sources.closed, 'index');
      assert.ok(closedOf(fromIndex).length > CHANGES / 2, `${closedOf(fromIndex).length} closed changes`);
      assert.ok(
        closedOf(fromIndex).some((c) => c.status === 'MERGED') &&
          closedOf(fromIndex).some((c) => c.status === 'ABANDONED'),
      );
      const indexAnswers = await answers(indexed);
      await indexed.stop();

      // 2. The same database with the index off: the list searches Tempo, and must say the same.
      const searched = await serve('searched', ['--changes', String(CHANGES)], firstDb, {
        REVIEWTRACE_INDEX__ENABLED: 'false',
      });
      const tempoAnswers = await answers(searched);
      await searched.stop();
      for (const name of Object.keys(QUERIES) as QueryName[]) {
        assert.equal(tempoAnswers[name].sources.closed, 'tempo');
        assert.equal(indexAnswers[name].sources.closed, 'index');
      }
      assert.deepEqual(closedOf(indexAnswers.all), closedOf(tempoAnswers.all));
      // Merged and abandoned changes hold no figure that runs with the clock: the whole answers agree.
      assert.deepEqual(content(indexAnswers.merged), content(tempoAnswers.merged));
      assert.deepEqual(content(indexAnswers.abandoned), content(tempoAnswers.abandoned));

      // 3. The database is lost. A sidecar on a new one rebuilds the index from Tempo.
      rmSync(firstDir, { recursive: true, force: true });
      const secondDb = join(work, 'second', 'reviewtrace.db');
      indexed = await serve('rebuilt', ['--changes', '0'], secondDb);
      const status = await waitFor(
        'the change index to be rebuilt',
        async () => {
          const s = await indexStatus(indexed);
          return s?.state === 'ready' ? s : undefined;
        },
        300_000,
        500,
      );
      const rebuilt = await answers(indexed);
      await indexed.stop();
      assert.equal(rebuilt.all.sources.closed, 'index');
      const allInTempo = await closedChangesInTempo();
      assert.ok(allInTempo.length >= closedOf(indexAnswers.all).length, 'Tempo still holds every closed change');
      assert.equal(status.changes, allInTempo.length, 'every root in Tempo is indexed');
      assert.deepEqual(closedOf(rebuilt.all), allInTempo, 'the rebuilt index serves what Tempo holds');
      assert.deepEqual(content(rebuilt.merged), content(indexAnswers.merged), 'merged: the same list and figures');
      // The lost database's open changes are unknown now (a reconcile or backfill brings them back):
      // a change restored after a final abandon shows as its abandoned root.
      const wasOpen = new Set(indexAnswers.all.changes.filter((c) => c.source === 'overlay').map((c) => c.number));
      assert.deepEqual(
        rebuilt.abandoned.changes.filter((c) => !wasOpen.has(c.number)),
        indexAnswers.abandoned.changes,
        'abandoned: the same list, but for changes that were open',
      );

      // 4. On the rebuilt database, the index and a Tempo search agree on everything.
      const searchedAgain = await serve('searched-again', ['--changes', '0'], secondDb, {
        REVIEWTRACE_INDEX__ENABLED: 'false',
      });
      const tempoAgain = await answers(searchedAgain);
      await searchedAgain.stop();
      for (const name of Object.keys(QUERIES) as QueryName[]) {
        assert.deepEqual(content(rebuilt[name]), content(tempoAgain[name]), name);
      }
    } finally {
      await indexed.stop().catch(() => undefined);
    }
  });
});
