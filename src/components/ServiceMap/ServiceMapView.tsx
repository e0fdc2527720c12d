import { useCallback, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { config } from '@grafana/runtime';
import { Alert, Icon, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { fetchServiceMap } from '../../api/sidecar-api.ts';
import { useSidecarAnswer } from '../../api/useSidecarAnswer.ts';
import { exploreTraceQL, type ServiceMapQuery } from '../../review-model/service-map-api.ts';
import { testIds } from '../../test-ids.ts';
import { exploreQueryUrl } from '../../view-model/explore-url.ts';
import {
  drawable,
  legendEntries,
  serviceMapUrl,
  type ServiceMapPanelOptions,
} from '../../view-model/service-map-view.ts';
import { GraphView, formatStat, type Selection } from './GraphView.tsx';
import { Legend } from './Legend.tsx';

// A service map for one query: GET /api/servicemap through the app's proxy route → the graph, its
// legend and the details of what was clicked, with clear states for loading, errors, no data and a
// map cut by the node limit. The service-map panel and the Code Review page's "Who reviews whom"
// both draw with it.

interface Props {
  query: ServiceMapQuery;
  options: ServiceMapPanelOptions;
  width: number;
  height: number;
}

export function ServiceMapView({ query, options, width, height }: Props) {
  const styles = useStyles2(getStyles);
  const url = serviceMapUrl(query);
  const answer = useSidecarAnswer(url, () => fetchServiceMap(url));
  const [selected, setSelected] = useState<{ url: string; selection: Selection } | undefined>(undefined);
  const selection = selected?.url === url ? selected.selection : undefined;
  const map = answer.response;
  const drawn = useMemo(
    () => (map ? drawable(map, options) : undefined),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [map, options.nodeStat, options.edgeStat, options.errorWarn, options.errorBad],
  );
  const onSelect = useCallback((s: Selection | undefined) => setSelected(s ? { url, selection: s } : undefined), [url]);

  if (answer.loading) {
    return (
      <div data-testid={testIds.serviceMap.loading}>
        <LoadingPlaceholder text="Building the service map…" />
      </div>
    );
  }
  if (answer.error) {
    const badFilter = answer.error.code === 'bad_request';
    return (
      <div data-testid={testIds.serviceMap.error} className={styles.message}>
        <Alert
          severity={badFilter ? 'warning' : 'error'}
          title={
            badFilter
              ? 'The panel’s filter or options are not valid'
              : answer.error.code === 'tempo_unreachable'
                ? 'Tempo could not be searched'
                : 'The service map could not be loaded'
          }
        >
          {answer.error.message}
        </Alert>
      </div>
    );
  }
  if (!map || !drawn || map.nodes.length === 0) {
    return (
      <div data-testid={testIds.serviceMap.noData} className={styles.message}>
        <Alert severity="info" title="No spans in this time range match the filter">
          The map is built from the search <code>{map?.query}</code>. Widen the time range, or check the filter in the
          panel options.
        </Alert>
      </div>
    );
  }

  const datasourceUid = options.datasourceUid || tempoDatasourceUid();
  const explore = (target: Parameters<typeof exploreTraceQL>[1]) =>
    datasourceUid
      ? exploreQueryUrl({
          appSubUrl: config.appSubUrl,
          datasourceUid,
          query: exploreTraceQL(query, target),
          range: { from: String(query.from), to: String(query.to) },
        })
      : undefined;

  const legendHeight = 28;
  const bannerHeight = map.truncated || map.partialTraces > 0 || map.traceLimitReached ? 28 : 0;
  const graphHeight = Math.max(50, height - legendHeight - bannerHeight);
  return (
    <div data-testid={testIds.serviceMap.panel} className={styles.panel} style={{ width, height }}>
      {bannerHeight > 0 && (
        <div className={styles.banner} data-testid={testIds.serviceMap.truncated}>
          {map.truncated
            ? `Showing the ${map.nodes.length} busiest nodes: ${map.truncated.nodes} nodes and ${map.truncated.edges} edges left out (node limit in the panel options). `
            : ''}
          {map.traceLimitReached ? `Built from the first ${map.traces} traces of the range. ` : ''}
          {map.partialTraces > 0 ? `${map.partialTraces} traces were read only in part.` : ''}
        </div>
      )}
      <GraphView
        nodes={drawn.nodes}
        edges={drawn.edges}
        layout={options.layout}
        nodeStat={options.nodeStat}
        edgeStat={options.edgeStat}
        width={width}
        height={graphHeight}
        onSelect={onSelect}
      />
      <Legend
        entries={legendEntries(drawn.nodes, options)}
        summary={`${map.nodes.length} nodes · ${map.edges.length} edges · ${map.traces} traces · ${map.spans} spans`}
      />
      {selection && (
        <Details
          selection={selection}
          drawn={drawn}
          exploreUrl={
            selection.kind === 'node'
              ? explore({ node: selection.id })
              : (() => {
                  const e = drawn.edges.find((x) => x.id === selection.id);
                  return e ? explore({ source: e.source, target: e.target, type: e.type }) : undefined;
                })()
          }
        />
      )}
    </div>
  );
}

function tempoDatasourceUid(): string | undefined {
  return Object.values(config.datasources).find((d) => d.type === 'tempo')?.uid;
}

function Details({
  selection,
  drawn,
  exploreUrl,
}: {
  selection: Selection;
  drawn: NonNullable<ReturnType<typeof drawable>>;
  exploreUrl?: string;
}) {
  const styles = useStyles2(getStyles);
  const rows: Array<[string, string]> = [];
  let title = selection.id;
  if (selection.kind === 'node') {
    const n = drawn.nodes.find((x) => x.id === selection.id);
    if (!n) {
      return null;
    }
    title = `${n.label} (${n.kind})`;
    rows.push(
      ['requests', formatStat('count', n.stats.count)],
      ['rate', formatStat('ratePerSec', n.stats.ratePerSec)],
      ['errors', `${formatStat('count', n.stats.errors)} (${formatStat('errorShare', n.stats.errorShare)})`],
      ['p50 / p95', `${formatStat('p50Ms', n.stats.p50Ms)} / ${formatStat('p95Ms', n.stats.p95Ms)}`],
    );
  } else {
    const e = drawn.edges.find((x) => x.id === selection.id);
    if (!e) {
      return null;
    }
    title = `${e.source} → ${e.target}${e.type ? ` (${e.type})` : ''}`;
    rows.push(
      ['calls', formatStat('calls', e.stats.calls)],
      ['traces', formatStat('traces', e.stats.traces)],
      ['rate', formatStat('ratePerSec', e.stats.ratePerSec)],
      ['errors', `${formatStat('count', e.stats.errors)} (${formatStat('errorShare', e.stats.errorShare)})`],
      ['p50 / p95', `${formatStat('p50Ms', e.stats.p50Ms)} / ${formatStat('p95Ms', e.stats.p95Ms)}`],
    );
    if (e.stats.serverP50Ms !== undefined) {
      rows.push([
        'server p50 / p95',
        `${formatStat('p50Ms', e.stats.serverP50Ms)} / ${formatStat('p95Ms', e.stats.serverP95Ms)}`,
      ]);
    }
  }
  return (
    <div className={styles.details} data-testid={testIds.serviceMap.details}>
      <strong>{title}</strong>
      <table className={styles.table}>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {exploreUrl ? (
        // A plain link: LinkButton passes its href through textUtil.sanitizeUrl, which decodes it
        // until nothing is left to decode, and a TraceQL `&&` then splits the URL's parameters.
        <a href={exploreUrl} className={styles.exploreLink} data-testid={testIds.serviceMap.exploreLink}>
          <Icon name="compass" /> Open in Explore
        </a>
      ) : (
        <span className={styles.hint}>
          Add a Tempo data source (or choose one in the panel options) for Explore links.
        </span>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({ position: 'relative', display: 'flex', flexDirection: 'column' }),
  message: css({ padding: theme.spacing(1) }),
  banner: css({
    height: 28,
    lineHeight: '28px',
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.warning.text,
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    textOverflow: 'ellipsis',
  }),
  details: css({
    position: 'absolute',
    top: theme.spacing(1),
    right: theme.spacing(1),
    minWidth: 220,
    padding: theme.spacing(1),
    background: theme.colors.background.primary,
    border: `1px solid ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.default,
    boxShadow: theme.shadows.z2,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  table: css({
    margin: theme.spacing(0.5, 0),
    'td:first-child': { color: theme.colors.text.secondary, paddingRight: theme.spacing(1) },
  }),
  hint: css({ color: theme.colors.text.secondary }),
  exploreLink: css({
    display: 'inline-flex',
    gap: theme.spacing(0.5),
    alignItems: 'center',
    padding: theme.spacing(0.25, 1),
    borderRadius: theme.shape.radius.default,
    border: `1px solid ${theme.colors.border.medium}`,
    background: theme.colors.secondary.main,
    color: theme.colors.secondary.text,
    '&:hover': { background: theme.colors.secondary.shade },
  }),
});
