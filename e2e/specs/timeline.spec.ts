// The timeline drawer against the real sidecar and Tempo holding the demo history, on the change
// with 40 patch sets: it opens over the list collapsed to one lane per patch set, expands and
// collapses a patch set, keeps its time axis in view, zooms and resets, groups markers too close to
// tell apart without losing any one's hover, closes with Esc, reopens on reload, and leaves the
// list where it was. Expected values come from the sidecar's API (/api/changes/<n>), not the page.
import type { Locator, Page } from '@playwright/test';
import type { ChangeDetailResponse, TimelineLane } from '../../src/review-model/code-review-api.ts';
import { detailApi, expect, ids, rangeDays, test } from '../support/fixtures.ts';
import { MARATHON_CHANGE } from '../support/stack.ts';

const change = MARATHON_CHANGE;
/** Change 7 is at the start of the demo history: a long range, oldest first. */
const listQuery = () => ({ ...rangeDays(90), sort: 'number', dir: 'asc' });
const lanesOf = (detail: ChangeDetailResponse, kind: TimelineLane['kind']) =>
  detail.timeline.lanes.filter((l) => l.kind === kind);
const drawnLanes = (page: Page, kind: string) =>
  page.getByTestId(ids.timeline.panel).locator(`g[data-testid^="timeline-lane-"][data-kind="${kind}"]`);

async function axisDomain(page: Page): Promise<{ startMs: number; endMs: number }> {
  const axis = page.getByTestId(ids.timeline.axis);
  return {
    startMs: Number(await axis.getAttribute('data-start-ms')),
    endMs: Number(await axis.getAttribute('data-end-ms')),
  };
}

async function openMarathon(
  page: Page,
  app: { gotoCodeReview: (q: Record<string, string | number>) => Promise<void> },
) {
  await app.gotoCodeReview({ ...listQuery(), change });
  await expect(drawnLanes(page, 'patchset')).toHaveCount(40, { timeout: 30_000 });
}

test('the 40-patch-set change opens in a drawer over the list, one lane per patch set, and a patch set expands and collapses', async ({
  page,
  env,
  app,
}, testInfo) => {
  const detail = await detailApi(env.sidecar, change);
  expect(lanesOf(detail, 'patchset')).toHaveLength(40);

  await app.gotoCodeReview(listQuery());
  const row = page.getByTestId(ids.codeReview.row(change));
  await expect(row).toBeVisible();
  await expect(page.getByTestId(ids.timeline.panel)).toHaveCount(0);
  await row.click();

  await expect(page).toHaveURL(new RegExp(`[?&]change=${change}(&|$)`));
  await expect(page.getByTestId(ids.timeline.title)).toContainText(`#${change}`);
  await expect(page.getByTestId(ids.timeline.title)).toContainText(detail.change.subject);
  // Collapsed: the change and its 40 patch sets, no review or CI lanes.
  await expect(drawnLanes(page, 'patchset')).toHaveCount(40);
  await expect(drawnLanes(page, 'change')).toHaveCount(lanesOf(detail, 'change').length);
  await expect(drawnLanes(page, 'review')).toHaveCount(0);
  await expect(drawnLanes(page, 'ci')).toHaveCount(0);
  const last = lanesOf(detail, 'patchset')[39];
  await expect(page.getByTestId(ids.timeline.laneLabel(last.id))).toContainText(last.label);
  // The list is still there, under the drawer.
  await expect(row).toHaveAttribute('aria-selected', 'true');
  await page.screenshot({ path: testInfo.outputPath('timeline-drawer-collapsed.png') });

  // A patch set with review and CI lanes expands to exactly those lanes, and collapses again.
  const withChildren = lanesOf(detail, 'patchset').find((ps) =>
    detail.timeline.lanes.some((l) => (l.kind === 'review' || l.kind === 'ci') && l.patchSet === ps.patchSet),
  );
  expect(withChildren, 'a patch set of change 7 has reviews or CI').toBeDefined();
  const ps = withChildren as TimelineLane;
  const children = detail.timeline.lanes.filter(
    (l) => (l.kind === 'review' || l.kind === 'ci') && l.patchSet === ps.patchSet,
  );
  const toggle = page.getByTestId(ids.timeline.laneToggle(ps.id));
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  for (const child of children) {
    await expect(page.getByTestId(ids.timeline.lane(child.id))).toHaveCount(1);
    await expect(page.getByTestId(ids.timeline.laneLabel(child.id))).toContainText(child.label);
  }
  await expect(drawnLanes(page, 'review').or(drawnLanes(page, 'ci'))).toHaveCount(children.length);
  await expect(drawnLanes(page, 'patchset')).toHaveCount(40);
  await page.screenshot({ path: testInfo.outputPath('timeline-drawer-expanded.png') });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(drawnLanes(page, 'review').or(drawnLanes(page, 'ci'))).toHaveCount(0);

  // Expand all brings every lane of the API's timeline.
  await page.getByTestId(ids.timeline.expandAll).click();
  await expect(page.getByTestId(ids.timeline.panel).locator('g[data-testid^="timeline-lane-"]')).toHaveCount(
    detail.timeline.lanes.length,
  );
});

