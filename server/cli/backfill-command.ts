import { SingleBar } from 'cli-progress';
import {
  loadOrExit,
  sidecarOrExit,
  parseDateOption,
  untilSignal,
  waitForOutboxEmpty,
  type CommonOptions,
} from './common.ts';

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
  const since = parseDateOption(options.since, '--since');
  const until = options.until ? parseDateOption(options.until, '--until') : Date.now();
  if (!config.gerrit.http) {
    log.error('backfill reads history through the REST API: configure gerrit.http.url (and username/password).');
    process.exit(2);
  }
  const sidecar = sidecarOrExit(config, log, options);
  const reconciler = sidecar.reconciler;
  if (!reconciler) {
    process.exit(2);
  }
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
  const result = await reconciler.walk(since, until, {
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
  bar?.stop();
  if (abort.signal.aborted) {
    log.info({ changes: result.changes }, 'Backfill interrupted; run the same command again to resume');
  } else {
    log.info({ changes: result.changes, newSpans: result.spans }, 'Backfill read all history; exporting');
  }
  const emptied = await waitForOutboxEmpty(
    () => sidecar.store.outboxDepth().spans,
    Date.now() + Number(options.exportTimeout) * 1000,
  );
  if (!emptied) {
    log.warn(
      { outbox: sidecar.store.outboxDepth() },
      'Tempo has not accepted every span yet; they stay in the outbox and the sidecar exports them when it runs',
    );
  }
  await sidecar.stop();
}
