// Static checks of provisioning/: Grafana's data source, app and dashboard provisioning files, the
// dashboard JSON (queries against the span schema), and the Tempo 3.0 config for compose.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Attr, ChangeState, PipelineResult, ReviewOutcome, SpanName } from '../../src/review-model/span-schema.ts';
import { spanSetFilterProblem } from '../../src/review-model/traceql-filter.ts';
import { DEMO_DEFAULTS, demoSpanMs } from '../../server/demo/review-history.ts';
import {
  at,
  goDurationMs,
  interpolate,
  isObj,
  obj,
  readJson,
  readYaml,
  str,
  variablesIn,
  type Obj,
} from './support.ts';

const pluginJson = obj(readJson('plugin.json'));
const appId = str(pluginJson, 'id');
const datasourcesFile = obj(readYaml('provisioning/datasources/tempo.yaml'));
const pluginsFile = obj(readYaml('provisioning/plugins/reviewtrace.yaml'));
const dashboardsFile = obj(readYaml('provisioning/dashboards/dashboards.yaml'));
const dashboard = obj(readJson('provisioning/dashboards/code-review-overview.json'));
const tempo = obj(readYaml('provisioning/tempo/tempo.yaml'));
const compose = obj(readYaml('docker-compose.yaml'));

const datasources = (): Obj[] => at(datasourcesFile, 'datasources') as Obj[];
const datasourceUids = (): string[] => datasources().map((d) => str(d, 'uid'));
const tempoUids = (): string[] =>
  datasources()
    .filter((d) => d.type === 'tempo')
    .map((d) => str(d, 'uid'));
const app = (): Obj => (at(pluginsFile, 'apps') as Obj[]).find((a) => a.type === appId) ?? {};

/** Panels, including those nested in collapsed rows. */
function allPanels(): Obj[] {
  const out: Obj[] = [];
  for (const p of at(dashboard, 'panels') as Obj[]) {
    out.push(p);
    if (Array.isArray(p.panels)) {
      out.push(...(p.panels as Obj[]));
    }
  }
  return out;
}
const SERVICE_MAP_PANEL = str(obj(readJson('src/panels/servicemap/plugin.json')), 'id');
const queryPanels = (): Obj[] =>
  allPanels().filter((p) => p.type !== 'row' && p.type !== 'text' && p.type !== SERVICE_MAP_PANEL);
const queries = (): string[] => queryPanels().flatMap((p) => (p.targets as Obj[]).map((t) => str(t, 'query')));

describe('provisioning/datasources/tempo.yaml', () => {
  it('is a Grafana data source provisioning file with a Tempo data source, uid tempo', () => {
    assert.equal(datasourcesFile.apiVersion, 1);
    assert.ok(datasources().length >= 1);
    for (const ds of datasources()) {
      for (const key of ['name', 'type', 'uid', 'access', 'url']) {
        assert.equal(typeof ds[key], 'string', `data source ${String(ds.name)}: ${key}`);
      }
      assert.equal(ds.access, 'proxy');
    }
    assert.equal(new Set(datasourceUids()).size, datasourceUids().length, 'uids are unique');
    assert.deepEqual(tempoUids(), ['tempo']);
  });

  it('keeps search on and trace-to-logs and the service graph off (no Loki, no Prometheus here)', () => {
    const ds = datasources().find((d) => d.type === 'tempo') ?? {};
    const jsonData = obj(ds, 'jsonData');
    assert.equal(at(jsonData, 'search', 'hide'), false);
    for (const off of ['tracesToLogs', 'tracesToLogsV2', 'tracesToMetrics', 'serviceMap', 'lokiSearch']) {
      assert.equal(jsonData[off], undefined, `${off} is not configured`);
    }
  });
});

describe('provisioning/plugins/reviewtrace.yaml', () => {
  it('enables the app of plugin.json with the sidecar URL, the Tempo uid and the token', () => {
    assert.equal(pluginsFile.apiVersion, 1);
    const apps = at(pluginsFile, 'apps') as Obj[];
    assert.deepEqual(
      apps.map((a) => a.type),
      [appId],
    );
    const a = app();
    assert.notEqual(a.disabled, true);
    assert.equal(typeof a.org_id === 'number' || typeof a.org_name === 'string', true, 'names an organisation');
    assert.match(str(a, 'jsonData', 'sidecarUrl'), /^http:\/\/[\w.-]+:\d+$/);
    assert.ok(datasourceUids().includes(str(a, 'jsonData', 'tempoDatasourceUid')), 'tempoDatasourceUid is provisioned');
    // Grafana's provisioning syntax for environment variables: $NAME or ${NAME}.
    const token = str(a, 'secureJsonData', 'apiToken');
    assert.match(token, /^\$\{?REVIEWTRACE_API_TOKEN\}?$/);
  });

  it('provides every key that plugin.json routes read from jsonData and secureJsonData', () => {
    const routes = at(pluginJson, 'routes') as Obj[];
    const text = JSON.stringify(routes);
    const used = [...text.matchAll(/\.(JsonData|SecureJsonData)\.(\w+)/g)].map((m) => [m[1], m[2]] as const);
    assert.ok(used.length >= 2, 'the sidecar route uses the URL and the token');
    const a = app();
    for (const [section, key] of used) {
      const provisioned = section === 'JsonData' ? obj(a, 'jsonData') : obj(a, 'secureJsonData');
      assert.ok(key in provisioned, `${section}.${key} is provisioned`);
    }
    // Grafana matches app routes as a router tree: only a path ending in /* proxies its subpaths.
    const route = routes.find((r) => r.path === 'sidecar/*');
    assert.ok(route, 'plugin.json has the sidecar/* route');
  });

  it('reads its token from a variable that compose gives Grafana', () => {
    const token = str(app(), 'secureJsonData', 'apiToken');
    const grafanaEnv = obj(compose, 'services', 'grafana', 'environment');
    for (const name of variablesIn(token)) {
      assert.ok(name in grafanaEnv, `compose sets ${name} for Grafana`);
    }
    assert.equal(interpolate(token, { REVIEWTRACE_API_TOKEN: 'x'.repeat(20) }), 'x'.repeat(20));
  });
});

