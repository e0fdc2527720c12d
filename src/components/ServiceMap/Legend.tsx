import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import type { NodeKind } from '../../review-model/service-map.ts';
import { testIds } from '../../test-ids.ts';
import type { Health, legendEntries } from '../../view-model/service-map-view.ts';

const KIND_LABEL: Record<NodeKind, string> = {
  user: '▭ user',
  service: '● service',
  database: '⛁ database',
  external: '◆ external',
  value: '● value',
  tag: '⌂ tag',
};

/** Node kinds (by shape) and health colours (border and arc), and what the map was built from. */
export function Legend({ entries, summary }: { entries: ReturnType<typeof legendEntries>; summary: string }) {
  const styles = useStyles2(getStyles);
  const theme = useTheme2();
  const colour: Record<Health, string> = {
    ok: theme.colors.success.main,
    warn: theme.colors.warning.main,
    bad: theme.colors.error.main,
  };
  return (
    <div className={styles.legend} data-testid={testIds.serviceMap.legend}>
      {entries.kinds.map((k) => (
        <span key={k}>{KIND_LABEL[k]}</span>
      ))}
      {entries.health.map((h) => (
        <span key={h.health}>
          <span className={styles.swatch} style={{ borderColor: colour[h.health] }} /> {h.label}
        </span>
      ))}
      <span className={styles.summary} data-testid={testIds.serviceMap.summary}>
        {summary}
      </span>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  legend: css({
    height: 28,
    display: 'flex',
    gap: theme.spacing(2),
    alignItems: 'center',
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
    overflow: 'hidden',
    whiteSpace: 'nowrap',
  }),
  swatch: css({
    display: 'inline-block',
    width: 10,
    height: 10,
    borderRadius: '50%',
    border: '3px solid',
    verticalAlign: 'middle',
  }),
  summary: css({ marginLeft: 'auto' }),
});
