// The app's configuration page: it saves the sidecar URL and the API token through Grafana's
// settings API (the token goes to secureJsonData and is never sent back), and "Test connection"
// asks the sidecar for its health through the proxy route with the saved settings.
import { expect, getAppSettings, ids, setAppSettings, test } from '../support/fixtures.ts';

test('saves the sidecar URL and token, and "Test connection" shows the sidecar healthy', async ({
  page,
  request,
  env,
  app,
}, testInfo) => {
  // Start from settings that cannot work: nothing listens there, and the token is wrong.
  await setAppSettings(request, { sidecarUrl: 'http://127.0.0.1:9', apiToken: 'not-the-token-0123456789' });
  await app.gotoConfig();

  // With those settings the test fails, and says why.
  await page.getByTestId(ids.config.testConnection).click();
  await expect(page.getByTestId(ids.config.testResult)).toContainText('Test failed');
  await expect(page.getByTestId(ids.config.testLine('sidecar'))).toHaveCount(0);

  const urlInput = page.getByTestId(ids.config.sidecarUrl);
  await expect(urlInput).toHaveValue('http://127.0.0.1:9');
  await urlInput.fill(env.grafanaSidecarUrl);
  // The token is stored: Grafana shows it as configured, with a Reset button.
  const tokenField = page.getByTestId(ids.config.form).locator('#reviewtrace-api-token');
  await expect(tokenField).toBeDisabled();
  await page.getByTestId(ids.config.form).getByRole('button', { name: 'Reset' }).click();
  await expect(tokenField).toBeEnabled();
  await tokenField.fill(env.sidecar.token);
  await page.screenshot({ path: testInfo.outputPath('config-filled.png'), fullPage: true });

  // Save: the page reloads with the stored settings.
  await Promise.all([page.waitForEvent('load'), page.getByTestId(ids.config.save).click()]);
  await expect(page.getByTestId(ids.config.form)).toBeVisible();
  await expect(page.getByTestId(ids.config.sidecarUrl)).toHaveValue(env.grafanaSidecarUrl);
  await expect(tokenField).toBeDisabled();

  const saved = await getAppSettings(request);
  expect((saved.jsonData as Record<string, unknown>).sidecarUrl).toBe(env.grafanaSidecarUrl);
  expect((saved.secureJsonFields as Record<string, unknown>).apiToken).toBe(true);
  expect(saved.secureJsonData, 'the token is never sent back').toBeUndefined();
  expect(JSON.stringify(saved)).not.toContain(env.sidecar.token);

  await page.getByTestId(ids.config.testConnection).click();
  const result = page.getByTestId(ids.config.testResult);
  await expect(result).toContainText('Connected to the sidecar');
  await expect(page.getByTestId(ids.config.testLine('sidecar'))).toHaveAttribute('data-tone', 'ok');
  await expect(page.getByTestId(ids.config.testLine('sidecar'))).toContainText('reachable and ready');
  await expect(page.getByTestId(ids.config.testLine('tempo-export'))).toHaveAttribute('data-tone', 'ok');
  await expect(page.getByTestId(ids.config.testLine('tempo-query'))).toHaveAttribute('data-tone', 'ok');
  await page.mouse.move(0, 0);
  await page.screenshot({ path: testInfo.outputPath('config-test-connection.png'), fullPage: true });
});
