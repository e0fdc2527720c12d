// The Code Review page against the real sidecar and Tempo holding the demo history: it renders the
// stats and rows the API computes, filters narrow the list and survive a reload, column headers sort
// it (the timeline a click opens is timeline.spec.ts's). Expected values are read from the
// sidecar's API in the same test, never copied from the page.
import type { TrendsResponse, WaitingResponse } from '../../src/review-model/code-review-api.ts';
import { formatCount, formatDuration, formatEstimate } from '../../src/view-model/format.ts';
import { countOf, expect, ids, listApi, rangeDays, sidecarGet, test, visibleRows } from '../support/fixtures.ts';

const STATUS_CELL = 4;
const WAITING_CELL = 5;
const PROJECT_CELL = 2;
const PATCH_SETS_CELL = 6;

test('renders the headline stats and the change rows of the range', async ({ page, env, app }, testInfo) => {
  const range = rangeDays(30);
  const api = await listApi(env.sidecar, { ...range, sort: 'created', dir: 'desc', offset: 0, limit: 50 });
  expect(api.total, 'the demo history has changes in the last 30 days').toBeGreaterThan(20);

  // The first page is asked for once: the page takes over the request module.tsx sent early.
  const firstPageRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/sidecar/api/changes?') && /[?&]offset=0(&|$)/.test(r.url())) {
      firstPageRequests.push(r.url());
    }
  });
  await app.gotoCodeReview(range);
  await expect(page.getByTestId(ids.codeReview.stats)).toBeVisible();
  await expect(page.getByTestId(ids.codeReview.statCount)).toHaveText(formatCount(api.stats.count));
  const ttfr = api.stats.timeToFirstReview;
  await expect(page.getByTestId(ids.codeReview.statTtfrMedian)).toHaveText(
    formatEstimate(ttfr.medianMs, ttfr.medianAtLeastMs),
  );
  // Unreviewed changes are counted, with the sample size.
  expect(ttfr.waiting, 'the demo has open changes nobody reviewed yet').toBeGreaterThan(0);
  await expect(page.getByTestId(ids.codeReview.statTtfrNote)).toContainText(`n = ${formatCount(ttfr.n)}`);
  await expect(page.getByTestId(ids.codeReview.statTtfrNote)).toContainText(
    `${formatCount(ttfr.waiting)} not yet reviewed, oldest ${formatDuration(ttfr.oldestWaitMs)}`,
  );
  await expect(page.getByTestId(ids.codeReview.statTtmNote)).toContainText(
    `n = ${formatCount(api.stats.timeToMerge.n)}`,
  );
  await expect(page.getByTestId(ids.codeReview.statTtmMedian)).toHaveText(
    formatDuration(api.stats.timeToMerge.medianMs),
  );
  await expect(page.getByTestId(ids.codeReview.tableTotal)).toContainText(`${formatCount(api.total)} changes`);

  // The first rows are the API's first rows, in the same order, with the same cells.
  await expect(page.getByTestId(ids.codeReview.row(api.changes[0].number))).toBeVisible();
  const rows = await visibleRows(page);
  expect(rows.length).toBeGreaterThanOrEqual(Math.min(10, api.total));
  expect(rows.slice(0, 10).map((r) => r.number)).toEqual(api.changes.slice(0, 10).map((c) => c.number));
  expect(rows[0].cells[1]).toBe(api.changes[0].subject);
  expect(rows[0].cells[PROJECT_CELL]).toBe(api.changes[0].project);
  expect(firstPageRequests, 'one request for the first page').toHaveLength(1);
  await page.screenshot({ path: testInfo.outputPath('code-review.png'), fullPage: true });
});

