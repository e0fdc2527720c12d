import { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import type { TimeZone } from '@grafana/schema';
import { Alert, Button, InteractiveTable, LoadingPlaceholder, useStyles2, type Column } from '@grafana/ui';
import { fetchWaiting } from '../../api/sidecar-api.ts';
import { useSidecarAnswer } from '../../api/useSidecarAnswer.ts';
import type { ChangeListQuery, WaitingPerson } from '../../review-model/code-review-api.ts';
import { FigureDefinition } from '../../review-model/figure-definitions.ts';
import { testIds } from '../../test-ids.ts';
import { waitingUrl } from '../../view-model/api-query.ts';
import { describeFailure } from '../../view-model/errors.ts';
import { formatCount, formatDateTime, formatDuration } from '../../view-model/format.ts';
import { ToggleSection } from './ToggleSection.tsx';
import { WaitSince } from './WaitSince.tsx';

// "Waiting on": the people the open changes wait on, each with their queue (GET /api/waiting, under
// the page's filters). The longest wait comes first; a row opens to its changes, and a change opens
// its timeline.

interface Props {
  query: ChangeListQuery;
  onSelectChange: (changeNumber: number) => void;
  timeZone: TimeZone;
}

export function WaitingOn({ query, onSelectChange, timeZone }: Props) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  const answer = useSidecarAnswer(open ? waitingUrl(query) : undefined, () => fetchWaiting(query));
  const response = answer.response;
  const columns = useMemo(() => personColumns(response?.asOfMs ?? 0, timeZone), [response, timeZone]);

  return (
    <ToggleSection
      title="Waiting on"
      open={open}
      onToggle={() => setOpen((o) => !o)}
      testId={testIds.codeReview.waiting}
      toggleTestId={testIds.codeReview.waitingToggle}
      tooltip={FigureDefinition.waitingOn}
    >
      {answer.loading && <LoadingPlaceholder text="Loading the queues…" />}
      {answer.error && (
        <Alert severity="error" title="The queues could not be loaded">
          {describeFailure(answer.error).detail}
        </Alert>
      )}
      {response && (
        <div className={styles.body}>
          <div className={styles.summary} data-testid={testIds.codeReview.waitingSummary}>
            {formatCount(response.openChanges)} open changes wait on {formatCount(response.people.length)} people
            {response.onCi > 0 ? ` (${formatCount(response.onCi)} on CI)` : ''}, as of{' '}
            {formatDateTime(response.asOfMs, timeZone)}
          </div>
          {response.people.length > 0 && (
            <InteractiveTable<WaitingPerson>
              columns={columns}
              data={response.people}
              getRowId={(p) => p.who}
              pageSize={10}
              renderExpandedRow={(p) => (
                <ul className={styles.changes}>
                  {p.changes.map((c) => (
                    <li key={`${c.number}-${c.role}`} data-testid={testIds.codeReview.waitingChange(p.who, c.number)}>
                      <Button size="sm" fill="text" onClick={() => onSelectChange(c.number)}>
                        {c.number}
                      </Button>{' '}
                      {c.subject} <span className={styles.muted}>({c.project})</span> · as {c.role} for{' '}
                      {formatDuration(response.asOfMs - c.sinceMs)}
                    </li>
                  ))}
                </ul>
              )}
            />
          )}
        </div>
      )}
    </ToggleSection>
  );
}

function personColumns(asOfMs: number, timeZone: TimeZone): Array<Column<WaitingPerson>> {
  return [
    {
      id: 'who',
      header: 'Person',
      sortType: 'string',
      cell: ({ row: { original: p } }) => (
        <span data-testid={testIds.codeReview.waitingPerson(p.who)} title={p.name}>
          {p.who}
        </span>
      ),
    },
    {
      id: 'count',
      header: 'Waiting changes',
      sortType: (a, b) => a.original.changes.length - b.original.changes.length,
      cell: ({ row: { original: p } }) => formatCount(p.changes.length),
    },
    {
      id: 'asReviewer',
      header: 'To review',
      sortType: 'number',
      cell: ({ row: { original: p } }) => formatCount(p.asReviewer),
    },
    {
      id: 'asAuthor',
      header: 'Own, to rework',
      sortType: 'number',
      cell: ({ row: { original: p } }) => formatCount(p.asAuthor),
    },
    {
      id: 'oldestSinceMs',
      header: 'Longest wait',
      // Earlier "since" is a longer wait.
      sortType: (a, b) => b.original.oldestSinceMs - a.original.oldestSinceMs,
      cell: ({ row: { original: p } }) => <WaitSince sinceMs={p.oldestSinceMs} asOfMs={asOfMs} timeZone={timeZone} />,
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
  changes: css({ listStyle: 'none', margin: 0, padding: theme.spacing(0.5, 2) }),
  muted: css({ color: theme.colors.text.secondary }),
});
