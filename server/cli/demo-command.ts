import { DEMO_DEFAULTS, demoSpanMs, demoStreamEvents } from '../demo/review-history.ts';
import { tempoHeaders } from '../config/config.ts';
import { TOPOLOGY_WINDOW_MS, TopologyFeed } from '../demo/topology-feed.ts';
import { parseStreamEvent } from '../gerrit/stream-events.ts';
import {
  loadOrExit,
  requireTempo,
  sidecarOrExit,
  startHttpOrExit,
  untilSignal,
  waitForOutboxEmpty,
  type CommonOptions,
} from './common.ts';
import { CliError } from './errors.ts';

export interface DemoOptions extends CommonOptions {
  changes: string;
  seed: string;
  follow: boolean;
}

const ANCHOR_KEY = 'demo_anchor_ms';
const APPLIED_KEY = 'demo_events_applied';
const BATCH = 1000;

/**
 * Replays the bundled synthetic history (ending near now) through the real pipeline, then keeps
 * running: the rest of the history arrives live as its time comes, and the query API is served.
 * The time anchor and the number of events applied are stored, so a restart continues the same
 * history where it stopped and produces no span twice.
 */
export async function demoCommand(options: DemoOptions): Promise<void> {
  const { config, log } = loadOrExit(options);
  const changes = Number(options.changes);
  const seed = Number(options.seed);
  // 0 is allowed: the query API over an empty history (tests serve a database that way).
  if (!Number.isInteger(changes) || changes < 0) {
    throw new CliError(`--changes "${options.changes}" is not a whole number of changes (0 or more, e.g. 600)`, 2);
  }
  if (!Number.isInteger(seed)) {
    throw new CliError(`--seed "${options.seed}" is not a whole number`, 2);
  }
  if (!options.follow) {
    // This run ends once Tempo has the history: fail now, in one line, when Tempo does not answer.
    await requireTempo(config, 'demo --no-follow');
  }
  const sidecar = sidecarOrExit(config, log, options);
  const server = await startHttpOrExit(sidecar);
  // The query API is served: fill the change index from Tempo if this database lacks it, before
  // loading (the load keeps the event loop busy; and a Tempo found without any root needs one search).
  await sidecar.changeIndex.start();
  sidecar.drainer.start();
  if (!config.http.apiToken) {
    log.warn(
      'http.apiToken is not set: the query API is off and the Grafana app can read nothing. Set REVIEWTRACE_HTTP__API_TOKEN (16+ characters) and the same token in the app configuration',
    );
  }
  const span = demoSpanMs(changes, DEMO_DEFAULTS.meanArrivalMs);
  let anchor = Number(sidecar.store.getMeta(ANCHOR_KEY));
  if (!anchor) {
    // End the bulk of the history now: the last days keep arriving live.
    anchor = Math.floor((Date.now() - span + 4 * 86_400_000) / 60_000) * 60_000;
    sidecar.store.setMeta(ANCHOR_KEY, String(anchor));
  }
  log.info(
    { changes, seed, from: new Date(anchor).toISOString(), http: server.address() },
    'Loading the demo review history',
  );
  const events = demoStreamEvents({
    seed,
    changes,
    startMs: anchor,
    meanArrivalMs: DEMO_DEFAULTS.meanArrivalMs,
    url: DEMO_DEFAULTS.url,
  });
  const stopping = untilSignal(log);
  let stopped = false;
  void stopping.then(() => {
    stopped = true;
  });
  // The history is deterministic: skip what an earlier run already applied (applying an event twice
  // would give its spans new ordinals, so new ids).
  const applied = Number(sidecar.store.getMeta(APPLIED_KEY) ?? 0);
  let next = events.next();
  for (let i = 0; i < applied && !next.done; i += 1) {
    next = events.next();
  }
  let loaded = applied;
  const apply = () => {
    sidecar.ingestor.handleParsed(parseStreamEvent(next.value));
    loaded += 1;
    sidecar.store.setMeta(APPLIED_KEY, String(loaded));
    next = events.next();
  };
  while (!next.done && next.value.eventCreatedOn * 1000 <= Date.now()) {
    sidecar.store.transaction(() => {
      for (let i = 0; i < BATCH && !next.done && next.value.eventCreatedOn * 1000 <= Date.now(); i += 1) {
        apply();
      }
    });
  }
  sidecar.startAbandonSweep();
  sidecar.drainer.notify();
  const topology = new TopologyFeed(config.tempo.otlpEndpoint, tempoHeaders(config), sidecar.store, log);
  const topologyTraces = await topology.catchUp(Date.now());
  log.info(
    {
      events: loaded,
      openChanges: sidecar.store.countOpenChanges(),
      outbox: sidecar.store.outboxDepth().spans,
      topologyTraces,
    },
    'Demo history loaded',
  );
  if (!options.follow) {
    const emptied = await waitForOutboxEmpty(() => sidecar.store.outboxDepth().spans, Date.now() + 120_000);
    log.info(
      { exported: emptied },
      emptied ? 'Demo history exported to Tempo' : 'Tempo did not accept all demo spans within 2 minutes',
    );
    server.close();
    await sidecar.stop();
    process.exitCode = emptied ? 0 : 1;
    return;
  }
  // The rest of the history arrives live, each event when its time comes; so do topology traces.
  const topologyTimer = setInterval(() => void topology.catchUp(Date.now()), TOPOLOGY_WINDOW_MS);
  topologyTimer.unref();
  while (!stopped && !next.done) {
    const wait = next.value.eventCreatedOn * 1000 - Date.now();
    if (wait > 0) {
      // The timer is cleared on a signal: a pending one would keep the process alive for up to a
      // minute after Ctrl-C (and Docker kills a container 10 s after SIGTERM).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise((r) => {
          timer = setTimeout(r, Math.min(wait, 60_000));
        }),
        stopping,
      ]);
      clearTimeout(timer);
      continue;
    }
    sidecar.store.transaction(apply);
  }
  await stopping;
  clearInterval(topologyTimer);
  server.close();
  await sidecar.stop();
}
