import { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { Alert, InteractiveTable, LoadingPlaceholder, useStyles2, type Column } from '@grafana/ui';
import { fetchReviewLoad } from '../../api/sidecar-api.ts';
import { useSidecarAnswer } from '../../api/useSidecarAnswer.ts';
import type { ChangeListQuery, ReviewLoadPerson } from '../../review-model/code-review-api.ts';
import { FigureDefinition } from '../../review-model/figure-definitions.ts';
import { testIds } from '../../test-ids.ts';
import { reviewLoadUrl } from '../../view-model/api-query.ts';
import { describeFailure } from '../../view-model/errors.ts';
import { NO_VALUE, formatCount, formatDateTime, formatShare } from '../../view-model/format.ts';
import { ToggleSection } from './ToggleSection.tsx';
import { WaitSince } from './WaitSince.tsx';

// "Review load": per reviewer, the reviews given in the range and those waiting on them now
// (GET /api/load, under the page's filters), so a lead sees who carries the reviews and whether
// the load is balanced.

interface Props {
  query: ChangeListQuery;
  timeZone: TimeZone;
}

export function ReviewLoad({ query, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  const answer = useSidecarAnswer(open ? reviewLoadUrl(query) : undefined, () => fetchReviewLoad(query));
  const response = answer.response;
  const columns = useMemo(
    () => loadColumns(response?.asOfMs ?? 0, response?.reviews ?? 0, timeZone),
    [response, timeZone],
  );

  return (
    <ToggleSection
      title="Review load"
      open={open}
      onToggle={() => setOpen((o) => !o)}
      testId={testIds.codeReview.reviewLoad}
      toggleTestId={testIds.codeReview.reviewLoadToggle}
      tooltip={FigureDefinition.reviewLoad}
    >
      {answer.loading && <LoadingPlaceholder text="Counting the reviews…" />}
      {answer.error && (
        <Alert severity="error" title="The review load could not be loaded">
          {describeFailure(answer.error).detail}
        </Alert>
      )}
      {response?.tempoError && (
        <Alert severity="warning" title="Tempo could not be searched: only open changes are counted">
          {response.tempoError}
        </Alert>
      )}
      {response && (
        <div className={styles.body}>
          <div className={styles.summary} data-testid={testIds.codeReview.reviewLoadSummary}>
            {formatCount(response.reviews)} reviews given in the range by{' '}
            {formatCount(response.people.filter((p) => p.reviewsDone > 0).length)} people ·{' '}
            {formatCount(response.pending)} pending now, as of {formatDateTime(response.asOfMs, timeZone)}
          </div>
          {response.people.length > 0 && (
            <InteractiveTable<ReviewLoadPerson>
              columns={columns}
              data={response.people}
              getRowId={(p) => p.who}
              pageSize={15}
            />
          )}
        </div>
      )}
    </ToggleSection>
  );
}

function loadColumns(asOfMs: number, reviews: number, timeZone: TimeZone): Array<Column<ReviewLoadPerson>> {
  return [
    {
      id: 'who',
      header: 'Reviewer',
      sortType: 'string',
      cell: ({ row: { original: p } }) => <span data-testid={testIds.codeReview.reviewLoadPerson(p.who)}>{p.who}</span>,
    },
    {
      id: 'reviewsDone',
      header: 'Reviews given',
      sortType: 'number',
      cell: ({ row: { original: p } }) => formatCount(p.reviewsDone),
    },
    {
      id: 'share',
      header: 'Share',
      sortType: (a, b) => a.original.reviewsDone - b.original.reviewsDone,
      cell: ({ row: { original: p } }) => (reviews > 0 ? formatShare(p.reviewsDone / reviews) : NO_VALUE),
    },
    {
      id: 'changesReviewed',
      header: 'Changes reviewed',
      sortType: 'number',
      cell: ({ row: { original: p } }) => formatCount(p.changesReviewed),
    },
    {
      id: 'pending',
      header: 'Pending now',
      sortType: 'number',
      cell: ({ row: { original: p } }) => formatCount(p.pending),
    },
    {
      id: 'oldestPendingSinceMs',
      header: 'Longest pending',
      // Earlier "since" is a longer wait; none pending sorts last.
      sortType: (a, b) => (b.original.oldestPendingSinceMs ?? asOfMs) - (a.original.oldestPendingSinceMs ?? asOfMs),
      cell: ({ row: { original: p } }) =>
        p.oldestPendingSinceMs === undefined ? (
          NO_VALUE
        ) : (
          <WaitSince sinceMs={p.oldestPendingSinceMs} asOfMs={asOfMs} timeZone={timeZone} />
        ),
    },
  ];
}

const getStyles = (theme: GrafanaTheme2) => ({
  body: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1),
  }),
  summary: css({ color: theme.colors.text.secondary, marginBottom: theme.spacing(1) }),
});
