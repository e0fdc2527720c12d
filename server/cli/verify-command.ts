import { SingleBar } from 'cli-progress';
import { tempoHeaders } from '../config/config.ts';
import { compareSpans, readTempoCopy, type SpanComparison } from '../export/consistency-check.ts';
import { changeHistoryEvents } from '../gerrit/change-history.ts';
import type { RestChange } from '../gerrit/rest-client.ts';
import { replayHistory } from '../ingest/ingestor.ts';
import { traceIdFor } from '../mapping/span-ids.ts';
import type { Logger } from '../observability/logger.ts';
import { TempoReader } from '../query/tempo-reader.ts';
import type { Sidecar } from '../sidecar.ts';
import { gerritProblem, loadOrExit, sidecarWithReconciler, untilSignal, type CommonOptions } from './common.ts';
import { CliError, parseDateRange } from './errors.ts';

// `verify --since`: for every change Gerrit lists as updated in the range, what Tempo holds of its
// trace against what it must hold (the spans the sidecar's mapper makes of the change's REST
// history, as a backfill would, with their ids) and against the sidecar's ledger. Reads only:
// nothing is written to the database or to Tempo.

export interface VerifyOptions extends CommonOptions {
  since: string;
  until?: string;
  json?: boolean;
}

/** One change's verdict. */
export interface ChangeVerdict extends SpanComparison {
  number: number;
  /** Span ids of the trace in the sidecar's ledger (exported, or queued for export). */
  inLedger: number;
  /** Expected span ids the ledger does not hold: this sidecar never exported them (backfill does). */
  notExported: string[];
  /** Span ids the ledger holds that Tempo does not: exported, and lost or not visible yet. */
  ledgerNotInTempo: string[];
  /** Why the change could not be checked fully (Tempo refused the search), if so. */
  error?: string;
}

export interface VerifyReport {
  since: string;
  until: string;
  changes: number;
  expectedSpans: number;
  missing: number;
  unexpected: number;
  doubled: number;
  unchecked: number;
  /** Spans still in the sidecar's outbox when verify ran: their changes may show them as missing. */
  outboxSpans: number;
  /** Only the changes with something missing, unexpected, doubled or unchecked. */
  problems: ChangeVerdict[];
}

/** Compares one change: expected span ids (from its history), the ledger's, and Tempo's copy. */
export function verdictOf(
  number: number,
  traceId: string,
  expected: readonly string[],
  ledger: readonly string[],
  comparison: SpanComparison,
): ChangeVerdict {
  const inLedger = new Set(ledger);
  const missing = new Set(comparison.missing);
  const found = new Set(expected.filter((id) => !missing.has(id)));
  for (const id of comparison.unexpected) {
    found.add(id);
  }
  return {
    ...comparison,
    number,
    traceId,
    inLedger: inLedger.size,
    notExported: expected.filter((id) => !inLedger.has(id)).sort(),
    ledgerNotInTempo: [...inLedger].filter((id) => !found.has(id)).sort(),
  };
}

export function summarize(since: string, until: string, verdicts: ChangeVerdict[], outboxSpans: number): VerifyReport {
  const sum = (f: (v: ChangeVerdict) => number) => verdicts.reduce((n, v) => n + f(v), 0);
  return {
    since,
    until,
    changes: verdicts.length,
    expectedSpans: sum((v) => v.expected),
    missing: sum((v) => v.missing.length),
    unexpected: sum((v) => v.unexpected.length),
    doubled: sum((v) => v.doubled),
    unchecked: verdicts.filter((v) => v.error !== undefined).length,
    outboxSpans,
    problems: verdicts.filter(
      (v) => v.error !== undefined || v.missing.length > 0 || v.unexpected.length > 0 || v.doubled > 0,
    ),
  };
}

/** Whether the report fails the command: something missing, doubled, or not checkable. */
export function failed(report: VerifyReport): boolean {
  return report.missing > 0 || report.doubled > 0 || report.unchecked > 0;
}

