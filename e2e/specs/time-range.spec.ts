// The Code Review page's time: Grafana's time range picker (zoom out, shift, quick ranges sized for
// code review) and the time zone (the browser's, or one chosen in the URL). Expected ranges and
// times are computed here with Intl from the API's own values, never with the page's date code.
import type { Page } from '@playwright/test';
import { expect, ids, listApi, settledRangeDays, test, visibleRows } from '../support/fixtures.ts';

const CREATED_CELL = 9;
const DAY = 86_400_000;

/** The range of every first-page /api/changes request the page sends from now on. */
function listRanges(page: Page): Array<{ from: number; to: number }> {
  const ranges: Array<{ from: number; to: number }> = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.endsWith('/sidecar/api/changes') && url.searchParams.get('offset') === '0') {
      ranges.push({ from: Number(url.searchParams.get('from')), to: Number(url.searchParams.get('to')) });
    }
  });
  return ranges;
}

/** "2026-03-04 09:05" for `ms` in `timeZone`, by Intl. */
function wallClock(ms: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** Midnight (epoch ms) of the day `ms` falls on in `timeZone`. */
function midnightIn(ms: number, timeZone: string): number {
  const [date] = wallClock(ms, timeZone).split(' ');
  const asUtc = Date.parse(`${date}T00:00:00Z`);
  // The zone's offset at that midnight, read back through Intl (no DST change happens at midnight here).
  const shown = Date.parse(`${wallClock(asUtc, timeZone).replace(' ', 'T')}:00Z`);
  return asUtc - (shown - asUtc);
}

async function firstRowCreated(page: Page): Promise<{ number: number; created: string }> {
  await expect(page.getByTestId(ids.codeReview.table)).toBeVisible();
  await expect.poll(async () => (await visibleRows(page)).length).toBeGreaterThan(0);
  const [row] = await visibleRows(page);
  return { number: row.number, created: row.cells[CREATED_CELL] };
}

test.describe('in New York', () => {
  test.use({ timezoneId: 'America/New_York' });

  test('"now/d" starts at midnight where the user is, and times show in their zone', async ({ page, env, app }) => {
    const ranges = listRanges(page);
    await app.gotoCodeReview({ from: 'now/d', to: 'now' });
    await expect.poll(() => ranges.length).toBeGreaterThan(0);
    const [range] = ranges;
    expect(range.from, 'midnight in New York').toBe(midnightIn(range.to, 'America/New_York'));
    expect(range.from % DAY, 'not midnight in UTC').not.toBe(0);

    const { number, created } = await firstRowCreated(page);
    const api = await listApi(env.sidecar, { ...range, limit: 1 });
    expect(api.changes[0].number).toBe(number);
    expect(created).toBe(wallClock(api.changes[0].createdMs, 'America/New_York'));
  });

  test('a time zone chosen in the URL wins over the browser’s', async ({ page, env, app }) => {
    const range = settledRangeDays(7);
    await app.gotoCodeReview({ ...range, timezone: 'Asia/Kolkata' });
    const { number, created } = await firstRowCreated(page);
    const api = await listApi(env.sidecar, { ...range, limit: 1 });
    expect(api.changes[0].number).toBe(number);
    expect(created).toBe(wallClock(api.changes[0].createdMs, 'Asia/Kolkata'));
    await expect(page.getByTestId(ids.codeReview.timeRange)).toContainText(wallClock(range.from, 'Asia/Kolkata'));
  });
});

test('zoom out and the arrows move the range the way Grafana’s picker does', async ({ page, app }) => {
  const range = settledRangeDays(4);
  const span = range.to - range.from;
  const ranges = listRanges(page);
  await app.gotoCodeReview(range);
  await expect.poll(() => ranges.at(-1)).toEqual(range);

  await page.getByRole('button', { name: 'Earlier by half the range' }).click();
  const earlier = { from: range.from - span / 2, to: range.to - span / 2 };
  await expect.poll(() => ranges.at(-1)).toEqual(earlier);
  expect(new URL(page.url()).searchParams.get('from')).toBe(String(earlier.from));

  await page.getByRole('button', { name: 'Zoom out time range' }).click();
  // Twice as long around the same centre (which is in the past here).
  await expect.poll(() => ranges.at(-1)).toEqual({ from: earlier.from - span / 2, to: earlier.to + span / 2 });

  // The list follows: its request names the new range and the table shows its total.
  await expect(page.getByTestId(ids.codeReview.tableTotal)).toBeVisible();
});

test('the quick ranges are sized for code review', async ({ page, app }) => {
  const ranges = listRanges(page);
  await app.gotoCodeReview(settledRangeDays(7));
  await page
    .getByTestId(ids.codeReview.timeRange)
    .getByRole('button', { name: /Time range selected/ })
    .click();
  await expect(page.getByText('Last 14 days')).toBeVisible();
  await expect(page.getByText('Last 5 minutes')).toHaveCount(0);
  await page.getByText('Last 14 days').click();
  await expect.poll(() => new URL(page.url()).searchParams.get('from')).toBe('now-14d');
  await expect
    .poll(() => {
      const last = ranges.at(-1);
      return last && Math.round((last.to - last.from) / DAY);
    })
    .toBe(14);
});