test('the time axis stays in view while the lanes scroll', async ({ page, app }) => {
  await openMarathon(page, app);
  await page.getByTestId(ids.timeline.expandAll).click();
  const scroller = page.getByTestId(ids.timeline.lanes);
  const axis = page.getByTestId(ids.timeline.axis);
  const scrolled = await scroller.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
    return { top: el.scrollTop, room: el.scrollHeight - el.clientHeight };
  });
  expect(scrolled.room, 'the expanded lanes overflow the drawer').toBeGreaterThan(500);
  expect(scrolled.top).toBeGreaterThan(500);
  await expect(axis).toBeInViewport();
  const box = await scroller.boundingBox();
  const axisBox = await axis.boundingBox();
  expect(box && axisBox).toBeTruthy();
  if (box && axisBox) {
    expect(axisBox.y).toBeGreaterThanOrEqual(box.y - 1);
    expect(axisBox.y + axisBox.height).toBeLessThanOrEqual(box.y + box.height);
  }
  // A tick label is still drawn there.
  await expect(axis.locator('text').first()).toBeInViewport();
});

test('zoom changes the axis domain, the overview brush picks a window, and reset restores the whole change', async ({
  page,
  env,
  app,
}) => {
  const detail = await detailApi(env.sidecar, change);
  await openMarathon(page, app);
  const full = await axisDomain(page);
  // A merged change: the whole domain is the API's timeline, start to end.
  expect(full).toEqual({ startMs: detail.timeline.startMs, endMs: detail.timeline.endMs });
  const span = full.endMs - full.startMs;
  const firstTicks = await page.getByTestId(ids.timeline.axis).locator('text').allTextContents();

  await page.getByTestId(ids.timeline.zoomIn).click();
  await expect
    .poll(async () => (await axisDomain(page)).endMs - (await axisDomain(page)).startMs)
    .toBeCloseTo(span / 2, -1);
  const zoomed = await axisDomain(page);
  expect((zoomed.startMs + zoomed.endMs) / 2).toBeCloseTo((full.startMs + full.endMs) / 2, -1);
  expect(await page.getByTestId(ids.timeline.axis).locator('text').allTextContents()).not.toEqual(firstTicks);

  // Brush 10 % → 30 % of the overview.
  const overview = page.getByTestId(ids.timeline.overview);
  const box = await overview.boundingBox();
  expect(box).toBeTruthy();
  if (box) {
    await page.getByTestId(ids.timeline.zoomReset).click();
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect
      .poll(async () => Math.abs((await axisDomain(page)).startMs - (full.startMs + 0.1 * span)))
      .toBeLessThan(span * 0.01);
    expect(Math.abs((await axisDomain(page)).endMs - (full.startMs + 0.3 * span))).toBeLessThan(span * 0.01);
  }

  await page.getByTestId(ids.timeline.zoomReset).click();
  expect(await axisDomain(page)).toEqual(full);
  await expect(page.getByTestId(ids.timeline.zoomReset)).toBeDisabled();
});

/** The text a marker's hover must show, from the API: who, and for a vote its label. */
function expectedHover(detail: ChangeDetailResponse, memberId: string): string {
  if (memberId.startsWith('ci-')) {
    const lane = detail.timeline.lanes.find((l) => memberId.startsWith(`ci-${l.id}-`));
    return lane?.label ?? memberId;
  }
  const m = detail.timeline.markers[Number(memberId)];
  return m.who ?? m.label ?? '';
}

/** The marker group that has `id` among its members. */
async function groupHolding(page: Page, id: string): Promise<Locator> {
  const all = page.locator('[data-testid^="timeline-marker-group-"]');
  const lists = await all.evaluateAll((els) => els.map((e) => (e.getAttribute('data-members') ?? '').split(',')));
  const i = lists.findIndex((members) => members.includes(id));
  expect(i, `marker ${id} is drawn, alone or in a group`).toBeGreaterThanOrEqual(0);
  return all.nth(i);
}

