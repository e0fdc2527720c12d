import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { testIds } from '../../test-ids.ts';
import { REVIEW_GRAPH_OPTIONS, reviewGraphQuery } from '../../view-model/service-map-view.ts';
import type { CodeReviewUrlState } from '../../view-model/url-state.ts';
import { ToggleSection } from './ToggleSection.tsx';

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
    <ToggleSection
      title="Who reviews whom"
      open={open}
      onToggle={() => setOpen((o) => !o)}
      testId={testIds.codeReview.whoReviewsWhom}
      toggleTestId={testIds.codeReview.whoReviewsWhomToggle}
    >
      <div ref={box} className={styles.graph} style={{ height: HEIGHT }}>
        {width > 0 && (
          <Suspense fallback={<LoadingPlaceholder text="Loading the graph…" />}>
            <ServiceMapView query={query} options={REVIEW_GRAPH_OPTIONS} width={width} height={HEIGHT} />
          </Suspense>
        )}
      </div>
    </ToggleSection>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  graph: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    overflow: 'hidden',
  }),
});
