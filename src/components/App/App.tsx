import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import type { AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import type { AppSettings } from '../../types.ts';

const CodeReviewPage = lazy(() => import('../../pages/CodeReview/CodeReviewPage.tsx'));

/** The app's root page (/a/reviewtrace-codereview-app/...). React Router v6 from `react-router`, as Grafana shares it. */
export default function App(props: AppRootProps<AppSettings>) {
  return (
    <Suspense fallback={<LoadingPlaceholder text="Loading…" />}>
      <Routes>
        <Route path="*" element={<CodeReviewPage meta={props.meta} />} />
      </Routes>
    </Suspense>
  );
}
