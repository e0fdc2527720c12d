import { Route, Routes } from 'react-router';
import type { AppRootProps } from '@grafana/data';
import CodeReviewPage from '../../pages/CodeReview/CodeReviewPage.tsx';
import type { AppSettings } from '../../types.ts';

// The page is part of this (lazy) chunk: a second lazy level would load one more file, one after
// the other, before the page can render (bench:ui).

/** The app's root page (/a/reviewtrace-codereview-app/...). React Router v6 from `react-router`, as Grafana shares it. */
export default function App(props: AppRootProps<AppSettings>) {
  return (
    <Routes>
      <Route path="*" element={<CodeReviewPage meta={props.meta} />} />
    </Routes>
  );
}