test('filters narrow the list and survive a reload', async ({ page, env, app }, testInfo) => {
  const range = rangeDays(30);
  const all = await listApi(env.sidecar, { ...range, limit: 1 });
  const merged = await listApi(env.sidecar, { ...range, status: 'merged', limit: 1 });
  expect(merged.total).toBeGreaterThan(0);
  expect(merged.total).toBeLessThan(all.total);
  // A project with merged changes in range, but not all of them.
  let project = '';
  let narrowed = 0;
  for (const p of merged.facets.projects) {
    const n = (await listApi(env.sidecar, { ...range, status: 'merged', project: p, limit: 1 })).total;
    if (n > 0 && n < merged.total) {
      project = p;
      narrowed = n;
      break;
    }
  }
  expect(project, 'a project that narrows the merged changes').not.toBe('');

  await app.gotoCodeReview(range);
  await expect(page.getByTestId(ids.codeReview.statCount)).toHaveText(formatCount(all.total));

  // Status: Merged.
  await page.getByTestId(ids.codeReview.status).getByRole('radio', { name: 'Merged' }).click();
  await expect(page).toHaveURL(/[?&]status=merged(&|$)/);
  await expect(page.getByTestId(ids.codeReview.statCount)).toHaveText(formatCount(merged.total));
  await expect(page.getByTestId(ids.codeReview.tableTotal)).toContainText(`${formatCount(merged.total)} changes`);
  for (const row of await visibleRows(page)) {
    expect(row.cells[STATUS_CELL], `change ${row.number}`).toMatch(/^Merged/);
  }

  // Project: one value from the picker.
  const projectFilter = page.getByTestId(ids.codeReview.project);
  await projectFilter.getByRole('combobox').click();
  await projectFilter.getByRole('combobox').fill(project);
  await page.getByRole('option', { name: project, exact: true }).click();
  await page.keyboard.press('Escape');
  await expect(page).toHaveURL(
    new RegExp(`[?&]project=${encodeURIComponent(project).replace(/%2F/g, '(%2F|/)')}(&|$)`),
  );
  await expect(page.getByTestId(ids.codeReview.statCount)).toHaveText(formatCount(narrowed));
  const filtered = await visibleRows(page);
  expect(filtered.length).toBeGreaterThan(0);
  expect(filtered.length).toBeLessThanOrEqual(narrowed);
  for (const row of filtered) {
    expect(row.cells[PROJECT_CELL], `change ${row.number}`).toBe(project);
    expect(row.cells[STATUS_CELL], `change ${row.number}`).toMatch(/^Merged/);
  }
  await page.screenshot({ path: testInfo.outputPath('filtered.png'), fullPage: true });

  // A reload shows the same view: the filters live in the URL.
  const before = filtered.map((r) => r.number);
  await page.reload();
  await expect(page.getByTestId(ids.codeReview.statCount)).toHaveText(formatCount(narrowed));
  await expect(page.getByTestId(ids.codeReview.status).getByRole('radio', { name: 'Merged' })).toBeChecked();
  await expect(projectFilter).toContainText(project);
  expect((await visibleRows(page)).map((r) => r.number)).toEqual(before);

  // Clearing the filters brings every change back.
  await page.getByTestId(ids.codeReview.clearFilters).click();
  await expect(page.getByTestId(ids.codeReview.statCount)).toHaveText(formatCount(all.total));
});

test('a column header sorts the list (server-side, both directions)', async ({ page, env, app }) => {
  const range = rangeDays(30);
  const desc = await listApi(env.sidecar, { ...range, sort: 'patchSets', dir: 'desc', limit: 3 });
  const asc = await listApi(env.sidecar, { ...range, sort: 'patchSets', dir: 'asc', limit: 3 });
  expect(desc.changes[0].patchSets).toBeGreaterThan(asc.changes[0].patchSets);

  await app.gotoCodeReview(range);
  const defaultOrder = (await visibleRows(page)).map((r) => r.number);
  expect(defaultOrder.length).toBeGreaterThan(2);

  const header = page.getByTestId(ids.codeReview.header('patchSets'));
  await header.click();
  // Patch sets sort descending first (the default direction is not written to the URL).
  await expect(page).toHaveURL(/[?&]sort=patchSets(&|$)/);
  await expect(page).not.toHaveURL(/[?&]dir=asc(&|$)/);
  await expect(page.getByRole('columnheader', { name: /Patch sets/ })).toHaveAttribute('aria-sort', 'descending');
  await expect(page.getByTestId(ids.codeReview.row(desc.changes[0].number))).toBeVisible();
  let rows = await visibleRows(page);
  expect(rows[0].number).toBe(desc.changes[0].number);
  expect(countOf(rows[0].cells[PATCH_SETS_CELL])).toBe(desc.changes[0].patchSets);
  expect(countOf(rows[0].cells[PATCH_SETS_CELL])).toBeGreaterThanOrEqual(countOf(rows[1].cells[PATCH_SETS_CELL]));
  expect(rows.map((r) => r.number)).not.toEqual(defaultOrder);

  await header.click();
  await expect(page).toHaveURL(/[?&]dir=asc(&|$)/);
  await expect(page.getByRole('columnheader', { name: /Patch sets/ })).toHaveAttribute('aria-sort', 'ascending');
  await expect(page.getByTestId(ids.codeReview.row(asc.changes[0].number))).toBeVisible();
  rows = await visibleRows(page);
  expect(rows[0].number).toBe(asc.changes[0].number);
  expect(countOf(rows[0].cells[PATCH_SETS_CELL])).toBe(asc.changes[0].patchSets);
  expect(countOf(rows[0].cells[PATCH_SETS_CELL])).toBeLessThanOrEqual(countOf(rows[1].cells[PATCH_SETS_CELL]));
});