async function hoverText(page: Page, target: Locator): Promise<string> {
  await page.mouse.move(0, 0);
  await target.hover({ force: true });
  const tip = page.getByRole('tooltip').last();
  await expect(tip).toBeVisible();
  return tip.innerText();
}

test('markers too close to tell apart are grouped, and every one of them stays reachable by hover', async ({
  page,
  env,
  app,
}, testInfo) => {
  const detail = await detailApi(env.sidecar, change);
  await openMarathon(page, app);
  const groups = page.locator('[data-testid^="timeline-marker-group-"]');
  expect(await groups.count(), 'the collapsed marathon has crowded markers').toBeGreaterThan(0);
  const group = groups.first();
  const members = ((await group.getAttribute('data-members')) ?? '').split(',');
  expect(members.length).toBeGreaterThan(1);
  expect(Number(await group.getAttribute('data-count'))).toBe(members.length);

  // The group's hover lists each member (up to 12, then a count).
  const text = await hoverText(page, group);
  expect(text).toContain(`${members.length} events`);
  for (const id of members.slice(0, 12)) {
    expect(text, `member ${id}`).toContain(expectedHover(detail, id));
  }

  // A click zooms in to the group; each member is then its own marker with its own hover, or in a
  // smaller group (events at the same minute) whose hover names it.
  await group.click();
  await expect(page.getByTestId(ids.timeline.zoomReset)).toBeEnabled();
  await page.screenshot({ path: testInfo.outputPath('timeline-markers-zoomed.png') });
  for (const id of members.slice(0, 12)) {
    const own = page.getByTestId(ids.timeline.markerOf(id));
    const target = (await own.count()) > 0 ? own : await groupHolding(page, id);
    expect(await hoverText(page, target), `member ${id}`).toContain(expectedHover(detail, id));
  }
});

test('Esc closes the drawer and takes the change out of the URL; a reload reopens it; the list keeps its place', async ({
  page,
  app,
}) => {
  await app.gotoCodeReview(listQuery());
  const table = page.getByTestId(ids.codeReview.table);
  const list = table.locator(':scope > div').first();
  await expect(page.getByTestId(ids.codeReview.row(change))).toBeVisible();
  const scrolledTo = await list.evaluate((el) => {
    el.scrollTop = 400;
    return el.scrollTop;
  });
  expect(scrolledTo, 'the list scrolls').toBeGreaterThan(100);
  const rows = table.locator('[data-testid^="change-row-"]:not([data-testid*="placeholder"])');
  await expect(rows.first()).toBeVisible();
  // A row in view after the scroll.
  const listBox = await list.boundingBox();
  let target: Locator | undefined;
  for (const r of await rows.all()) {
    const b = await r.boundingBox();
    if (b && listBox && b.y > listBox.y + 60 && b.y + b.height < listBox.y + listBox.height) {
      target = r;
      break;
    }
  }
  expect(target, 'a row in view').toBeDefined();
  const row = target as Locator;
  const number = Number(((await row.getAttribute('data-testid')) ?? '').replace('change-row-', ''));
  const before = await row.boundingBox();
  const pageScroll = await page.evaluate(() => window.scrollY);
  await row.click();
  await expect(page).toHaveURL(new RegExp(`[?&]change=${number}(&|$)`));
  await expect(page.getByTestId(ids.timeline.panel)).toBeVisible();
  expect(await list.evaluate((el) => el.scrollTop)).toBe(scrolledTo);

  await page.keyboard.press('Escape');
  await expect(page.getByTestId(ids.timeline.panel)).toHaveCount(0);
  await expect(page).not.toHaveURL(/[?&]change=/);
  expect(await list.evaluate((el) => el.scrollTop)).toBe(scrolledTo);
  expect(await page.evaluate(() => window.scrollY)).toBe(pageScroll);
  expect(await row.boundingBox()).toEqual(before);

  // The open change is in the URL: a reload reopens its drawer.
  await page.goBack();
  await expect(page).toHaveURL(new RegExp(`[?&]change=${number}(&|$)`));
  await page.reload();
  await expect(page.getByTestId(ids.timeline.panel)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId(ids.timeline.title)).toContainText(`#${number}`);
  // Opened with the page, the drawer focuses its close button, whose tooltip shows: the first Esc
  // dismisses that tooltip (the innermost popup), the next one the drawer.
  if (await page.getByRole('tooltip').isVisible()) {
    await page.keyboard.press('Escape');
    await expect(page.getByRole('tooltip')).toHaveCount(0);
  }
  await page.keyboard.press('Escape');
  await expect(page.getByTestId(ids.timeline.panel)).toHaveCount(0);
  await expect(page).not.toHaveURL(/[?&]change=/);
});
