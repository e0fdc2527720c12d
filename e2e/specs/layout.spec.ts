// The Code Review page at the widths leads use it: 1440 px (a laptop) and 1024 px (a small window or
// a tablet). Nothing scrolls sideways, the filters stay on one row, every headline figure stays on
// one line and the table shows all its columns, numbers and dates whole. Screenshots of both are kept with the test's output
// (docs/img has copies).
import type { Page } from '@playwright/test';
import { SORT_KEYS } from '../../src/review-model/code-review-api.ts';
import { expect, ids, settledRangeDays, test } from '../support/fixtures.ts';

const WIDTHS = [
  { width: 1440, height: 900 },
  { width: 1024, height: 768 },
];

/** Tops and bottoms of the elements with these test ids. */
async function boxes(page: Page, testIds: string[]) {
  return Promise.all(
    testIds.map(async (id) => {
      const box = await page.getByTestId(id).boundingBox();
      if (!box) {
        throw new Error(`${id} is not rendered`);
      }
      return { id, ...box };
    }),
  );
}

for (const size of WIDTHS) {
  test(`the page fits ${size.width} px`, async ({ page, app }, testInfo) => {
    await page.setViewportSize(size);
    await app.gotoCodeReview(settledRangeDays(30));
    await expect(page.getByTestId(ids.codeReview.table)).toBeVisible();
    await expect(page.getByTestId(ids.codeReview.tableTotal)).toBeVisible();

    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow, 'the page does not scroll sideways').toBeLessThanOrEqual(0);

    const filters = await boxes(page, [
      ids.codeReview.project,
      ids.codeReview.branch,
      ids.codeReview.owner,
      ids.codeReview.reviewer,
    ]);
    expect(new Set(filters.map((f) => Math.round(f.y))).size, 'the four filters share one row').toBe(1);

    // A figure on one line is no taller than its font's line box.
    const figures = await page
      .getByTestId(ids.codeReview.stats)
      .locator('[data-testid^="stat-"]:not([data-testid$="-note"])')
      .evaluateAll((els) =>
        els.map((el) => {
          const style = getComputedStyle(el);
          return {
            id: el.getAttribute('data-testid'),
            lines: Math.round(el.getBoundingClientRect().height / parseFloat(style.lineHeight)),
          };
        }),
      );
    expect(figures.length).toBeGreaterThanOrEqual(6);
    for (const f of figures) {
      expect(f.lines, `${f.id} on one line`).toBe(1);
    }

    // Every column's header is inside the table's visible width.
    const [table] = await boxes(page, [ids.codeReview.table]);
    for (const header of await boxes(page, SORT_KEYS.map(ids.codeReview.header))) {
      expect(header.x + header.width, `${header.id} in view`).toBeLessThanOrEqual(table.x + table.width + 1);
    }
    // Numbers and dates are never cut short (text columns may end in "…", with the whole in a tooltip).
    const cut = await page.getByTestId(ids.codeReview.table).evaluate((table) =>
      [...table.querySelectorAll('[role="row"][data-testid^="change-row-"]')].flatMap((row) => {
        const cells = [...row.querySelectorAll('[role="cell"]')];
        return [0, 6, 7, 8, 9]
          .map((i) => cells[i])
          .filter((c) => c && c.scrollWidth > c.clientWidth)
          .map((c) => c.textContent);
      }),
    );
    expect(cut, 'numeric cells shown whole').toEqual([]);
    await page.screenshot({ path: testInfo.outputPath(`code-review-${size.width}.png`) });
  });
}
