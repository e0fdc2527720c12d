// Data the page did not make is shown as text: demo change 11 has markup and a script in its subject
// and a `javascript:` URL (server/demo/review-history.ts, MARKUP_CHANGE). The list and the timeline
// show the subject verbatim, no element of it is rendered, nothing runs, and the URL is no link.
import { MARKUP_CHANGE, MARKUP_SUBJECT, MARKUP_URL } from '../../server/demo/review-history.ts';
import { detailApi, expect, ids, rangeDays, test, visibleRows } from '../support/fixtures.ts';

test('a subject with markup shows as text, and a script URL is not a link', async ({ page, env, app }) => {
  const detail = await detailApi(env.sidecar, MARKUP_CHANGE);
  expect(detail.change.subject, 'the API passes the subject through as Gerrit sent it').toBe(MARKUP_SUBJECT);
  expect(detail.change.url).toBe(MARKUP_URL);
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });

  await app.gotoCodeReview({ ...rangeDays(90), sort: 'number', dir: 'asc' });
  const row = page.getByTestId(ids.codeReview.row(MARKUP_CHANGE));
  await expect(row).toBeVisible();
  const cells = (await visibleRows(page)).find((r) => r.number === MARKUP_CHANGE)?.cells;
  expect(cells?.[1]).toBe(MARKUP_SUBJECT);
  await expect(row.locator('img, b, script')).toHaveCount(0);

  await row.click();
  await expect(page.getByTestId(ids.timeline.title)).toContainText(MARKUP_SUBJECT);
  await expect(page.getByTestId(ids.timeline.panel).locator('img[src="x"], b, script')).toHaveCount(0);
  // The change has a URL, but not an http(s) one: no "Open in Gerrit" link.
  await expect(page.getByTestId(ids.timeline.exploreLink)).toBeVisible();
  await expect(page.getByTestId(ids.timeline.gerritLink)).toHaveCount(0);
  await expect(page.locator('a[href^="javascript:"]')).toHaveCount(0);
  expect(dialogs, 'no script ran').toEqual([]);
});
