// The built plugin against the rules of Grafana's plugin validator (grafana/plugin-validator,
// pkg/analysis/passes/*), which the plugin catalog runs on every submitted archive. Each test names
// the analyzer it stands for. Rules that need the network (the org on grafana.com, whether a newer
// version is published, link status codes, Web Risk, the catalog's Angular patterns), other tools
// (semgrep, clamav, osv-scanner, react-detect, an LLM) or a backend (Go SDK, binaries) are not
// here; docs/deployment.md#release-and-catalog lists them.
//
// Run by `npm run test:catalog` after `npm run build` and `npm run package` (scripts/test-all.sh does
// both first). It builds nothing: a missing or stale dist/ or archive fails with what to run.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { unzipSync } from 'fflate';

import { repoPath } from './support.ts';

const REPO_URL = 'https://github.com/reviewtrace/reviewtrace';
const DIST = repoPath('dist');

interface PluginJson {
  id: string;
  type: string;
  name: string;
  info: {
    author?: { name?: string; url?: string };
    description?: string;
    keywords?: string[];
    links?: Array<{ name: string; url: string }>;
    logos: { small: string; large: string };
    screenshots?: Array<{ name: string; path: string }>;
    version: string;
    updated: string;
  };
  includes?: Array<{ type?: string; name?: string; path?: string }>;
  dependencies: { grafanaDependency: string; plugins?: unknown[] };
  buildMode?: string;
  backend?: boolean;
  executable?: string;
}

const readJsonFile = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

const toPosix = (p: string) => p.split(sep).join('/');

const pkg = readJsonFile<{ name: string; version: string; license: string; scripts: Record<string, string> }>(
  repoPath('package.json'),
);

// ---- the archive, read once: fails with what to run when dist/ or the zip is missing ----------

let root: PluginJson;
let zipName: string;
let zipBytes: Uint8Array;
let entries: Record<string, Uint8Array>;
let centralDir: Array<{ name: string; madeBy: number; mode: number }>;
/** The archive's plugin folder, extracted (what the validator analyses). */
let pluginDir: string;
let extractRoot: string;

/** Names, "version made by" and Unix modes from the zip's central directory (fflate does not expose them). */
function readCentralDirectory(zip: Uint8Array): Array<{ name: string; madeBy: number; mode: number }> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = zip.length - 22;
  while (eocd >= 0 && view.getUint32(eocd, true) !== 0x06054b50) {
    eocd--;
  }
  assert.ok(eocd >= 0, 'end of central directory not found: not a zip');
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const out = [];
  for (let i = 0; i < count; i++) {
    assert.equal(view.getUint32(at, true), 0x02014b50, 'central directory entry signature');
    const madeBy = view.getUint16(at + 4, true) >> 8;
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    const external = view.getUint32(at + 38, true);
    const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLen));
    out.push({ name, madeBy, mode: external >>> 16 });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

