import type { Logger } from '../observability/logger.ts';
import { topologyTraces } from './service-topology.ts';
import { sendTopologySpans } from './topology-otlp.ts';

// The demo's microservice traces: the last hours at the first start, then a steady trickle, so the
// service-map panel shows a service graph next to the review traces. Each window of time gets its
// own deterministic traces (seeded by the window), and the time written up to is stored: a restart
// continues where the last run stopped and writes nothing twice.

export const TOPOLOGY_WINDOW_MS = 60_000;
const TRACES_PER_WINDOW = 4;
/** How far back the first start fills. */
const FIRST_FILL_MS = 6 * 3_600_000;
const KEY = 'demo_topology_until_ms';

export interface MetaStore {
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
}

export class TopologyFeed {
  private readonly endpoint: string;
  private readonly headers: Record<string, string>;
  private readonly store: MetaStore;
  private readonly log: Logger;
  private failing = false;

  constructor(endpoint: string, headers: Record<string, string>, store: MetaStore, log: Logger) {
    this.endpoint = endpoint;
    this.headers = headers;
    this.store = store;
    this.log = log;
  }

  /** Writes the windows that ended by `nowMs` and were not written yet. Never throws. */
  async catchUp(nowMs: number): Promise<number> {
    const lastWindowEnd = Math.floor(nowMs / TOPOLOGY_WINDOW_MS) * TOPOLOGY_WINDOW_MS;
    const stored = Number(this.store.getMeta(KEY));
    let from = Number.isFinite(stored) && stored > 0 ? stored : lastWindowEnd - FIRST_FILL_MS;
    let written = 0;
    try {
      while (from < lastWindowEnd) {
        // Up to an hour per request, so a long gap is filled in a few calls.
        const until = Math.min(lastWindowEnd, from + 60 * TOPOLOGY_WINDOW_MS);
        const spans = [];
        for (let w = from; w < until; w += TOPOLOGY_WINDOW_MS) {
          for (const t of topologyTraces({
            seed: w / TOPOLOGY_WINDOW_MS,
            traces: TRACES_PER_WINDOW,
            startMs: w,
            endMs: w + TOPOLOGY_WINDOW_MS - 5_000,
          })) {
            spans.push(...t.spans);
            written += 1;
          }
        }
        await sendTopologySpans(this.endpoint, spans, { headers: this.headers });
        this.store.setMeta(KEY, String(until));
        from = until;
      }
      if (this.failing) {
        this.log.info('Demo topology: Tempo accepts traces again');
        this.failing = false;
      }
    } catch (err) {
      if (!this.failing) {
        this.log.warn({ err: (err as Error).message }, 'Demo topology: could not send traces to Tempo; retrying');
        this.failing = true;
      }
    }
    return written;
  }
}
