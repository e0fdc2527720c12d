import { SingleBar } from 'cli-progress';
import {
  gerritProblem,
  loadOrExit,
  requireTempo,
  sidecarWithReconciler,
  untilSignal,
  waitForOutboxEmpty,
  type CommonOptions,
} from './common.ts';
import { CliError, parseDateRange } from './errors.ts';

export interface BackfillOptions extends CommonOptions {
  since: string;
  until?: string;
  exportTimeout: string;
}

/**
 * Turns history into the same traces as the live stream (same ids: running it twice, or beside
 * the running sidecar on the same database, adds nothing twice). Resumable: an interrupted run
 * with the same --since continues from its saved cursor.
 */
export async function backfillCommand(options: BackfillOptions): Promise<void> {
  const { config, log } = loadOrExit(options);
  const { sinceMs: since, untilMs: until } = parseDateRange(options.since, options.until);
  const exportTimeoutS = Number(options.exportTimeout);
  if (!Number.isFinite(exportTimeoutS) || exportTimeoutS < 0) {
    throw new CliError(`--export-timeout "${options.exportTimeout}" is not a number of seconds (e.g. 600)`, 2);
  }
  if (!config.gerrit.http) {
    throw new CliError(
      "backfill reads history through Gerrit's REST API: set gerrit.http.url (REVIEWTRACE_GERRIT__HTTP__URL), and username and password for a Gerrit that requires them",
      2,
    );
  }
  // Both services first, before the database is opened: a mistake ends here in one line.
  await requireTempo(config, 'backfill');
  const { sidecar, reconciler } = await sidecarWithReconciler(config, log, options);
  sidecar.drainer.start();
  const abort = new AbortController();
  void untilSignal(log).then(() => abort.abort());
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new SingleBar(
        {
          format: 'backfill [{bar}] {percentage}% | {changes} changes | {spans} new spans | outbox {outbox}',
          hideCursor: true,
        },
        undefined,
      )
    : undefined;
  bar?.start(1000, 0, { changes: 0, spans: 0, outbox: 0 });
  let lastLine = 0;
  const walking = reconciler.walk(since, until, {
    cursorKey: `backfill:${since}`,
    signal: abort.signal,
    onProgress: (p) => {
      const outbox = sidecar.store.outboxDepth().spans;
      if (bar) {
        bar.update(Math.round(p.fraction * 1000), { changes: p.changes, spans: p.spans, outbox });
      } else if (Date.now() - lastLine > 10_000) {
        lastLine = Date.now();
        log.info(
          { percent: Math.round(p.fraction * 100), changes: p.changes, newSpans: p.spans, outbox },
          'backfill progress',
        );
      }
    },
  });
  const result = await walking.catch(async (err: unknown) => {
    bar?.stop();
    await sidecar.stop();
    throw gerritProblem(err);
  });
  bar?.stop();
  if (abort.signal.aborted) {
    log.info({ changes: result.changes }, 'Backfill interrupted; run the same command again to resume');
  } else {
    log.info({ changes: result.changes, newSpans: result.spans }, 'Backfill read all history; exporting');
  }
  const emptied = await waitForOutboxEmpty(() => sidecar.store.outboxDepth().spans, Date.now() + exportTimeoutS * 1000);
  const outbox = sidecar.store.outboxDepth();
  const lastError = sidecar.drainer.lastError;
  await sidecar.stop();
  if (!emptied) {
    throw new CliError(
      `Tempo did not accept ${outbox.spans} spans within --export-timeout ${exportTimeoutS} s${lastError ? ` (last error: ${lastError})` : ''}: they stay in the outbox, and \`reviewtrace-server run\` (or backfill again) exports them`,
    );
  }
}
