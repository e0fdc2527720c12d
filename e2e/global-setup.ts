// Starts what the browser tests run against and tells the test workers where it is (environment
// variables, inherited by the workers). Host mode (no GRAFANA_URL): builds the plugin when dist/ is
// missing or older than src/, starts a real Tempo, the sidecar's demo (following, with a fresh
// database and an API token), a second sidecar on an empty database, and the test host configured
// with the demo sidecar's URL and token. Grafana mode (GRAFANA_URL set): starts nothing and checks
// that the sidecar is reachable as configured (docs/testing.md).
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath } from './support/chromium.ts';
import { sidecarApi, startHostStack } from './support/stack.ts';

const repo = new URL('../', import.meta.url).pathname;

/** Keeps the logs of Tempo and the sidecars (test-results/ is ignored by git). */
function keepLogs(work: string): void {
  const dest = join(repo, 'test-results/e2e-logs');
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const entry of readdirSync(work, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.log')) {
      cpSync(
        join(entry.parentPath, entry.name),
        join(dest, `${entry.parentPath.slice(work.length + 1).replace(/\//g, '-')}-${entry.name}`),
      );
    }
  }
}

function log(line: string): void {
  process.stderr.write(`[e2e setup] ${line}\n`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  chromiumPath();
  const grafanaUrl = process.env.GRAFANA_URL;
  if (grafanaUrl) {
    const url = process.env.E2E_SIDECAR_URL;
    const token = process.env.E2E_SIDECAR_TOKEN;
    if (!url || !token) {
      throw new Error(
        'GRAFANA_URL is set: also set E2E_SIDECAR_URL (the sidecar as this machine reaches it) and E2E_SIDECAR_TOKEN (its API token); see docs/testing.md',
      );
    }
    await sidecarApi({ url, token }, '/api/status');
    process.env.E2E_MODE = 'grafana';
    process.env.E2E_BASE_URL = grafanaUrl.replace(/\/+$/, '');
    process.env.E2E_GRAFANA_SIDECAR_URL ||= url;
    log(`running against Grafana at ${process.env.E2E_BASE_URL}, sidecar ${url}`);
    return async () => undefined;
  }

  const work = mkdtempSync(join(tmpdir(), 'reviewtrace-e2e-'));
  const stack = await startHostStack({ work, emptySidecar: true, log });
  if (!stack.host || !stack.empty) {
    throw new Error('the test host did not start');
  }
  Object.assign(process.env, {
    E2E_MODE: 'host',
    E2E_WORK: work,
    E2E_BASE_URL: stack.host.url,
    E2E_SIDECAR_URL: stack.demo.url,
    E2E_SIDECAR_TOKEN: stack.demo.token,
    // The host's proxy reaches the sidecar the way the tests do.
    E2E_GRAFANA_SIDECAR_URL: stack.demo.url,
    E2E_EMPTY_SIDECAR_URL: stack.empty.url,
    E2E_EMPTY_SIDECAR_TOKEN: stack.empty.token,
    E2E_TEMPO_URL: stack.tempo.url,
    E2E_TEMPO_OTLP_ENDPOINT: stack.tempo.otlpEndpoint,
    E2E_DEMO_TOTAL: String(stack.demoTotal),
  });
  return async () => {
    const unhandled = stack.host?.unhandled ?? [];
    if (unhandled.length > 0) {
      log(`requests the test host could not answer: ${[...new Set(unhandled)].join(', ')}`);
    }
    await stack.stop();
    keepLogs(work);
    if (process.env.E2E_KEEP_WORK) {
      log(`logs and data kept in ${work}`);
    } else {
      rmSync(work, { recursive: true, force: true });
    }
  };
}
