import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { testIds } from '../../test-ids.ts';
import { REVIEW_GRAPH_OPTIONS, reviewGraphQuery } from '../../view-model/service-map-view.ts';
import type { CodeReviewUrlState } from '../../view-model/url-state.ts';

// "Who reviews whom" on the Code Review page: the service-map panel's view (owner → reviewer on review
// spans) for the page's range and filters. Its graph libraries load only when it is opened.
const ServiceMapView = lazy(() =>
  import('../../components/ServiceMap/ServiceMapView.tsx').then((m) => ({ default: m.ServiceMapView })),
);

const HEIGHT = 480;

interface Props {
  state: CodeReviewUrlState;
  range: { from: number; to: number };
}

export function WhoReviewsWhom({ state, range }: Props) {
  const styles = useStyles2(getStyles);
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = box.current;
    if (!el) {
      return;
    }
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [open]);
  const { project, branch, owner, reviewer } = state;
  const query = useMemo(
    () => reviewGraphQuery({ project, branch, owner, reviewer }, range),
    [project, branch, owner, reviewer, range],
  );
  return (
    <section className={styles.section} data-testid={testIds.codeReview.whoReviewsWhom}>
      <Button
        variant="secondary"
        fill="text"
        size="sm"
        icon={open ? 'angle-down' : 'angle-right'}
        onClick={() => setOpen((o) => !o)}
        aria-expanded={open}
        data-testid={testIds.codeReview.whoReviewsWhomToggle}
      >
        Who reviews whom
      </Button>
      {open && (
        <div ref={box} className={styles.graph} style={{ height: HEIGHT }}>
          {width > 0 && (
            <Suspense fallback={<LoadingPlaceholder text="Loading the graph…" />}>
              <ServiceMapView query={query} options={REVIEW_GRAPH_OPTIONS} width={width} height={HEIGHT} />
            </Suspense>
          )}
        </div>
      )}
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  section: css({ marginBottom: theme.spacing(1) }),
  graph: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    overflow: 'hidden',
  }),
});
