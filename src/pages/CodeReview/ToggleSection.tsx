import type { ReactNode } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, useStyles2 } from '@grafana/ui';

// A section of the Code Review page that opens with one click (Waiting on, Trends, Who reviews whom):
// closed, it costs the page no request.

interface Props {
  title: string;
  open: boolean;
  onToggle: () => void;
  testId: string;
  toggleTestId: string;
  /** What the section shows (the button's tooltip). */
  tooltip?: string;
  children: ReactNode;
}

export function ToggleSection({ title, open, onToggle, testId, toggleTestId, tooltip, children }: Props) {
  const styles = useStyles2(getStyles);
  return (
    <section className={styles.section} data-testid={testId}>
      <Button
        variant="secondary"
        fill="text"
        size="sm"
        icon={open ? 'angle-down' : 'angle-right'}
        onClick={onToggle}
        aria-expanded={open}
        tooltip={tooltip}
        data-testid={toggleTestId}
      >
        {title}
      </Button>
      {open && children}
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ marginBottom: theme.spacing(1) }),
});