test('shows whom each open change waits on, longest first, and the Waiting on view lists the API’s queues', async ({
  page,
  env,
  app,
}, testInfo) => {
  const range = rangeDays(90);
  const api = await listApi(env.sidecar, { ...range, status: 'open', sort: 'waiting', dir: 'desc', limit: 20 });
  expect(api.total, 'the demo has open changes').toBeGreaterThan(5);
  const waiting = await sidecarGet<WaitingResponse>(env.sidecar, `/api/waiting?from=${range.from}&to=${range.to}`);
  expect(waiting.openChanges).toBe(api.total);
  expect(waiting.people.length).toBeGreaterThan(0);

  await app.gotoCodeReview({ ...range, status: 'open', sort: 'waiting', dir: 'desc' });
  await expect(page.getByTestId(ids.codeReview.row(api.changes[0].number))).toBeVisible();
  const rows = await visibleRows(page);
  expect(rows.slice(0, 10).map((r) => r.number)).toEqual(api.changes.slice(0, 10).map((c) => c.number));
  for (const [i, change] of api.changes.slice(0, 10).entries()) {
    const who =
      change.waitingOn === 'reviewers' ? (change.waitingOnReviewers ?? []).map((r) => r.reviewer).join(', ') : 'author';
    expect(rows[i].cells[WAITING_CELL], `change ${change.number}`).toContain(who);
  }

  // The view: one click, the people in the API's order, a person's changes on expanding the row.
  await page.getByTestId(ids.codeReview.waitingToggle).click();
  await expect(page.getByTestId(ids.codeReview.waitingSummary)).toContainText(
    `${formatCount(waiting.openChanges)} open changes wait on ${formatCount(waiting.people.length)} people`,
  );
  const first = waiting.people[0];
  const person = page.getByTestId(ids.codeReview.waitingPerson(first.who));
  await expect(person).toBeVisible();
  const row = page.getByRole('row').filter({ has: person });
  await expect(row).toContainText(String(first.changes.length));
  await row.getByRole('button').first().click();
  for (const c of first.changes.slice(0, 5)) {
    await expect(page.getByTestId(ids.codeReview.waitingChange(first.who, c.number))).toContainText(c.subject);
  }
  await page.screenshot({ path: testInfo.outputPath('code-review-waiting-on.png'), fullPage: true });
  // A change there opens its timeline.
  await page.getByTestId(ids.codeReview.waitingChange(first.who, first.changes[0].number)).getByRole('button').click();
  await expect(page.getByTestId(ids.timeline.title)).toContainText(String(first.changes[0].number));
});

test('Trends shows the review figures per week, as the API computes them, with sample sizes', async ({
  page,
  env,
  app,
}, testInfo) => {
  const range = rangeDays(30);
  const trends = await sidecarGet<TrendsResponse>(env.sidecar, `/api/trends?from=${range.from}&to=${range.to}`);
  expect(trends.bucket).toBe('week');
  const busy = trends.buckets.filter((b) => b.merged > 0);
  expect(busy.length, 'the demo merged changes in several weeks').toBeGreaterThan(1);

  await app.gotoCodeReview(range);
  await page.getByTestId(ids.codeReview.trendsToggle).click();
  for (const b of busy.slice(0, 4)) {
    const row = page.getByRole('row').filter({ has: page.getByTestId(ids.codeReview.trendRow(b.startMs)) });
    await expect(row).toContainText(new Date(b.startMs).toISOString().slice(0, 10));
    await expect(row).toContainText(`${formatDuration(b.timeToMerge.medianMs)} (${b.timeToMerge.n})`);
    await expect(row).toContainText(`(${b.timeToFirstReview.n}`);
  }
  // Three sparklines (Grafana's, drawn with uPlot on a canvas).
  await expect(page.getByTestId(ids.codeReview.trends).locator('canvas')).toHaveCount(3);
  await page.screenshot({ path: testInfo.outputPath('code-review-trends.png'), fullPage: true });
});
