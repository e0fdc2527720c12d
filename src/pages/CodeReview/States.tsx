import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { config } from '@grafana/runtime';
import { Alert, Button, LoadingPlaceholder, TextLink, useStyles2 } from '@grafana/ui';
import { testIds } from '../../test-ids.ts';
import { configPagePath } from '../../view-model/api-query.ts';
import { describeFailure, type ApiFailure } from '../../view-model/errors.ts';

export function LoadingState() {
  return (
    <div data-testid={testIds.codeReview.loading}>
      <LoadingPlaceholder text="Loading changes…" />
    </div>
  );
}

/** No change at all in the range and no filter: most likely nothing is ingested yet. */
export function EmptyState() {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.box} data-testid={testIds.codeReview.empty}>
      <h3>No code review data yet</h3>
      <p>Start the demo, which writes a synthetic review history into Tempo and keeps going live (no Gerrit needed):</p>
      <pre className={styles.code}>npx reviewtrace-server demo</pre>
      <p>or connect Gerrit (see docs/configuration.md):</p>
      <pre className={styles.code}>
        {'npx reviewtrace-server doctor --config reviewtrace.yaml\n'}
        {'npx reviewtrace-server --config reviewtrace.yaml\n'}
        {'npx reviewtrace-server backfill --config reviewtrace.yaml --since 90d'}
      </pre>
      <p className={styles.muted}>If data exists outside this time range, pick a longer range above.</p>
    </div>
  );
}

/** Filters match nothing. */
export function NoMatchState({ onClear }: { onClear: () => void }) {
  const styles = useStyles2(getStyles);
  return (
    <div className={styles.box} data-testid={testIds.codeReview.noMatch}>
      <h3>No changes match these filters</h3>
      <Button variant="secondary" icon="times" onClick={onClear}>
        Clear filters
      </Button>
    </div>
  );
}

/** The list request failed: what happened and what to check. */
export function ErrorState({ failure, onRetry }: { failure: ApiFailure; onRetry: () => void }) {
  const advice = describeFailure(failure);
  return (
    <div data-testid={testIds.codeReview.error}>
      <Alert severity="error" title={advice.title}>
        <p>{advice.detail}</p>
        <p>Check:</p>
        <ul>
          {advice.checks.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
        <p>
          <TextLink href={configPagePath(config.appSubUrl)}>Open the configuration page</TextLink> and use “Test
          connection”.
        </p>
        <Button variant="secondary" icon="sync" onClick={onRetry}>
          Try again
        </Button>
      </Alert>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  box: css({
    border: `1px dashed ${theme.colors.border.medium}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(3),
    textAlign: 'left',
  }),
  code: css({
    background: theme.colors.background.canvas,
    padding: theme.spacing(1, 1.5),
    borderRadius: theme.shape.radius.default,
    fontFamily: theme.typography.fontFamilyMonospace,
    whiteSpace: 'pre-wrap',
  }),
  muted: css({ color: theme.colors.text.secondary }),
});
