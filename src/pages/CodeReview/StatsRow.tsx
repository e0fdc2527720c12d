import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Icon, Tooltip, useStyles2 } from '@grafana/ui';
import { FigureDefinition } from '../../review-model/figure-definitions.ts';
import type { Distribution, HeadlineStats } from '../../review-model/code-review-api.ts';
import { testIds } from '../../test-ids.ts';
import { firstReviewNote, formatCount, formatEstimate, formatRounds, formatShare } from '../../view-model/format.ts';

interface Props {
  stats: HeadlineStats;
  dimmed?: boolean;
}

/** The headline numbers over the whole filtered set. */
export function StatsRow({ stats, dimmed }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.row} data-testid={testIds.codeReview.stats} style={dimmed ? { opacity: 0.5 } : undefined}>
      <Stat
        label="Changes"
        definition={FigureDefinition.changes}
        values={[{ testId: testIds.codeReview.statCount, value: formatCount(stats.count) }]}
        note={`${formatCount(stats.open)} open · ${formatCount(stats.merged)} merged · ${formatCount(stats.abandoned)} abandoned`}
      />
      <Stat
        label="Time to first review"
        definition={FigureDefinition.timeToFirstReview}
        values={durationValues(
          stats.timeToFirstReview,
          testIds.codeReview.statTtfrMedian,
          testIds.codeReview.statTtfrP90,
        )}
        note={firstReviewNote(stats.timeToFirstReview)}
        noteTestId={testIds.codeReview.statTtfrNote}
      />
      <Stat
        label="Time to merge"
        definition={FigureDefinition.timeToMerge}
        values={durationValues(stats.timeToMerge, testIds.codeReview.statTtmMedian, testIds.codeReview.statTtmP90)}
        note={`n = ${formatCount(stats.timeToMerge.n)} merged`}
        noteTestId={testIds.codeReview.statTtmNote}
      />
      <Stat
        label="Review rounds"
        definition={FigureDefinition.rounds}
        values={[
          { testId: testIds.codeReview.statRoundsMedian, value: formatRounds(stats.medianRounds), unit: 'median' },
        ]}
        note={`n = ${formatCount(stats.roundsN)} · patch sets that got a review`}
        noteTestId={testIds.codeReview.statRoundsNote}
      />
      <Stat
        label="Abandoned"
        definition={FigureDefinition.abandoned}
        values={[{ testId: testIds.codeReview.statAbandonedShare, value: formatShare(stats.abandonedShare) }]}
        note="of closed changes"
      />
    </div>
  );
}

interface StatValue {
  testId: string;
  value: string;
  unit?: string;
}

interface StatProps {
  label: string;
  /** What the figure means (a tooltip on its label). */
  definition: string;
  values: StatValue[];
  note?: string;
  noteTestId?: string;
}

/** A duration's median and p90, as a stat shows them ("> 3d" where only a lower bound is known). */
function durationValues(
  distribution: Distribution & { medianAtLeastMs?: number; p90AtLeastMs?: number },
  medianTestId: string,
  p90TestId: string,
): StatValue[] {
  return [
    {
      testId: medianTestId,
      value: formatEstimate(distribution.medianMs, distribution.medianAtLeastMs),
      unit: 'median',
    },
    { testId: p90TestId, value: formatEstimate(distribution.p90Ms, distribution.p90AtLeastMs), unit: 'p90' },
  ];
}

function Stat({ label, definition, values, note, noteTestId }: StatProps) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.stat}>
      <Tooltip content={definition} placement="top">
        <div className={styles.label}>
          {label} <Icon name="info-circle" size="sm" aria-label={`What "${label}" means`} />
        </div>
      </Tooltip>
      <div className={styles.values}>
        {values.map((v) => (
          <div key={v.testId} className={styles.valueBox}>
            <span className={styles.value} data-testid={v.testId}>
              {v.value}
            </span>
            {v.unit && <span className={styles.unit}>{v.unit}</span>}
          </div>
        ))}
      </div>
      {note && (
        <div className={styles.note} data-testid={noteTestId}>
          {note}
        </div>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({
    display: 'grid',
    // Five cards in one row down to a 1,024 px window.
    gridTemplateColumns: 'repeat(auto-fit, minmax(176px, 1fr))',
    gap: theme.spacing(1),
    marginBottom: theme.spacing(2),
  }),
  stat: css({
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(1, 1.5),
  }),
  label: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginBottom: theme.spacing(0.5),
  }),
  // In a narrow card the p90 moves under the median; a figure itself never breaks.
  values: css({ display: 'flex', flexWrap: 'wrap', columnGap: theme.spacing(2), alignItems: 'baseline' }),
  valueBox: css({ display: 'flex', gap: theme.spacing(0.5), alignItems: 'baseline', whiteSpace: 'nowrap' }),
  value: css({ fontSize: theme.typography.h3.fontSize, fontWeight: theme.typography.fontWeightMedium }),
  unit: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
  note: css({ color: theme.colors.text.secondary, fontSize: theme.typography.bodySmall.fontSize }),
});