describe('provisioning/dashboards', () => {
  it('dashboards.yaml is a file provider reading the folder compose mounts', () => {
    assert.equal(dashboardsFile.apiVersion, 1);
    const [provider] = at(dashboardsFile, 'providers') as Obj[];
    assert.equal(provider.type, 'file');
    assert.equal(typeof provider.name, 'string');
    const path = str(provider, 'options', 'path');
    const grafanaVolumes = at(compose, 'services', 'grafana', 'volumes') as unknown[];
    assert.ok(
      grafanaVolumes.some((v) => typeof v === 'string' && v.startsWith(`./provisioning/dashboards:${path}`)),
      `compose mounts ./provisioning/dashboards at ${path}`,
    );
  });

  it('the dashboard has a uid, a title and only Tempo (uid tempo) queries', () => {
    assert.match(str(dashboard, 'uid'), /^[\w-]{1,40}$/);
    assert.equal(dashboard.title, 'Code review overview');
    assert.ok(queryPanels().length >= 6);
    const ids = allPanels().map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const panel of queryPanels()) {
      const title = String(panel.title);
      assert.deepEqual(panel.datasource, { type: 'tempo', uid: 'tempo' }, title);
      assert.ok(tempoUids().includes(str(panel, 'datasource', 'uid')), `${title}: a provisioned Tempo uid`);
      const targets = at(panel, 'targets') as Obj[];
      assert.ok(targets.length >= 1, title);
      for (const t of targets) {
        assert.deepEqual(t.datasource, panel.datasource, `${title}: target data source`);
        assert.equal(t.queryType, 'traceql', title);
        assert.match(str(t, 'query'), /^\{.*\}/, `${title}: a TraceQL query`);
      }
    }
  });

  it('has the promised panels: merged changes, slow reviews, CI failures, TraceQL metrics, two service maps', () => {
    const qs = queries();
    const has = (re: RegExp, what: string) =>
      assert.ok(
        qs.some((q) => re.test(q)),
        what,
      );
    has(/name = "change" && span\.vcs\.change\.state = "merged" \} \| select\(/, 'a table of merged changes');
    has(
      /name = "review" && duration > 24h \} \| select\(span\.vcs\.change\.id, span\.gerrit\.reviewer, span\.gerrit\.owner/,
      'slow reviews',
    );
    has(/name = "ci" && span\.cicd\.pipeline\.result = "failure"/, 'CI failures');
    has(/\| (count_over_time|quantile_over_time)\(/, 'TraceQL metrics for headline numbers');
    const stats = queryPanels().filter((p) => p.type === 'stat');
    assert.ok(stats.length >= 3);
    for (const p of stats) {
      const [target] = at(p, 'targets') as Obj[];
      const query = str(target, 'query');
      assert.match(query, /\| (count_over_time|quantile_over_time)\(/);
      // One number over the range: a quantile as an instant query; a count as the sum of per-day
      // counts (Tempo 2.8 answers an instant count over a long range with only part of it:
      // test/integration/dashboard-queries.test.ts).
      if (query.includes('count_over_time')) {
        assert.equal(target.metricsQueryType, 'range', String(p.title));
        assert.deepEqual(at(p, 'options', 'reduceOptions', 'calcs'), ['sum'], String(p.title));
      } else {
        assert.equal(target.metricsQueryType, 'instant', String(p.title));
      }
      assert.notEqual(target.step, '1d', 'Tempo refuses "1d": hours');
    }
    const maps = allPanels().filter((p) => p.type === SERVICE_MAP_PANEL);
    assert.deepEqual(
      maps.map((p) => str(p, 'options', 'strategy')).sort(),
      ['attributePair', 'serviceGraph'],
      'the demo service map and who reviews whom',
    );
    for (const p of maps) {
      assert.equal(spanSetFilterProblem(str(p, 'options', 'filter')), undefined, String(p.title));
    }
    const who = maps.find((p) => str(p, 'options', 'strategy') === 'attributePair') ?? {};
    assert.deepEqual(
      [str(who, 'options', 'fromAttribute'), str(who, 'options', 'toAttribute')],
      [Attr.owner, Attr.reviewer],
    );
    assert.ok(
      (at(pluginJson, 'includes') as Obj[]).some((i) => i.type === 'panel'),
      "the app's plugin.json includes the nested panel",
    );
  });

  it('queries only span names, attributes and values of the span schema', () => {
    const names = new Set<string>(Object.values(SpanName));
    const attrs = new Set<string>(Object.values(Attr));
    const values: Record<string, Set<string>> = {
      [Attr.changeState]: new Set(Object.values(ChangeState)),
      [Attr.pipelineResult]: new Set(Object.values(PipelineResult)),
      [Attr.reviewOutcome]: new Set([...Object.values(ReviewOutcome), 'removed']),
    };
    let checked = 0;
    for (const q of queries()) {
      for (const m of q.matchAll(/\bname\s*=\s*"([^"]+)"/g)) {
        assert.ok(names.has(m[1]), `span name "${m[1]}" in ${q}`);
        checked += 1;
      }
      for (const m of q.matchAll(/\bspan\.([\w.]+)/g)) {
        assert.ok(attrs.has(m[1]), `attribute ${m[1]} is in src/review-model/span-schema.ts (${q})`);
        checked += 1;
      }
      for (const m of q.matchAll(/\bspan\.([\w.]+)\s*=\s*"([^"]*)"/g)) {
        const allowed = values[m[1]];
        if (allowed) {
          assert.ok(allowed.has(m[2]), `${m[1]} = "${m[2]}" is a value the sidecar writes`);
        }
      }
    }
    assert.ok(checked > 20);
  });

  it('links to the app page plugin.json declares', () => {
    const pages = (at(pluginJson, 'includes') as Obj[]).filter((i) => i.type === 'page' && i.name === 'Code Review');
    assert.equal(pages.length, 1);
    const appPath = str(pages[0], 'path');
    assert.ok(appPath.startsWith(`/a/${appId}`));
    const links = (at(dashboard, 'links') as Obj[]).map((l) => str(l, 'url'));
    assert.ok(links.includes(appPath), `the dashboard links to ${appPath}`);
  });
});

