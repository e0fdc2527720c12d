// Links from a change to Grafana Explore. Framework-free (unit-tested with node --test).

export interface ExploreTraceLink {
  /** Grafana's sub-path (config.appSubUrl), "" at the root. */
  appSubUrl?: string;
  /** The Tempo data source (the app's jsonData.tempoDatasourceUid). */
  datasourceUid: string;
  /** 32 hex digits. */
  traceId: string;
  /** The change's time span; the range is padded so the whole trace is inside. */
  startMs?: number;
  endMs?: number;
  orgId?: number;
}

const HOUR = 3_600_000;

/**
 * Explore with one pane that runs a Tempo TraceQL query for the trace id (Tempo opens a trace id
 * query in its trace view).
 */
export function exploreTraceUrl(link: ExploreTraceLink): string {
  const padded =
    link.startMs !== undefined && link.endMs !== undefined && link.endMs >= link.startMs
      ? { from: String(Math.floor(link.startMs - HOUR)), to: String(Math.ceil(link.endMs + HOUR)) }
      : { from: 'now-30d', to: 'now' };
  return exploreQueryUrl({ ...link, query: link.traceId, range: padded });
}

export interface ExploreQueryLink {
  appSubUrl?: string;
  datasourceUid: string;
  /** TraceQL (or a trace id). */
  query: string;
  /** Epoch ms as strings, or Grafana's relative times (now-6h). */
  range: { from: string; to: string };
  orgId?: number;
}

/** Explore with one Tempo pane running `query`, in Explore's `schemaVersion=1&panes=` URL format (Grafana >= 10). */
export function exploreQueryUrl(link: ExploreQueryLink): string {
  const datasource = { type: 'tempo', uid: link.datasourceUid };
  const panes = {
    reviewtrace: {
      datasource: link.datasourceUid,
      queries: [{ refId: 'A', datasource, queryType: 'traceql', query: link.query }],
      range: link.range,
    },
  };
  const params = new URLSearchParams();
  params.set('schemaVersion', '1');
  params.set('panes', JSON.stringify(panes));
  if (link.orgId !== undefined) {
    params.set('orgId', String(link.orgId));
  }
  return `${trimSlash(link.appSubUrl ?? '')}/explore?${params.toString()}`;
}

function trimSlash(s: string): string {
  return s.endsWith('/') ? s.slice(0, -1) : s;
}