/** The report for people: a table of the changes with problems, their span ids, and a summary. */
export function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  if (report.problems.length > 0) {
    const header = ['change', 'expected', 'in Tempo', 'missing', 'unexpected', 'doubled', 'not exported'];
    const rows = report.problems.map((v) => [
      String(v.number),
      String(v.expected),
      String(v.found + v.unexpected.length),
      String(v.missing.length),
      String(v.unexpected.length),
      String(v.doubled),
      String(v.notExported.length),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const row = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
    lines.push(row(header), ...rows.map(row), '');
    for (const v of report.problems) {
      if (v.error) {
        lines.push(`change ${v.number}: ${v.error}`);
      }
      const notExported = new Set(v.notExported);
      if (v.missing.length > 0) {
        const lost = v.missing.filter((id) => !notExported.has(id));
        const never = v.missing.filter((id) => notExported.has(id));
        if (lost.length > 0) {
          lines.push(`change ${v.number}: missing (exported, not in Tempo): ${lost.join(' ')}`);
        }
        if (never.length > 0) {
          lines.push(`change ${v.number}: missing (never exported by this sidecar): ${never.join(' ')}`);
        }
      }
      if (v.unexpected.length > 0) {
        lines.push(`change ${v.number}: unexpected (in Tempo, not in its history): ${v.unexpected.join(' ')}`);
      }
      if (v.doubled > 0) {
        const ids = v.doubledSpanIds.length > 0 ? `: ${v.doubledSpanIds.join(' ')}` : ' (found by search)';
        lines.push(`change ${v.number}: doubled ${v.doubled} span cop${v.doubled === 1 ? 'y' : 'ies'}${ids}`);
      }
    }
    lines.push('');
  }
  lines.push(
    `verify ${report.since} .. ${report.until}: ${report.changes} changes, ${report.expectedSpans} spans expected; ` +
      `missing ${report.missing}, unexpected ${report.unexpected}, doubled ${report.doubled}` +
      (report.unchecked > 0 ? `, ${report.unchecked} changes not checked for doubles` : ''),
  );
  if (report.outboxSpans > 0) {
    lines.push(
      `note: ${report.outboxSpans} spans still wait in the sidecar's outbox; spans of changes among them show as missing until Tempo accepts them`,
    );
  }
  if (report.problems.some((v) => v.notExported.length > 0 && v.missing.length > 0)) {
    lines.push(
      'hint: spans never exported by this sidecar are exported by `reviewtrace-server backfill --since` with the same range',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Reads one change's trace back and judges it. */
async function verifyChange(sidecar: Sidecar, reader: TempoReader, rc: RestChange): Promise<ChangeVerdict> {
  const traceId = traceIdFor(sidecar.config.serverId, rc._number);
  const history = changeHistoryEvents(rc, sidecar.config.gerrit.http?.url);
  const expected = [...new Set(replayHistory(sidecar.mapper, history, Date.now()).spans.map((s) => s.spanId))];
  const ledger = sidecar.store.exportedSpanIds(traceId);
  let copy;
  try {
    copy = await readTempoCopy(reader, traceId);
  } catch (err) {
    throw new CliError(
      `${(err as Error).message}; is Tempo running, and is tempo.queryUrl (REVIEWTRACE_TEMPO__QUERY_URL) its query address? \`reviewtrace-server doctor\` checks every connection`,
    );
  }
  const verdict = verdictOf(rc._number, traceId, expected, ledger, compareSpans(traceId, expected, copy));
  return copy.searchRefused
    ? {
        ...verdict,
        error: `doubled spans not counted: Tempo refused the search over the trace's time range (${copy.searchRefused}); raise query_frontend.search.max_duration (docs/deployment.md)`,
      }
    : verdict;
}

/** Progress on stderr: a bar on a terminal, a log line every 10 s otherwise. */
function progress(log: Logger): { update: (fraction: number, changes: number) => void; stop: () => void } {
  const bar =
    process.stderr.isTTY === true
      ? new SingleBar({ format: 'verify [{bar}] {percentage}% | {changes} changes', hideCursor: true }, undefined)
      : undefined;
  bar?.start(1000, 0, { changes: 0 });
  let lastLine = Date.now();
  return {
    update: (fraction, changes) => {
      if (bar) {
        bar.update(Math.round(fraction * 1000), { changes });
      } else if (Date.now() - lastLine > 10_000) {
        lastLine = Date.now();
        log.info({ percent: Math.round(fraction * 100), changes }, 'verify progress');
      }
    },
    stop: () => bar?.stop(),
  };
}

export async function verifyCommand(options: VerifyOptions): Promise<void> {
  const { config, log } = loadOrExit(options);
  const { sinceMs, untilMs } = parseDateRange(options.since, options.until);
  if (!config.gerrit.http) {
    throw new CliError(
      "verify reads each change's history through Gerrit's REST API: set gerrit.http.url (REVIEWTRACE_GERRIT__HTTP__URL), and username and password for a Gerrit that requires them",
      2,
    );
  }
  const reader = new TempoReader(config.tempo.queryUrl, tempoHeaders(config), config.tempo.timeoutMs, {
    gzip: config.tempo.queryGzip,
  });
  // Both services first, before the database is opened: a mistake ends here in one line.
  await reader.reachable().catch((err: unknown) => {
    throw new CliError(
      `Tempo's query API does not answer: ${(err as Error).message}. verify reads traces from it: start Tempo, or point REVIEWTRACE_TEMPO__QUERY_URL (tempo.queryUrl) at it; \`reviewtrace-server doctor\` checks every connection`,
    );
  });
  const { sidecar, reconciler } = await sidecarWithReconciler(config, log, options);
  const abort = new AbortController();
  void untilSignal(log).then(() => abort.abort());
  const bar = progress(log);
  const verdicts: ChangeVerdict[] = [];
  try {
    await reconciler.walk(sinceMs, untilMs, {
      signal: abort.signal,
      onProgress: (p) => bar.update(p.fraction, p.changes),
      visit: async (rc) => {
        const verdict = await verifyChange(sidecar, reader, rc);
        verdicts.push(verdict);
        return verdict.expected;
      },
    });
  } catch (err) {
    throw gerritProblem(err);
  } finally {
    bar.stop();
  }
  const outboxSpans = sidecar.store.outboxDepth().spans;
  sidecar.store.close();
  const report = summarize(new Date(sinceMs).toISOString(), new Date(untilMs).toISOString(), verdicts, outboxSpans);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (abort.signal.aborted) {
    throw new CliError('verify was interrupted: the report covers only the changes checked before', 130);
  }
  if (failed(report)) {
    process.exitCode = 1;
  }
}
