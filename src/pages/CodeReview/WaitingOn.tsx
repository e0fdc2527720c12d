import { useEffect, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, InteractiveTable, LoadingPlaceholder, useStyles2, type Column } from '@grafana/ui';
import { fetchWaiting } from '../../api/sidecar-api.ts';
import type { ChangeListQuery, WaitingPerson, WaitingResponse } from '../../review-model/code-review-api.ts';
import { FigureDefinition } from '../../review-model/figure-definitions.ts';
import { testIds } from '../../test-ids.ts';
import { waitingUrl } from '../../view-model/api-query.ts';
import { describeFailure, type ApiFailure } from '../../view-model/errors.ts';
import { formatCount, formatDateTime, formatDuration } from '../../view-model/format.ts';

// "Waiting on": the people the open changes wait on, each with their queue (GET /api/waiting, under
// the page's filters). The longest wait comes first; a row opens to its changes, and a change opens
// its timeline.

interface Props {
  query: ChangeListQuery;
  onSelectChange: (changeNumber: number) => void;
}

type Answer = { key: string; response: WaitingResponse } | { key: string; error: ApiFailure };

export function WaitingOn({ query, onSelectChange }: Props) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  const [answer, setAnswer] = useState<Answer | undefined>(undefined);
  const key = waitingUrl(query);

  useEffect(() => {
    if (!open) {
      return;
    }
    let current = true;
    fetchWaiting(query).then(
      (response) => current && setAnswer({ key, response }),
      (error: ApiFailure) => current && setAnswer({ key, error }),
    );
    return () => {
      current = false;
    };
    // `key` (the request's URL) stands for the query's content.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, key]);

  const state = answer?.key === key ? answer : undefined;
  const response = state && 'response' in state ? state.response : undefined;
  const columns = useMemo(() => personColumns(response?.asOfMs ?? 0), [response]);

  return (
    <section className={styles.section} data-testid={testIds.codeReview.waiting}>
      <Button
        variant="secondary"
        fill="text"
        size="sm"
        icon={open ? 'angle-down' : 'angle-right'}
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
        tooltip={FigureDefinition.waitingOn}
        data-testid={testIds.codeReview.waitingToggle}
      >
        Waiting on
      </Button>
      {open && !state && <LoadingPlaceholder text="Loading the queues…" />}
      {open && state && 'error' in state && (
        <Alert severity="error" title="The queues could not be loaded">
          {describeFailure(state.error).detail}
        </Alert>
      )}
      {open && response && (
        <div className={styles.body}>
          <div className={styles.summary} data-testid={testIds.codeReview.waitingSummary}>
            {formatCount(response.openChanges)} open changes wait on {formatCount(response.people.length)} people
            {response.onCi > 0 ? ` (${formatCount(response.onCi)} on CI)` : ''}, as of {formatDateTime(response.asOfMs)}
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
    </section>
  );
}

function personColumns(asOfMs: number): Array<Column<WaitingPerson>> {
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
      cell: ({ row: { original: p } }) => (
        <span title={`since ${formatDateTime(p.oldestSinceMs)}`}>{formatDuration(asOfMs - p.oldestSinceMs)}</span>
      ),
    },
  ];
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ marginBottom: theme.spacing(1) }),
  body: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1),
  }),
  summary: css({ color: theme.colors.text.secondary, marginBottom: theme.spacing(1) }),
  changes: css({ listStyle: 'none', margin: 0, padding: theme.spacing(0.5, 2) }),
  muted: css({ color: theme.colors.text.secondary }),
});
