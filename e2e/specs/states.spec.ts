// What the Code Review page shows when there is nothing to show or it cannot get data: the empty
// state (a sidecar on an empty database and Tempo data it does not own; a time range before any
// change), a refused token (401 from the sidecar) and a sidecar that is down (502 from the proxy).
import { join } from 'node:path';
import { SidecarProcess } from '../../test/support/sidecar.ts';
import { newApiToken, startDemoSidecar } from '../support/stack.ts';
import { expect, ids, rangeDays, requiredEnv, setAppSettings, test } from '../support/fixtures.ts';

test('empty state: a sidecar with no data', async ({ page, request, env, app }, testInfo) => {
  const empty = env.emptySidecar;
  if (!empty) {
    test.skip(
      true,
      'Grafana mode without E2E_EMPTY_SIDECAR_URL / E2E_EMPTY_SIDECAR_TOKEN (a second, empty sidecar Grafana can reach)',
    );
    return;
  }
  await setAppSettings(request, { sidecarUrl: empty.url, apiToken: empty.token });
  await app.gotoCodeReview();
  await expect(page.getByTestId(ids.codeReview.empty)).toBeVisible();
  await expect(page.getByTestId(ids.codeReview.empty)).toContainText('No code review data yet');
  await expect(page.getByTestId(ids.codeReview.statCount)).toHaveText('0');
  await expect(page.getByTestId(ids.codeReview.table)).toHaveCount(0);
  await expect(page.getByTestId(ids.codeReview.error)).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('empty-sidecar.png'), fullPage: true });
});

test('empty state: a time range before any change', async ({ page, app }, testInfo) => {
  const past = rangeDays(7, Date.UTC(2001, 0, 8));
  await app.gotoCodeReview(past);
  await expect(page.getByTestId(ids.codeReview.empty)).toBeVisible();
  await expect(page.getByTestId(ids.codeReview.table)).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('empty-range.png'), fullPage: true });

  // The same page with a range that has data is not empty (the state is about the range).
  await app.gotoCodeReview(rangeDays(30));
  await expect(page.getByTestId(ids.codeReview.table)).toBeVisible();
  await expect(page.getByTestId(ids.codeReview.empty)).toHaveCount(0);
});

test('error state: the sidecar refuses the token (401)', async ({ page, request, env, app }, testInfo) => {
  await setAppSettings(request, { sidecarUrl: env.grafanaSidecarUrl, apiToken: 'wrong-token-0123456789abcdef' });
  await app.gotoCodeReview(rangeDays(30));
  const error = page.getByTestId(ids.codeReview.error);
  await expect(error).toBeVisible();
  await expect(error).toContainText('The sidecar refused the API token');
  await expect(error).toContainText('HTTP 401');
  await expect(page.getByTestId(ids.codeReview.table)).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('error-401.png'), fullPage: true });
});

test('error state: the sidecar is down', async ({ page, request, env, app }, testInfo) => {
  let sidecar: SidecarProcess | undefined;
  try {
    if (env.mode === 'host') {
      // A real sidecar that answers first and is then stopped.
      const token = newApiToken();
      const started = await startDemoSidecar(
        { url: requiredEnv('E2E_TEMPO_URL'), otlpEndpoint: requiredEnv('E2E_TEMPO_OTLP_ENDPOINT') },
        join(requiredEnv('E2E_WORK'), 'down'),
        'down',
        ['--changes', '0'],
        token,
        { REVIEWTRACE_SERVICE_NAME: 'gerrit-e2e-down' },
      );
      sidecar = started.sidecar;
      await setAppSettings(request, { sidecarUrl: started.url, apiToken: token });
      await app.gotoCodeReview();
      await expect(page.getByTestId(ids.codeReview.empty)).toBeVisible();
      await sidecar.stop();
      await page.getByTestId(ids.codeReview.refresh).getByRole('button').first().click();
    } else {
      // Grafana mode: a URL where nothing listens, as Grafana's server sees it.
      await setAppSettings(request, {
        sidecarUrl: process.env.E2E_DOWN_SIDECAR_URL || 'http://127.0.0.1:9',
        apiToken: env.sidecar.token,
      });
      await app.gotoCodeReview();
    }
    const error = page.getByTestId(ids.codeReview.error);
    await expect(error).toBeVisible();
    await expect(error).toContainText('The sidecar or Tempo cannot be reached');
    await expect(error).toContainText('HTTP 502');
    await page.screenshot({ path: testInfo.outputPath('error-sidecar-down.png'), fullPage: true });
  } finally {
    await sidecar?.stop();
  }
});