before(() => {
  const distPluginJson = join(DIST, 'plugin.json');
  assert.ok(
    existsSync(distPluginJson),
    'dist/plugin.json not found: run `npm run build` and `npm run package` before `npm run test:catalog`',
  );
  root = readJsonFile<PluginJson>(distPluginJson);
  zipName = `${root.id}-${root.info.version}.zip`;
  const zipPath = repoPath('release', zipName);
  assert.ok(existsSync(zipPath), `release/${zipName} not found: run \`npm run package\` after \`npm run build\``);
  zipBytes = readFileSync(zipPath);
  entries = unzipSync(zipBytes);
  centralDir = readCentralDirectory(zipBytes);
  extractRoot = mkdtempSync(join(tmpdir(), 'reviewtrace-catalog-'));
  for (const [name, data] of Object.entries(entries)) {
    const target = join(extractRoot, name);
    assert.ok(target.startsWith(extractRoot + sep), `${name}: path escapes the archive (zip slip)`);
    if (name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
  }
  pluginDir = join(extractRoot, root.id);
});

after(() => {
  if (extractRoot) {
    rmSync(extractRoot, { recursive: true, force: true });
  }
});

const inPlugin = (...parts: string[]) => join(pluginDir, ...parts);
const readPlugin = (...parts: string[]) => readFileSync(inPlugin(...parts), 'utf8');

/** Every plugin.json in the archive, keyed as the validator's nestedmetadata does ("plugin.json", "panels/x/plugin.json"). */
function pluginJsons(): Map<string, PluginJson> {
  const found = new Map<string, PluginJson>();
  for (const file of walk(pluginDir)) {
    if (file.endsWith(`${sep}plugin.json`) || file === inPlugin('plugin.json')) {
      found.set(toPosix(relative(pluginDir, file)), readJsonFile<PluginJson>(file));
    }
  }
  return found;
}

// ---- archive, archivename, checksum ----------------------------------------------------------

describe('archive (archive, archivename, checksum)', () => {
  test('archive: not empty, exactly one top-level folder, no dist/ inside it', () => {
    const top = new Set(Object.keys(entries).map((n) => n.split('/')[0]));
    assert.ok(Object.keys(entries).length > 0, 'empty-archive');
    assert.deepEqual([...top], [root.id], 'more-than-one-dir / no-root-dir: one folder at the top');
    assert.ok(
      Object.keys(entries).every((n) => n.includes('/')),
      'no-root-dir: no file at the top level',
    );
    assert.ok(!existsSync(inPlugin('dist')), 'dist: no dist/ folder inside the plugin folder');
  });

  test('archivename: the folder is the plugin id and the file <id>-<version>.zip', () => {
    assert.equal(readJsonFile<PluginJson>(inPlugin('plugin.json')).id, root.id);
    assert.match(zipName, /^[a-z0-9]+-[a-z0-9]+-(app|panel|datasource)-\d+\.\d+\.\d+\.zip$/);
  });

  test('the archive holds exactly dist/ (byte for byte), so it is not stale', () => {
    const distFiles = walk(DIST).map((f) => toPosix(relative(DIST, f)));
    const zipFiles = Object.keys(entries)
      .filter((n) => !n.endsWith('/'))
      .map((n) => n.slice(root.id.length + 1))
      .sort();
    assert.deepEqual(zipFiles, distFiles, 'run `npm run package` again after building');
    for (const f of distFiles) {
      assert.ok(
        Buffer.from(entries[`${root.id}/${f}`]).equals(readFileSync(join(DIST, f))),
        `${f} differs from dist/: run \`npm run package\` again`,
      );
    }
  });

  test('checksum: <zip>.sha1 and <zip>.md5 match the archive', () => {
    const sha1 = readFileSync(repoPath('release', `${zipName}.sha1`), 'utf8').trim();
    const md5 = readFileSync(repoPath('release', `${zipName}.md5`), 'utf8').trim();
    assert.equal(sha1, createHash('sha1').update(zipBytes).digest('hex'));
    assert.equal(md5, createHash('md5').update(zipBytes).digest('hex'));
  });

  test('binarypermissions / backendbinary: Unix modes readable, nothing executable, no backend', () => {
    for (const e of centralDir) {
      assert.equal(e.madeBy, 3, `${e.name}: Unix attributes`);
      const expected = e.name.endsWith('/') ? 0o040755 : 0o100644;
      assert.equal(e.mode, expected, `${e.name}: mode ${e.mode.toString(8)}`);
    }
    for (const meta of pluginJsons().values()) {
      assert.ok(!meta.backend && !meta.executable, `${meta.id}: a frontend-only plugin declares no backend`);
    }
  });
});

// ---- metadata -------------------------------------------------------------------------------

// What Grafana's plugin.json schema (docs/sources/developers/plugins/plugin.schema.json, which the
// validator's metadatavalid fetches at run time) requires of the fields this plugin uses, written
// out here because the schema cannot be fetched offline. Unknown top-level and info keys fail, as
// the schema's `additionalProperties: false` does.
const pluginJsonSchema = {
  type: 'object',
  required: ['type', 'name', 'id', 'info', 'dependencies'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    id: { type: 'string', pattern: '^[0-9a-z]+-([0-9a-z]+-)?(app|panel|datasource|secretsmanager|transformer)$' },
    type: { enum: ['app', 'datasource', 'panel', 'renderer', 'secretsmanager', 'transformer'] },
    name: { type: 'string', minLength: 1 },
    buildMode: { type: 'string' },
    autoEnabled: { type: 'boolean' },
    preload: { type: 'boolean' },
    skipDataQuery: { type: 'boolean' },
    state: { enum: ['alpha', 'beta'] },
    info: {
      type: 'object',
      required: ['logos', 'version', 'updated', 'keywords'],
      additionalProperties: false,
      properties: {
        author: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string' }, email: { type: 'string' }, url: { type: 'string', format: 'uri' } },
        },
        build: { type: 'object' },
        description: { type: 'string' },
        keywords: { type: 'array', minItems: 1, items: { type: 'string' } },
        links: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'url'],
            properties: { name: { type: 'string' }, url: { type: 'string', format: 'uri' } },
          },
        },
        logos: {
          type: 'object',
          required: ['small', 'large'],
          additionalProperties: false,
          properties: { small: { type: 'string' }, large: { type: 'string' } },
        },
        screenshots: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'path'],
            properties: { name: { type: 'string' }, path: { type: 'string' } },
          },
        },
        updated: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
        version: { type: 'string', pattern: '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$' },
      },
    },
    dependencies: {
      type: 'object',
      required: ['grafanaDependency'],
      additionalProperties: false,
      properties: {
        grafanaDependency: {
          type: 'string',
          pattern:
            '^(<=|>=|<|>|=|~|\\^)?([0-9]+)(\\.[0-9x\\*]+)(\\.[0-9x\\*]+)?(\\s(<=|>=|<|=>)?([0-9]+)(\\.[0-9x]+)(\\.[0-9x]+))?$',
        },
        plugins: { type: 'array' },
      },
    },
    includes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { enum: ['dashboard', 'page', 'panel', 'datasource'] },
          role: { enum: ['Admin', 'Editor', 'Viewer'] },
          name: { type: 'string' },
          path: { type: 'string' },
          addToNav: { type: 'boolean' },
          defaultNav: { type: 'boolean' },
          icon: { type: 'string' },
          uid: { type: 'string' },
          action: { type: 'string' },
        },
      },
    },
    routes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          path: { type: 'string' },
          method: { type: 'string' },
          url: { type: 'string' },
          reqSignedIn: { type: 'boolean' },
          reqRole: { type: 'string' },
          reqAction: { type: 'string' },
          headers: { type: 'array' },
          body: { type: 'object' },
          tokenAuth: { type: 'object' },
          jwtTokenAuth: { type: 'object' },
          urlParams: { type: 'array' },
        },
      },
    },
  },
};