describe('provisioning/tempo/tempo.yaml (Tempo 3.0, monolithic)', () => {
  it('uses the 3.0 layout: no ingester or compactor blocks, monolithic target', () => {
    for (const removed of ['ingester', 'ingester_client', 'compactor', 'metrics_generator_client']) {
      assert.equal(tempo[removed], undefined, `Tempo 3.0 rejects a top-level ${removed}: block`);
    }
    assert.equal(tempo.target, 'all');
    // Top-level keys of Tempo 3.0's app.Config that this file may use (a typo guard).
    const known = new Set([
      'target',
      'multitenancy_enabled',
      'stream_over_http_enabled',
      'http_api_prefix',
      'server',
      'internal_server',
      'distributor',
      'querier',
      'query_frontend',
      'metrics_generator',
      'live_store',
      'storage',
      'overrides',
      'memberlist',
      'usage_report',
      'cache',
      'backend_scheduler',
      'backend_worker',
    ]);
    for (const key of Object.keys(tempo)) {
      assert.ok(known.has(key), `top-level ${key}`);
    }
    assert.equal(at(tempo, 'storage', 'trace', 'backend'), 'local');
    assert.ok(isObj(at(tempo, 'distributor', 'receivers', 'otlp', 'protocols', 'http')));
  });

  it('keeps old (backfilled, demo) history searchable: ingestion slack and retention cover it', () => {
    // The demo's history reaches this far back; a backfill can reach further (docs/deployment.md).
    const demoHistoryMs = demoSpanMs(DEMO_DEFAULTS.changes, DEMO_DEFAULTS.meanArrivalMs);
    const ninetyDays = 90 * 86_400_000;
    const slacks = [
      str(tempo, 'live_store', 'wal', 'ingestion_time_range_slack'),
      str(tempo, 'storage', 'trace', 'wal', 'ingestion_time_range_slack'),
    ].map(goDurationMs);
    const retentions = [
      str(tempo, 'backend_scheduler', 'provider', 'compaction', 'compaction', 'block_retention'),
      str(tempo, 'backend_worker', 'compaction', 'block_retention'),
    ].map(goDurationMs);
    for (const slack of slacks) {
      assert.ok(slack >= Math.max(demoHistoryMs, ninetyDays), 'slack covers the demo and a 90-day backfill');
    }
    for (const retention of retentions) {
      assert.ok(retention >= Math.max(...slacks), 'blocks are kept at least as long as the slack reaches back');
    }
    // The dashboard's default range fits Tempo's search and metrics query limits.
    const range = /^now-(\d+)d$/.exec(str(dashboard, 'time', 'from'));
    assert.ok(range);
    const rangeMs = Number(range[1]) * 86_400_000;
    for (const kind of ['search', 'metrics']) {
      assert.ok(goDurationMs(str(tempo, 'query_frontend', kind, 'max_duration')) >= rangeMs, `${kind} max_duration`);
    }
  });
});
