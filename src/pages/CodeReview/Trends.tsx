import { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { FieldType, dateTimeFormat, type Field, type GrafanaTheme2 } from '@grafana/data';
import {
  Alert,
  InteractiveTable,
  LoadingPlaceholder,
  Sparkline,
  useStyles2,
  useTheme2,
  type Column,
} from '@grafana/ui';
import { fetchTrends } from '../../api/sidecar-api.ts';
import { useSidecarAnswer } from '../../api/useSidecarAnswer.ts';
import type { ChangeListQuery, TrendBucket } from '../../review-model/code-review-api.ts';
import { testIds } from '../../test-ids.ts';
import { trendsUrl } from '../../view-model/api-query.ts';
import { describeFailure } from '../../view-model/errors.ts';
import { formatCount, formatDuration, formatEstimate, formatRounds } from '../../view-model/format.ts';
import { ToggleSection } from './ToggleSection.tsx';

// "Trends": the review figures per day or week (GET /api/trends, under the page's filters), as
// Grafana sparklines for the shape and a table for the numbers with their sample sizes.

interface Props {
  query: ChangeListQuery;
}

const SPARK_WIDTH = 260;
const SPARK_HEIGHT = 48;

export function Trends({ query }: Props) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const [open, setOpen] = useState(false);
  const answer = useSidecarAnswer(open ? trendsUrl(query) : undefined, () => fetchTrends(query));
  const response = answer.response;
  const columns = useMemo(() => bucketColumns(response?.bucket ?? 'week'), [response]);
  const series = useMemo(
    () =>
      response
        ? [
            {
              title: 'Time to first review (median, by creation)',
              unit: 'ms',
              values: response.buckets.map((b) => b.timeToFirstReview.medianMs),
            },
            {
              title: 'Time to merge (median, by merge)',
              unit: 'ms',
              values: response.buckets.map((b) => b.timeToMerge.medianMs),
            },
            {
              title: 'Rounds (median, by merge)',
              unit: 'none',
              values: response.buckets.map((b) => b.rounds.median),
            },
          ]
        : [],
    [response],
  );

  return (
    <ToggleSection
      title="Trends"
      open={open}
      onToggle={() => setOpen((o) => !o)}
      testId={testIds.codeReview.trends}
      toggleTestId={testIds.codeReview.trendsToggle}
    >
      {answer.loading && <LoadingPlaceholder text="Loading the trends…" />}
      {answer.error && (
        <Alert severity="error" title="The trends could not be loaded">
          {describeFailure(answer.error).detail}
        </Alert>
      )}
      {response && (
        <div className={styles.body}>
          <div className={styles.sparks}>
            {series.map((s) => (
              <div key={s.title}>
                <div className={styles.sparkTitle}>{s.title}</div>
                <Sparkline
                  width={SPARK_WIDTH}
                  height={SPARK_HEIGHT}
                  theme={theme}
                  config={{ unit: s.unit, color: { mode: 'fixed', fixedColor: theme.colors.primary.main } }}
                  sparkline={{ x: timeField(response.buckets), y: numberField(s.title, s.values, s.unit) }}
                />
              </div>
            ))}
          </div>
          <InteractiveTable<TrendBucket>
            columns={columns}
            data={response.buckets}
            getRowId={(b) => String(b.startMs)}
            pageSize={12}
          />
        </div>
      )}
    </ToggleSection>
  );
}

function timeField(buckets: TrendBucket[]): Field {
  return { name: 'time', type: FieldType.time, values: buckets.map((b) => b.startMs), config: {} };
}

function numberField(name: string, values: Array<number | undefined>, unit: string): Field {
  // A bucket without a value is a gap in the line (null), not a zero. The sparkline scales its y axis
  // to the field's range, which Grafana's panels compute for it; here it is computed directly.
  const present = values.filter((v): v is number => v !== undefined);
  const min = present.length > 0 ? Math.min(...present) : 0;
  const max = present.length > 0 ? Math.max(...present) : 0;
  return {
    name,
    type: FieldType.number,
    values: values.map((v) => v ?? null),
    config: { unit },
    state: { range: { min, max, delta: max - min } },
  };
}

function bucketColumns(bucket: 'day' | 'week'): Array<Column<TrendBucket>> {
  return [
    {
      id: 'startMs',
      header: bucket === 'day' ? 'Day (UTC)' : 'Week from (Monday, UTC)',
      cell: ({ row: { original: b } }) => (
        <span data-testid={testIds.codeReview.trendRow(b.startMs)}>
          {dateTimeFormat(b.startMs, { format: 'YYYY-MM-DD', timeZone: 'utc' })}
        </span>
      ),
    },
    { id: 'created', header: 'Created', cell: ({ row: { original: b } }) => formatCount(b.created) },
    { id: 'merged', header: 'Merged', cell: ({ row: { original: b } }) => formatCount(b.merged) },
    {
      id: 'firstReview',
      header: 'First review, median (n)',
      cell: ({ row: { original: b } }) =>
        `${formatEstimate(b.timeToFirstReview.medianMs, b.timeToFirstReview.medianAtLeastMs)} (${formatCount(b.timeToFirstReview.n)}${b.timeToFirstReview.waiting > 0 ? `, ${formatCount(b.timeToFirstReview.waiting)} waiting` : ''})`,
    },
    {
      id: 'merge',
      header: 'Time to merge, median (n)',
      cell: ({ row: { original: b } }) => `${formatDuration(b.timeToMerge.medianMs)} (${formatCount(b.timeToMerge.n)})`,
    },
    {
      id: 'rounds',
      header: 'Rounds, median (n)',
      cell: ({ row: { original: b } }) => `${formatRounds(b.rounds.median)} (${formatCount(b.rounds.n)})`,
    },
  ];
}

const getStyles = (theme: GrafanaTheme2) => ({
  body: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1),
  }),
  sparks: css({ display: 'flex', flexWrap: 'wrap', gap: theme.spacing(3), marginBottom: theme.spacing(1) }),
  sparkTitle: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