describe('metadata (metadata, nestedmetadata, metadatavalid, includesnested)', () => {
  test('metadata / nestedmetadata: every plugin.json parses; the app and the nested panel are there', () => {
    const all = pluginJsons();
    assert.deepEqual([...all.keys()].sort(), ['panels/servicemap/plugin.json', 'plugin.json']);
    assert.equal(all.get('plugin.json')?.id, 'reviewtrace-codereview-app');
    assert.equal(all.get('panels/servicemap/plugin.json')?.id, 'reviewtrace-servicemap-panel');
  });

  test('metadatavalid: every plugin.json matches the plugin.json schema, placeholders filled, production build', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addFormat('uri', (s: string) => URL.canParse(s) && /^https?:\/\//.test(s));
    const validate = ajv.compile(pluginJsonSchema);
    for (const [key, meta] of pluginJsons()) {
      assert.ok(validate(meta), `${key}: ${ajv.errorsText(validate.errors)}`);
      assert.ok(!JSON.stringify(meta).includes('%'), `${key}: a %PLACEHOLDER% is left`);
      assert.equal(meta.buildMode, 'production', `${key}: run \`npm run build\` (production)`);
    }
  });

  test('includesnested: each nested plugin is declared in the app includes by its path, with its type', () => {
    const all = pluginJsons();
    assert.equal(root.type, 'app', 'nested-plugin-id-in-non-app: only apps nest plugins');
    for (const [key, meta] of all) {
      if (key === 'plugin.json') {
        continue;
      }
      const include = root.includes?.find((i) => i.path === key);
      assert.ok(include, `nested-plugins-not-declared: ${key} is not in the app's includes (path: "${key}")`);
      assert.ok(include.type, `nested-plugin-missing-type: ${key}`);
      assert.equal(include.type, meta.type, `nested-plugin-type-missmatch: ${key}`);
      assert.equal(include.name, meta.name, `${key}: the include's name is the panel's name`);
    }
  });

  test('circulardependencies: no plugin dependencies', () => {
    for (const meta of pluginJsons().values()) {
      assert.deepEqual(meta.dependencies.plugins ?? [], []);
    }
  });
});

// ---- names, versions, discoverability ---------------------------------------------------------

