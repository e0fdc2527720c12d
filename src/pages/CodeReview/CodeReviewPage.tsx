import { useCallback, useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { rangeUtil, type AppPluginMeta, type GrafanaTheme2 } from '@grafana/data';
import { config, PluginPage } from '@grafana/runtime';
import { Alert, useStyles2 } from '@grafana/ui';
import type { SortKey } from '../../review-model/code-review-api.ts';
import { prefetchedNow } from '../../api/change-list-prefetch.ts';
import { testIds } from '../../test-ids.ts';
import type { AppSettings } from '../../types.ts';
import { changeListQuery, changeListSearch, pageRange, pageTimeZone } from '../../view-model/api-query.ts';
import { describeFailure } from '../../view-model/errors.ts';
import { formatCount, formatDateTime } from '../../view-model/format.ts';
import { clearFilters, hasFilters, nextSort, type CodeReviewUrlState } from '../../view-model/url-state.ts';
import { ChangeTable } from './ChangeTable.tsx';
import { Filters } from './Filters.tsx';
import { StatsRow } from './StatsRow.tsx';
import { EmptyState, ErrorState, LoadingState, NoMatchState } from './States.tsx';
import { TimelinePanel } from './TimelinePanel.tsx';
import { useChangeDetail } from './useChangeDetail.ts';
import { useChangeList } from './useChangeList.ts';
import { useUrlState } from './useUrlState.ts';
import { ReviewLoad } from './ReviewLoad.tsx';
import { Trends } from './Trends.tsx';
import { WaitingOn } from './WaitingOn.tsx';
import { WhoReviewsWhom } from './WhoReviewsWhom.tsx';

interface Props {
  meta: AppPluginMeta<AppSettings>;
}

/** The Code Review page: filters and range (all in the URL), headline stats, the change list and one change's timeline. */
export default function CodeReviewPage({ meta }: Props) {
  const styles = useStyles2(getStyles);
  const [state, setState] = useUrlState();
  // The time the range resolves against: the prefetch's (module.tsx) when it asked for this URL, so
  // the page's first request is the one already on its way.
  const [nowMs, setNowMs] = useState(() => prefetchedNow(window.location.search) ?? Date.now());
  const [reload, setReload] = useState(0);

  const timeZone = pageTimeZone(state, config.bootData?.user?.timezone);
  const range = useMemo(() => pageRange(state, nowMs, timeZone), [state, nowMs, timeZone]);
  const listQuery = useMemo(() => changeListQuery(state, range), [state, range]);
  const baseSearch = changeListSearch(listQuery);
  const list = useChangeList(baseSearch, reload);
  const detail = useChangeDetail(state.change, reload);

  const update = useCallback(
    (next: CodeReviewUrlState) => {
      if (next.from !== state.from || next.to !== state.to || next.timezone !== state.timezone) {
        // A new range is resolved against the current time.
        setNowMs(Date.now());
      }
      setState(next);
    },
    [setState, state.from, state.to, state.timezone],
  );
  const refresh = useCallback(() => {
    setNowMs(Date.now());
    setReload((r) => r + 1);
  }, []);
  useAutoRefresh(state.refresh, refresh);
  const onSort = useCallback((key: SortKey) => update({ ...state, ...nextSort(state, key) }), [state, update]);
  const onSelect = useCallback(
    (changeNumber: number) => update({ ...state, change: state.change === changeNumber ? undefined : changeNumber }),
    [state, update],
  );

  const response = list.response;
  const current = !list.loading && !list.error ? response : undefined;

  let body;
  if (list.error) {
    body = <ErrorState failure={list.error} onRetry={refresh} />;
  } else if (list.loading || !current) {
    body = <LoadingState />;
  } else if (current.total === 0) {
    body = hasFilters(state) ? <NoMatchState onClear={() => update(clearFilters(state))} /> : <EmptyState />;
  } else {
    body = (
      <>
        <div className={styles.tableCaption} data-testid={testIds.codeReview.tableTotal}>
          {formatCount(current.total)} changes active in the range (closed ones whose life overlaps it, open ones
          created before its end) as of {formatDateTime(current.asOfMs, timeZone)} · click one to see its timeline
        </div>
        <ChangeTable
          total={current.total}
          row={list.row}
          ensureRows={list.ensureRows}
          sort={state.sort}
          dir={state.dir}
          onSort={onSort}
          selected={state.change}
          onSelect={onSelect}
          nowMs={nowMs}
          timeZone={timeZone}
        />
      </>
    );
  }

  return (
    <PluginPage>
      <div className={styles.page} data-testid={testIds.codeReview.page}>
        <Filters
          state={state}
          range={range}
          timeZone={timeZone}
          facets={response?.facets}
          onChange={update}
          onRefresh={refresh}
          loading={list.loading}
        />
        {!range.readable && (
          <Alert severity="warning" title="The time range in the URL could not be read">
            Showing the last 7 days instead of “{state.from}” to “{state.to}”.
          </Alert>
        )}
        {response && !list.error && <StatsRow stats={response.stats} dimmed={list.loading} />}
        {current?.sources.tempo === 'error' && (
          <div data-testid={testIds.codeReview.tempoWarning}>
            <Alert severity="warning" title="Tempo could not be searched">
              Only open changes from the sidecar’s live state are shown ({formatCount(current.sources.overlay)}).{' '}
              {current.sources.tempoError ??
                'Check that Tempo is running and reachable from the sidecar (tempo.queryUrl); the sidecar’s log says what failed.'}
            </Alert>
          </div>
        )}
        {current?.sources.truncated && (
          <div data-testid={testIds.codeReview.truncatedWarning}>
            <Alert severity="warning" title="Not every change of the range is listed">
              Tempo answered as many closed changes as the sidecar reads for one range (query.maxChanges), so the list
              and its figures cover only part of it. Narrow the time range, or raise query.maxChanges.
            </Alert>
          </div>
        )}
        {list.pageError && (
          <Alert severity="warning" title="Some rows could not be loaded">
            {describeFailure(list.pageError).detail}. Scroll again to retry.
          </Alert>
        )}
        <WaitingOn query={listQuery} onSelectChange={onSelect} timeZone={timeZone} />
        <ReviewLoad query={listQuery} timeZone={timeZone} />
        <Trends query={listQuery} />
        <WhoReviewsWhom state={state} range={range} />
        {state.change !== undefined && (
          <TimelinePanel
            changeNumber={state.change}
            detail={detail}
            tempoDatasourceUid={meta.jsonData?.tempoDatasourceUid}
            timeZone={timeZone}
            onClose={() => update({ ...state, change: undefined })}
          />
        )}
        {body}
      </div>
    </PluginPage>
  );
}

/** Calls `refresh` every `interval` ("5m") while one is chosen in the refresh picker. */
function useAutoRefresh(interval: string | undefined, refresh: () => void) {
  useEffect(() => {
    if (!interval) {
      return;
    }
    const timer = setInterval(refresh, rangeUtil.intervalToMs(interval));
    return () => clearInterval(timer);
  }, [interval, refresh]);
}

const getStyles = (theme: GrafanaTheme2) => ({
  page: css({ display: 'flex', flexDirection: 'column' }),
  tableCaption: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginBottom: theme.spacing(0.5),
  }),
});
