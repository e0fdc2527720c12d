// `npm run package`: the release archive of the built plugin, as Grafana's plugin catalog expects it
// (https://grafana.com/developers/plugin-tools/publish-a-plugin/package-a-plugin):
// release/<plugin id>-<version>.zip holding one folder named after the plugin id with dist/'s
// contents (module.js and its source map, plugin.json, README.md, CHANGELOG.md, LICENSE, img/, the
// nested panel's folder, and MANIFEST.txt when `npm run sign` ran first), plus the archive's SHA-1
// and MD5 in <archive>.sha1 and <archive>.md5 (the catalog's submission form asks for one of them).
// Run it after `npm run build` (and `npm run sign`). The zip is written with fflate, so no system
// `zip` is needed; entries are sorted and carry plugin.json's `updated` date, so the same dist/ gives
// the same bytes. test/static/plugin-catalog.test.ts (`npm run test:catalog`) checks the result.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { zipSync, type Zippable } from 'fflate';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ReleaseFiles {
  zip: string;
  sha1: string;
  md5: string;
}

function fail(message: string): never {
  process.stderr.write(`package: ${message}\n`);
  process.exit(1);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

/** The archive's name and folder from dist/plugin.json (what Grafana reads), not package.json. */
export function releaseNames(distDir: string): { id: string; version: string; updated: string; zipName: string } {
  const pluginJson = join(distDir, 'plugin.json');
  if (!existsSync(pluginJson)) {
    fail(`${relative(ROOT, pluginJson)} not found: run \`npm run build\` first`);
  }
  const meta = JSON.parse(readFileSync(pluginJson, 'utf8')) as {
    id?: string;
    buildMode?: string;
    info?: { version?: string; updated?: string };
  };
  const { id } = meta;
  const version = meta.info?.version;
  if (!id || !version || !/^\d+\.\d+\.\d+/.test(version)) {
    fail(`${relative(ROOT, pluginJson)} has no id or no semver info.version`);
  }
  if (meta.buildMode !== 'production') {
    fail(`dist/ holds a ${meta.buildMode ?? 'unknown'} build: run \`npm run build\` (production) first`);
  }
  return { id, version, updated: meta.info?.updated ?? '1980-01-01', zipName: `${id}-${version}.zip` };
}

export function packagePlugin(distDir = join(ROOT, 'dist'), outDir = join(ROOT, 'release')): ReleaseFiles {
  const { id, updated, zipName } = releaseNames(distDir);
  const mtime = new Date(`${updated}T00:00:00Z`);
  const dirAttrs = { os: 3, attrs: (0o040755 << 16) >>> 0, mtime };
  const fileAttrs = { os: 3, attrs: (0o100644 << 16) >>> 0, mtime };

  const entries: Zippable = { [`${id}/`]: [new Uint8Array(0), dirAttrs] };
  for (const file of walk(distDir)) {
    const rel = relative(distDir, file).split(sep).join('/');
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = `${id}/${parts.slice(0, i).join('/')}/`;
      entries[dir] ??= [new Uint8Array(0), dirAttrs];
    }
    if (statSync(file).size === 0) {
      fail(`${relative(ROOT, file)} is empty`);
    }
    entries[`${id}/${rel}`] = [readFileSync(file), fileAttrs];
  }
  const sorted: Zippable = Object.fromEntries(Object.entries(entries).sort(([a], [b]) => a.localeCompare(b)));
  const zip = zipSync(sorted, { level: 9 });

  mkdirSync(outDir, { recursive: true });
  const zipPath = join(outDir, zipName);
  writeFileSync(zipPath, zip);
  const sha1 = createHash('sha1').update(zip).digest('hex');
  const md5 = createHash('md5').update(zip).digest('hex');
  writeFileSync(`${zipPath}.sha1`, `${sha1}\n`);
  writeFileSync(`${zipPath}.md5`, `${md5}\n`);
  return { zip: zipPath, sha1, md5 };
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  const { zip, sha1, md5 } = packagePlugin();
  process.stdout.write(`${relative(ROOT, zip)}\n  sha1 ${sha1}\n  md5  ${md5}\n`);
}