describe('naming and versions (typesuffix, pluginname, version, packagejson, grafanadependency, restrictivedep, discoverability)', () => {
  test('typesuffix / pluginname: ids end with the type, have 3 parts, names are not the id', () => {
    for (const [key, meta] of pluginJsons()) {
      const parts = meta.id.split('-');
      assert.equal(parts.at(-1), meta.type, `plugin-type-suffix: ${key}`);
      assert.ok(parts.length >= 3, `invalid-id-format: ${key}`);
      assert.notEqual(meta.name, meta.id, `human-friendly-name: ${key}`);
    }
  });

  test('version / packagejson: a semver version, the same in package.json and every plugin.json', () => {
    for (const [key, meta] of pluginJsons()) {
      assert.match(meta.info.version, /^\d+\.\d+\.\d+$/, `wrong-plugin-version: ${key}`);
      assert.equal(meta.info.version, pkg.version, `packagecode-version-mismatch: ${key}`);
      assert.match(meta.info.updated, /^\d{4}-\d{2}-\d{2}$/);
    }
  });

  test('grafanadependency / restrictivedep: a valid range, open-ended, Grafana >= 12.3', () => {
    for (const [key, meta] of pluginJsons()) {
      const dep = meta.dependencies.grafanaDependency;
      assert.equal(dep, '>=12.3.0', `${key}: the project targets Grafana >= 12.3`);
      assert.doesNotMatch(dep, /^[0-9]+.[0-9]+.x$/, `depends-on-patch-releases: ${key}`);
      assert.doesNotMatch(dep, /^[0-9]+.[0-9]+.[0-9]+$/, `depends-on-single-release: ${key}`);
    }
  });

  test('discoverability: description and keywords set', () => {
    for (const [key, meta] of pluginJsons()) {
      assert.ok(meta.info.description?.trim(), `empty-description: ${key}`);
      assert.ok((meta.info.keywords ?? []).length > 0, `empty-keywords: ${key}`);
    }
  });
});

// ---- logos, screenshots, paths ---------------------------------------------------------------

/** The content type Go's http.DetectContentType gives these formats (the validator's check), from magic bytes. */
function imageType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return 'image/png';
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return 'image/jpeg';
  }
  if (/^GIF8[79]a/.test(bytes.subarray(0, 6).toString('latin1'))) {
    return 'image/gif';
  }
  if (bytes.subarray(0, 512).toString('utf8').includes('<svg')) {
    return 'image/svg+xml';
  }
  return 'unknown';
}
const typeByExtension: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
};

