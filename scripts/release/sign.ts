// `npm run sign`: signs the built plugin in dist/ with @grafana/sign-plugin, which writes
// dist/MANIFEST.txt. Signing needs a Grafana.com access policy token (scope plugins:write) in
// GRAFANA_ACCESS_POLICY_TOKEN; without one this stops with one plain line instead of the tool's
// boxed error. Arguments are passed on, e.g. a private signature for your own Grafana:
//   npm run sign -- --signatureType private --rootUrls https://grafana.example.org/
// Run it after `npm run build` and before `npm run package`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

function fail(message: string): never {
  process.stderr.write(`sign: ${message}\n`);
  process.exit(1);
}

if (!process.env.GRAFANA_ACCESS_POLICY_TOKEN) {
  fail(
    'GRAFANA_ACCESS_POLICY_TOKEN is needed: set it to a Grafana.com access policy token with the plugins:write scope',
  );
}
if (!existsSync(join(ROOT, 'dist', 'plugin.json'))) {
  fail('dist/plugin.json not found: run `npm run build` first');
}
const cli = join(ROOT, 'node_modules', '@grafana', 'sign-plugin', 'dist', 'bin', 'run.js');
if (!existsSync(cli)) {
  fail('@grafana/sign-plugin is not installed: run `npm ci`');
}
const result = spawnSync(process.execPath, [cli, '--distDir', 'dist', ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
