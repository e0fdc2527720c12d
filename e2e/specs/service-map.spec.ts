// The service-map panel as a dashboard renders it (the test host's /d-solo page: options, size, time
// range, variables), against the real sidecar and Tempo holding the demo history and the demo's
// microservice topology. Expected counts come from the sidecar's GET /api/servicemap in the same
// test, never from the panel's own code, over ranges that end in the past (the demo keeps writing).
import type { ServiceMapResponse } from '../../src/review-model/service-map-api.ts';
import { expect, ids, settledRangeDays, sidecarGet, test } from '../support/fixtures.ts';

const s = ids.serviceMap;

/** The sidecar's answer for the same query the panel sends. */
function mapApi(
  sidecar: Parameters<typeof sidecarGet>[0],
  query: Record<string, string | number>,
): Promise<ServiceMapResponse> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  return sidecarGet<ServiceMapResponse>(sidecar, `/api/servicemap?${qs.toString()}`);
}

const DEMO_FILTER =
  '{ resource.service.namespace = "reviewtrace-demo" && (span:kind = client || span:kind = server || span:kind = producer || span:kind = consumer) }';

test('draws the demo service graph with the nodes and edges the API computes, laid out by ELK', async ({
  page,
  env,
  app,
}, testInfo) => {
  const range = settledRangeDays(0.25);
  const api = await mapApi(env.sidecar, { ...range, strategy: 'serviceGraph', filter: DEMO_FILTER, nodeLimit: 200 });
  expect(api.nodes.length, 'the demo topology has at least 12 services').toBeGreaterThanOrEqual(12);
  await app.gotoServiceMap({ strategy: 'serviceGraph', filter: DEMO_FILTER }, range);
  const graph = page.getByTestId(s.graph);
  await expect(graph).toHaveAttribute('data-nodes', String(api.nodes.length));
  await expect(graph).toHaveAttribute('data-edges', String(api.edges.length));
  await expect(graph).toHaveAttribute('data-layout', 'layered', { timeout: 30_000 });
  await expect(page.getByTestId(s.summary)).toContainText(`${api.nodes.length} nodes · ${api.edges.length} edges`);
  await expect(page.getByTestId(s.legend)).toContainText('database');
  await page.screenshot({ path: testInfo.outputPath('service-map-service-graph.png') });
});

test('switches strategies: parent → child by service.name, and who reviews whom', async ({
  page,
  env,
  app,
}, testInfo) => {
  const hour = settledRangeDays(0.25);
  const byTag = await mapApi(env.sidecar, {
    ...hour,
    strategy: 'parentChild',
    filter: '{ resource.service.namespace = "reviewtrace-demo" }',
    tag: 'service.name',
    nodeLimit: 200,
  });
  await app.gotoServiceMap(
    { strategy: 'parentChild', filter: '{ resource.service.namespace = "reviewtrace-demo" }', tag: 'service.name' },
    hour,
  );
  await expect(page.getByTestId(s.graph)).toHaveAttribute('data-edges', String(byTag.edges.length));
  await expect(page.getByTestId(s.graph)).toHaveAttribute('data-layout', 'layered', { timeout: 30_000 });
  await page.screenshot({ path: testInfo.outputPath('service-map-parent-child.png') });

  const month = settledRangeDays(30);
  const who = await mapApi(env.sidecar, {
    ...month,
    strategy: 'attributePair',
    filter: '{ name = "review" }',
    fromAttribute: 'gerrit.owner',
    toAttribute: 'gerrit.reviewer',
    nodeLimit: 200,
  });
  expect(who.edges.length).toBeGreaterThan(0);
  await app.gotoServiceMap(
    { strategy: 'attributePair', filter: '{ name = "review" }', nodeStat: 'count', layout: 'force' },
    month,
  );
  await expect(page.getByTestId(s.graph)).toHaveAttribute('data-nodes', String(who.nodes.length));
  await expect(page.getByTestId(s.graph)).toHaveAttribute('data-edges', String(who.edges.length));
  await expect(page.getByTestId(s.graph)).toHaveAttribute('data-layout', 'force');
  await page.screenshot({ path: testInfo.outputPath('service-map-who-reviews-whom.png') });
});

test('focuses a node with its up- and downstream, shows its figures and opens it in Explore', async ({
  page,
  env,
  app,
}) => {
  const range = settledRangeDays(0.25);
  const api = await mapApi(env.sidecar, { ...range, strategy: 'serviceGraph', filter: DEMO_FILTER, nodeLimit: 200 });
  const checkout = api.nodes.find((n) => n.id === 'checkout');
  expect(checkout, 'the demo has a checkout service').toBeTruthy();
  await app.gotoServiceMap({ strategy: 'serviceGraph', filter: DEMO_FILTER }, range);
  await page.getByTestId(s.focusPicker).getByRole('combobox').fill('checkout');
  await page.getByRole('option', { name: 'checkout', exact: true }).click();
  await expect(page.getByTestId(s.graph)).toHaveAttribute('data-focused', 'checkout');
  const details = page.getByTestId(s.details);
  await expect(details).toContainText('checkout (service)');
  await expect(details).toContainText(String(checkout?.stats.count));
  const href = (await page.getByTestId(s.exploreLink).getAttribute('href')) ?? '';
  const panes = JSON.parse(new URL(href, 'http://x').searchParams.get('panes') ?? '{}') as Record<
    string,
    { queries: Array<{ query: string }> }
  >;
  expect(Object.values(panes)[0].queries[0].query).toContain('resource.service.name = "checkout"');
  await page.getByTestId(s.showAll).click();
  await expect(page.getByTestId(s.graph)).toHaveAttribute('data-focused', '');
});

test('says plainly when the filter is not valid, and when nothing matches', async ({ page, app }) => {
  const range = settledRangeDays(0.25);
  await app.gotoServiceMap({ strategy: 'serviceGraph', filter: '{ } | count() > 1' }, range);
  await expect(page.getByTestId(s.error)).toContainText('filter');
  await app.gotoServiceMap(
    { strategy: 'serviceGraph', filter: '{ resource.service.name = "no-such-service" }' },
    range,
  );
  await expect(page.getByTestId(s.noData)).toBeVisible();
});

test("the Code Review page's Who reviews whom follows the page's filters", async ({ page, env, app }) => {
  const range = settledRangeDays(30);
  const list = await sidecarGet<{ facets: { projects: string[] } }>(
    env.sidecar,
    `/api/changes?from=${range.from}&to=${range.to}&limit=1`,
  );
  const project = list.facets.projects[0];
  const api = await mapApi(env.sidecar, {
    ...range,
    strategy: 'attributePair',
    filter: `{ name = "review" && (span.gerrit.project = "${project}") }`,
    fromAttribute: 'gerrit.owner',
    toAttribute: 'gerrit.reviewer',
    nodeLimit: 200,
  });
  expect(api.edges.length, `reviews in ${project}`).toBeGreaterThan(0);
  await app.gotoCodeReview({ ...range, project });
  await page.getByTestId(ids.codeReview.whoReviewsWhomToggle).click();
  const graph = page.getByTestId(ids.codeReview.whoReviewsWhom).getByTestId(s.graph);
  await expect(graph).toHaveAttribute('data-nodes', String(api.nodes.length), { timeout: 30_000 });
  await expect(graph).toHaveAttribute('data-edges', String(api.edges.length));
});