describe('images (logos, screenshots, metadatapaths, unsafesvg)', () => {
  test('logos: small and large logos for every plugin', () => {
    for (const [key, meta] of pluginJsons()) {
      assert.ok(meta.info.logos.small.trim(), `logos: ${key} small`);
      assert.ok(meta.info.logos.large.trim(), `logos: ${key} large`);
    }
  });

  test('screenshots: every plugin lists screenshots, each a PNG/JPEG/GIF/SVG whose extension matches', () => {
    for (const [key, meta] of pluginJsons()) {
      const shots = meta.info.screenshots ?? [];
      assert.ok(shots.length > 0, `screenshots: ${key} should include screenshots for the catalog`);
      for (const s of shots) {
        assert.ok(s.name.trim() && s.path.trim(), `screenshots: ${key} has an empty name or path`);
        const file = join(pluginDir, dirname(key), s.path);
        assert.ok(existsSync(file), `screenshots: ${key}: ${s.path} is not in the archive`);
        const type = imageType(readFileSync(file));
        assert.equal(type, typeByExtension[extname(file).toLowerCase()], `screenshots-image-type: ${s.path}`);
      }
    }
  });

  test('metadatapaths: logo and screenshot paths are relative to their plugin.json, plain, and exist', () => {
    for (const [key, meta] of pluginJsons()) {
      const paths = [meta.info.logos.small, meta.info.logos.large, ...(meta.info.screenshots ?? []).map((s) => s.path)];
      for (const p of paths) {
        assert.ok(!URL.canParse(p), `path-relative-to-metadata: ${key}: ${p} must not be a URL`);
        assert.ok(!p.startsWith('.') && !p.startsWith('/'), `invalid-relative-path: ${key}: ${p}`);
        assert.ok(existsSync(join(pluginDir, dirname(key), p)), `path-not-exists: ${key}: ${p}`);
      }
    }
  });

  test('screenshots shipped are the ones in docs/img (kept in step)', () => {
    for (const [key, meta] of pluginJsons()) {
      for (const s of meta.info.screenshots ?? []) {
        const docsCopy = repoPath('docs', 'img', s.path.replace(/^img\//, ''));
        if (existsSync(docsCopy)) {
          assert.ok(
            readFileSync(docsCopy).equals(readFileSync(join(pluginDir, dirname(key), s.path))),
            `${key}: ${s.path} differs from docs/img: copy the new screenshot into src/`,
          );
        }
      }
    }
  });

  test('unsafesvg: SVGs use only plain drawing elements (no script, event handlers, external references)', () => {
    const allowed = new Set(
      'svg defs linearGradient radialGradient stop rect circle ellipse line path polygon polyline g title desc clipPath mask text tspan'.split(
        ' ',
      ),
    );
    const svgs = walk(pluginDir).filter((f) => f.endsWith('.svg'));
    assert.ok(svgs.length >= 2);
    for (const file of svgs) {
      const text = readFileSync(file, 'utf8');
      for (const [, name] of text.matchAll(/<([A-Za-z][\w:-]*)/g)) {
        assert.ok(allowed.has(name), `unsafe-svg-file: ${relative(pluginDir, file)} has <${name}>`);
      }
      assert.doesNotMatch(text, /\son\w+\s*=/i, `unsafe-svg-file: ${relative(pluginDir, file)} has an event handler`);
      assert.doesNotMatch(
        text,
        /(xlink:)?href\s*=\s*["'](?!#)/i,
        `unsafe-svg-file: ${relative(pluginDir, file)}: external href`,
      );
      assert.doesNotMatch(text, /javascript:|<!ENTITY/i, `unsafe-svg-file: ${relative(pluginDir, file)}`);
    }
  });
});

// ---- README, CHANGELOG, LICENSE, links ---------------------------------------------------------

/** The validator's brokenlinks regex: every markdown link and image target. */
const markdownLinks = (text: string) => [...text.matchAll(/\[.+?\]\((.+?)\)/g)].map((m) => m[1].trim().split(/\s+/)[0]);

/** A link into this repository must name a file or folder that exists (an offline broken-link check). */
function assertRepoLinkResolves(url: string, where: string) {
  const u = new URL(url);
  let path: string | undefined;
  if (u.hostname === 'raw.githubusercontent.com') {
    const m = u.pathname.match(/^\/reviewtrace\/reviewtrace\/main\/(.+)$/);
    assert.ok(m, `${where}: ${url} is not a raw link to this repository's main branch`);
    path = m[1];
  } else if (u.hostname === 'github.com' && u.pathname.startsWith('/reviewtrace/reviewtrace')) {
    const m = u.pathname.match(/^\/reviewtrace\/reviewtrace\/(?:blob|tree)\/main\/(.+)$/);
    path = m?.[1];
  }
  if (path !== undefined) {
    assert.ok(
      existsSync(repoPath(...path.split('/'))),
      `${where}: ${url} names ${path}, which is not in the repository`,
    );
    if (u.hash && path.endsWith('.md')) {
      const anchors = new Set(
        [...readFileSync(repoPath(...path.split('/')), 'utf8').matchAll(/^#+\s+(.+)$/gm)].map((m) =>
          m[1]
            .toLowerCase()
            .replace(/[^\p{L}\p{N}\s-]/gu, '')
            .replace(/\s/g, '-'),
        ),
      );
      assert.ok(anchors.has(u.hash.slice(1)), `${where}: ${url}: no heading for ${u.hash}`);
    }
  }
}

describe('documents (readme, brokenlinks, jargon, templatereadme, changelog, license)', () => {
  test('readme: README.md is the plugin README (src/README.md), not empty, no HTML comments', () => {
    const readme = readPlugin('README.md');
    assert.ok(readme.trim(), 'missing-readme');
    assert.equal(
      readme,
      readFileSync(repoPath('src', 'README.md'), 'utf8')
        .replaceAll('%VERSION%', pkg.version)
        .replaceAll('%PLUGIN_ID%', root.id),
      'dist/README.md is not src/README.md: rebuild',
    );
    assert.notEqual(readme, readFileSync(repoPath('README.md'), 'utf8'), 'the developer README must not ship');
    assert.doesNotMatch(readme, /<!--[\s\S]*?-->/, 'readme-comment');
  });

  test('brokenlinks (relative-link): every README link is absolute; links into this repository resolve', () => {
    const readme = readPlugin('README.md');
    const links = markdownLinks(readme);
    assert.ok(links.length > 5);
    for (const link of links) {
      if (link.startsWith('#') || link.startsWith('mailto:')) {
        continue;
      }
      assert.match(link, /^https:\/\//, `relative-link: README.md: convert to absolute: ${link}`);
      assertRepoLinkResolves(link, 'README.md');
    }
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g)].map((m) => m[1]);
    assert.ok(images.length >= 2, 'the README shows screenshots');
  });

  test('brokenlinks: plugin.json author and info.links are absolute https URLs that resolve in this repository', () => {
    for (const [key, meta] of pluginJsons()) {
      const urls = [meta.info.author?.url, ...(meta.info.links ?? []).map((l) => l.url)].filter((u): u is string =>
        Boolean(u),
      );
      for (const url of urls) {
        assert.match(url, /^https:\/\//, `${key}: ${url}`);
        assert.ok(url.startsWith(REPO_URL), `${key}: ${url} is not this project's repository (${REPO_URL})`);
        assertRepoLinkResolves(url, key);
      }
    }
    const names = (root.info.links ?? []).map((l) => l.name.toLowerCase());
    for (const wanted of ['documentation', 'source', 'license', 'issues']) {
      assert.ok(
        names.some((n) => n.includes(wanted)),
        `plugin.json info.links has no ${wanted} link`,
      );
    }
  });

  test('jargon / templatereadme: no developer jargon, not the create-plugin template', () => {
    const readme = readPlugin('README.md');
    for (const word of ['yarn', 'nodejs']) {
      assert.ok(!readme.toLowerCase().includes(word), `developer-jargon: README.md contains "${word}"`);
    }
    assert.doesNotMatch(readme, /Grafana (Panel|Data Source|Datasource|App|Data Source Backend) Plugin Template/i);
  });

  test('changelog: CHANGELOG.md ships, is the repository one, and has this version', () => {
    const changelog = readPlugin('CHANGELOG.md');
    assert.ok(changelog.trim(), 'missing-changelog');
    assert.equal(changelog, readFileSync(repoPath('CHANGELOG.md'), 'utf8'));
    assert.match(changelog, new RegExp(`^## \\[${pkg.version.replaceAll('.', '\\.')}\\]`, 'm'));
  });

  test('license: LICENSE ships, Apache-2.0 as package.json says, no template placeholders', () => {
    const license = readPlugin('LICENSE');
    assert.equal(pkg.license, 'Apache-2.0');
    assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(license, /TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
    assert.match(license, /END OF TERMS AND CONDITIONS/);
    assert.doesNotMatch(
      license,
      /\{name of copyright owner\}|\{yyyy\}|\[yyyy\] \[name of copyright owner\]/,
      'license-with-generic-text',
    );
    assert.equal(license, readFileSync(repoPath('LICENSE'), 'utf8'));
  });
});

// ---- code: module.js, source maps, tracking, Angular, build tools ----------------------------------

const jsFiles = () => walk(pluginDir).filter((f) => f.endsWith('.js'));

// Hosts that appear in the bundles (XML namespaces and licence headers of bundled libraries). A new
// host fails: check it is not a tracking script (the validator matches a blocklist of tracking
// domains), then add it here.
const KNOWN_URL_HOSTS = new Set([
  'www.w3.org',
  'www.eclipse.org',
  'en.wikipedia.org',
  'opensource.org',
  'github.com',
  'engelschall.com',
  'localhost',
  '',
]);

describe('code (modulejs, jssourcemap, trackingscripts, legacyplatform, legacybuilder, buildtools, manifest)', () => {
  test('modulejs: a module.js for the app and for every nested plugin', () => {
    for (const key of pluginJsons().keys()) {
      assert.ok(existsSync(join(pluginDir, dirname(key), 'module.js')), `missing-modulejs: beside ${key}`);
    }
  });

  test('jssourcemap: a module.js.map beside every module.js, whose sources are this repository src/', () => {
    const prefix = `webpack://${root.id}/`;
    for (const moduleJs of walk(pluginDir).filter((f) => f.endsWith(`${sep}module.js`))) {
      const mapFile = `${moduleJs}.map`;
      assert.ok(existsSync(mapFile), `js-map-not-found: ${relative(pluginDir, mapFile)}`);
      const map = readJsonFile<{ sources: string[]; sourcesContent?: Array<string | null> }>(mapFile);
      let compared = 0;
      map.sources.forEach((source, i) => {
        if (!source.startsWith(`${prefix}./`) || source.includes('node_modules') || source.includes('?')) {
          return;
        }
        const rel = source.slice(prefix.length + 2);
        const file = repoPath('src', ...rel.split('/'));
        assert.ok(existsSync(file), `js-map-no-match: ${source} is not src/${rel}`);
        assert.equal(
          map.sourcesContent?.[i],
          readFileSync(file, 'utf8'),
          `js-map-no-match: src/${rel} changed since the build`,
        );
        compared++;
      });
      assert.ok(compared > 0, `${relative(pluginDir, mapFile)}: no source of src/ in the map`);
    }
  });

  test('trackingscripts: every URL in the bundles has a reviewed host', () => {
    for (const file of jsFiles()) {
      for (const [url] of readFileSync(file, 'utf8').matchAll(/https?:\/\/[^\s"'`)\\<>]*/g)) {
        const host = url.replace(/^https?:\/\//, '').split(/[/:?#]/)[0];
        assert.ok(KNOWN_URL_HOSTS.has(host), `tracking-scripts: ${relative(pluginDir, file)} has ${url}`);
      }
    }
  });

  test('legacyplatform: no AngularJS plugin APIs in the bundles', () => {
    const patterns = [
      'PanelCtrl',
      'QueryCtrl',
      'ConfigCtrl',
      'app/plugins/sdk',
      'angular.isNumber(',
      'editor.html',
      'ctrl.annotation',
      'getLegacyAngularInjector',
      'app/core/core_module',
    ];
    for (const file of jsFiles()) {
      const code = readFileSync(file, 'utf8');
      for (const p of patterns) {
        assert.ok(!code.includes(p), `legacy-platform: ${relative(pluginDir, file)} uses ${p}`);
      }
    }
  });

  test('legacybuilder / buildtools: create-plugin webpack config, no grafana-toolkit script', () => {
    for (const [name, script] of Object.entries(pkg.scripts)) {
      assert.ok(!script.includes('grafana-toolkit '), `legacy-builder: script ${name}`);
    }
    const webpackConfig = repoPath('.config', 'webpack', 'webpack.config.ts');
    assert.ok(existsSync(webpackConfig), 'non-standard-frontend-build-tooling');
    assert.ok(
      readFileSync(webpackConfig, 'utf8').includes('@grafana/create-plugin'),
      'non-standard-frontend-build-tooling',
    );
    assert.ok(!existsSync(repoPath('go.mod')), 'no Go backend, so no Magefile rule applies');
  });

  test('manifest: when signed, MANIFEST.txt lists every file with its SHA-256 (unsigned is a warning)', (t) => {
    const manifestFile = inPlugin('MANIFEST.txt');
    if (!existsSync(manifestFile)) {
      t.diagnostic('unsigned-plugin (warning): no MANIFEST.txt; `npm run sign` adds one');
      return;
    }
    const text = readFileSync(manifestFile, 'utf8');
    const body = text.match(/-----BEGIN PGP SIGNED MESSAGE-----[\s\S]*?\n\n([\s\S]*?)\n-----BEGIN PGP SIGNATURE-----/);
    assert.ok(body, 'wrong-manifest: not a signed manifest');
    const manifest = JSON.parse(body[1]) as {
      plugin: string;
      version: string;
      files: Record<string, string>;
      signatureType: string;
      rootUrls?: string[];
    };
    assert.equal(manifest.plugin, root.id);
    assert.equal(manifest.version, root.info.version);
    const files = walk(pluginDir)
      .map((f) => toPosix(relative(pluginDir, f)))
      .filter((f) => f !== 'MANIFEST.txt');
    assert.deepEqual(Object.keys(manifest.files).sort(), files, 'undeclared-files');
    for (const f of files) {
      assert.equal(
        manifest.files[f],
        createHash('sha256')
          .update(readFileSync(inPlugin(f)))
          .digest('hex'),
        `invalid-sha-sum: ${f}`,
      );
    }
    if (!['private', 'private-glob'].includes(manifest.signatureType)) {
      assert.deepEqual(manifest.rootUrls ?? [], [], 'invalid-signature: rootUrls only with a private signature');
    }
  });
});
