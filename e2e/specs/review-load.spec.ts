// The Code Review page's "Review load" view against the real sidecar and Tempo holding the demo
// history: per reviewer, the reviews given in the range and those pending now, as GET /api/load
// answers them, under the page's filters. (Whether those counts equal Gerrit's own record is proven
// by the integration test against a real Gerrit, test/integration/ground-truth.test.ts.)
import type { ReviewLoadResponse, WaitingResponse } from '../../src/review-model/code-review-api.ts';
import { formatCount } from '../../src/view-model/format.ts';
import { expect, ids, sidecarGet, settledRangeDays, test } from '../support/fixtures.ts';

const loadApi = (sidecar: Parameters<typeof sidecarGet>[0], query: string) =>
  sidecarGet<ReviewLoadResponse>(sidecar, `/api/load?${query}`);

test('lists each reviewer’s reviews given and pending with the API’s numbers, under the filters', async ({
  page,
  env,
  app,
}, testInfo) => {
  const range = settledRangeDays(30);
  const rangeQuery = `from=${range.from}&to=${range.to}`;
  const load = await loadApi(env.sidecar, rangeQuery);
  expect(load.reviews, 'the demo history has reviews in 30 days').toBeGreaterThan(20);
  expect(load.people.reduce((n, p) => n + p.reviewsDone, 0)).toBe(load.reviews);
  // Pending reviews are the reviewer side of the Waiting on queues (a second endpoint, same changes).
  const waiting = await sidecarGet<WaitingResponse>(env.sidecar, `/api/waiting?${rangeQuery}`);
  expect(load.pending).toBe(waiting.people.reduce((n, p) => n + p.asReviewer, 0));

  await app.gotoCodeReview(range);
  await page.getByTestId(ids.codeReview.reviewLoadToggle).click();
  const reviewers = load.people.filter((p) => p.reviewsDone > 0).length;
  await expect(page.getByTestId(ids.codeReview.reviewLoadSummary)).toContainText(
    `${formatCount(load.reviews)} reviews given in the range by ${formatCount(reviewers)} people · ${formatCount(load.pending)} pending now`,
  );
  for (const p of load.people.slice(0, 5)) {
    const row = page.getByRole('row').filter({ has: page.getByTestId(ids.codeReview.reviewLoadPerson(p.who)) });
    await expect(row.getByRole('cell')).toHaveText([
      p.who,
      formatCount(p.reviewsDone),
      /.*/,
      formatCount(p.changesReviewed),
      formatCount(p.pending),
      /.*/,
    ]);
  }
  await page.screenshot({ path: testInfo.outputPath('code-review-review-load.png'), fullPage: true });

  // A project filter narrows the load to that project's changes.
  const project = 'platform/core';
  const narrowed = await loadApi(env.sidecar, `${rangeQuery}&project=${encodeURIComponent(project)}`);
  expect(narrowed.reviews).toBeGreaterThan(0);
  expect(narrowed.reviews).toBeLessThan(load.reviews);
  await app.gotoCodeReview({ ...range, project });
  await page.getByTestId(ids.codeReview.reviewLoadToggle).click();
  await expect(page.getByTestId(ids.codeReview.reviewLoadSummary)).toContainText(
    `${formatCount(narrowed.reviews)} reviews given in the range`,
  );
});
