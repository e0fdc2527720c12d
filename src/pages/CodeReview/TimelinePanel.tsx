import { useEffect } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { config } from '@grafana/runtime';
import { Alert, Drawer, LinkButton, LoadingPlaceholder, Tooltip, useStyles2 } from '@grafana/ui';
import { testIds } from '../../test-ids.ts';
import { exploreTraceUrl } from '../../view-model/explore-url.ts';
import { describeFailure } from '../../view-model/errors.ts';
import { formatDateTime, formatDuration, statusLabel } from '../../view-model/format.ts';
import { configPagePath } from '../../view-model/api-query.ts';
import { httpLink } from '../../view-model/safe-link.ts';
import { TimelineChart } from './TimelineChart.tsx';
import type { ChangeDetailState } from './useChangeDetail.ts';

interface Props {
  changeNumber: number;
  detail: ChangeDetailState;
  tempoDatasourceUid?: string;
  timeZone: TimeZone;
  onClose: () => void;
}

/**
 * One change in Grafana's Drawer, over the list (in a portal, so the list keeps its place and
 * scroll): its facts, links to Explore and Gerrit, and its timeline. Esc or the close button
 * closes it; the open change is in the URL (`change`), so a reload reopens it.
 */
export function TimelinePanel({ changeNumber, detail, tempoDatasourceUid, timeZone, onClose }: Props) {
  const styles = useStyles2(getStyles);
  const response = detail.response;
  const change = response?.change;
  const exploreUrl =
    change && tempoDatasourceUid
      ? exploreTraceUrl({
          appSubUrl: config.appSubUrl,
          datasourceUid: tempoDatasourceUid,
          traceId: change.traceId,
          startMs: response.timeline.startMs,
          endMs: response.timeline.endMs,
          orgId: config.bootData?.user?.orgId,
        })
      : undefined;

  useCloseOnEscape(onClose);

  return (
    <Drawer
      title={
        <div className={styles.title} data-testid={testIds.timeline.title}>
          <strong>#{changeNumber}</strong> {change?.subject ?? ''}
        </div>
      }
      size="lg"
      scrollableContent={false}
      onClose={onClose}
    >
      <section
        className={styles.panel}
        data-testid={testIds.timeline.panel}
        aria-label={`Timeline of change ${changeNumber}`}
      >
        {change && (
          <div className={styles.header}>
            <div className={styles.facts}>
              <span>{statusLabel(change.status, change.wip)}</span>
              <span>
                {change.project} · {change.branch}
              </span>
              <span>by {change.ownerName ?? change.owner}</span>
              <span>created {formatDateTime(change.createdMs, timeZone)}</span>
              <span>
                {change.patchSets} patch set{change.patchSets === 1 ? '' : 's'}, {change.rounds} round
                {change.rounds === 1 ? '' : 's'}
              </span>
              {change.timeToFirstReviewMs !== undefined && (
                <span>first review after {formatDuration(change.timeToFirstReviewMs)}</span>
              )}
              {change.timeToMergeMs !== undefined && <span>merged after {formatDuration(change.timeToMergeMs)}</span>}
              {change.source === 'overlay' && (
                <span title={PARTIAL_TRACE_NOTE} data-testid={testIds.timeline.partialTrace}>
                  live: its trace in Tempo is partial until it closes
                </span>
              )}
              {change.firstSeenMs !== undefined && (
                <span data-testid={testIds.timeline.partialHistory}>
                  history from {formatDateTime(change.firstSeenMs, timeZone)} (the sidecar first saw it then: earlier
                  facts are unknown)
                </span>
              )}
            </div>
            <div className={styles.actions}>
              <ExploreLink exploreUrl={exploreUrl} partial={change.source === 'overlay'} />
              {httpLink(change.url) && (
                <LinkButton
                  href={httpLink(change.url)}
                  target="_blank"
                  rel="noopener noreferrer"
                  icon="external-link-alt"
                  variant="secondary"
                  size="sm"
                  data-testid={testIds.timeline.gerritLink}
                >
                  Open in Gerrit
                </LinkButton>
              )}
            </div>
          </div>
        )}
        {detail.loading && (
          <div data-testid={testIds.timeline.loading}>
            <LoadingPlaceholder text="Loading the timeline…" />
          </div>
        )}
        {detail.error && <TimelineError changeNumber={changeNumber} failure={detail.error} />}
        {response && (
          <TimelineChart key={changeNumber} timeline={response.timeline} nowMs={detail.atMs} timeZone={timeZone} />
        )}
      </section>
    </Drawer>
  );
}

/**
 * Esc closes the drawer. The Drawer has its own handler (a window listener of its portal); the page
 * listens too, on the document so that it runs first and the drawer closes once, because an Esc
 * after a reload with `change` in the URL did not close it in the browser tests (cause not pinned
 * down; an open tooltip takes the first Esc, as popups do).
 */
function useCloseOnEscape(onClose: () => void) {
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !e.defaultPrevented && !e.isComposing) {
        e.stopPropagation();
        onClose();
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, [onClose]);
}

/** What Tempo's trace view shows of a change that is not closed (docs/span-schema.md). */
export const PARTIAL_TRACE_NOTE =
  'This change is not closed yet: its change and current patch set spans are written when they end, so Tempo shows the spans so far without those parents. The timeline here draws the open parts from the sidecar.';

/** Opens the trace in Explore, or, with no Tempo data source chosen yet, the configuration page. */
function ExploreLink({ exploreUrl, partial }: { exploreUrl: string | undefined; partial: boolean }) {
  const button = (
    <LinkButton
      href={exploreUrl ?? configPagePath(config.appSubUrl)}
      icon="compass"
      variant="secondary"
      size="sm"
      data-testid={testIds.timeline.exploreLink}
    >
      {exploreUrl ? 'Open trace in Explore' : 'Set up Explore link'}
    </LinkButton>
  );
  if (!exploreUrl) {
    return <Tooltip content="Choose the Tempo data source on the app's configuration page.">{button}</Tooltip>;
  }
  return partial ? <Tooltip content={PARTIAL_TRACE_NOTE}>{button}</Tooltip> : button;
}

function TimelineError({
  changeNumber,
  failure,
}: {
  changeNumber: number;
  failure: NonNullable<ChangeDetailState['error']>;
}) {
  const advice =
    failure.status === 404
      ? {
          title: `Change ${changeNumber} was not found`,
          detail: failure.message,
          checks: ['It may be older than Tempo’s retention, or not ingested yet.'],
        }
      : describeFailure(failure);
  return (
    <div data-testid={testIds.timeline.error}>
      <Alert severity="error" title={advice.title}>
        <div>{advice.detail}</div>
        <ul>
          {advice.checks.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
      </Alert>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  // Fills the drawer: the chart's lane area takes the height left and scrolls on its own.
  panel: css({ display: 'flex', flexDirection: 'column', height: '100%', minHeight: 0, gap: theme.spacing(1) }),
  header: css({
    display: 'flex',
    alignItems: 'flex-start',
    justifyContent: 'space-between',
    gap: theme.spacing(1),
    flex: 'none',
  }),
  title: css({
    fontSize: theme.typography.h4.fontSize,
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    paddingRight: theme.spacing(4),
  }),
  actions: css({ display: 'flex', gap: theme.spacing(1), alignItems: 'center', flex: 'none' }),
  facts: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(0.5, 2),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
});
