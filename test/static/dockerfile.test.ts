// Static checks of server/Dockerfile and .dockerignore (no Docker engine here): what the image
// copies exists and is everything the sidecar imports, its commands are real CLI commands, and
// its health check and heap flags actually work with Node.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { loadConfig } from '../../server/config/config.ts';
import {
  cliCommands,
  dockerfileInstructions,
  dockerignore,
  execForm,
  exists,
  importsOf,
  keyValues,
  obj,
  readJson,
  readText,
  type Instruction,
} from './support.ts';

const instructions = dockerfileInstructions(readText('server/Dockerfile'));
const finalStage = Math.max(...instructions.map((i) => i.stage));
const inFinal = (keyword: string): Instruction[] =>
  instructions.filter((i) => i.keyword === keyword && i.stage === finalStage);
const imageEnv = (): Record<string, string> =>
  Object.assign({}, ...inFinal('ENV').map((i) => keyValues(i.args))) as Record<string, string>;
const ignored = dockerignore();

/** COPY sources taken from the build context (not from another stage), per stage. */
function contextCopies(): { sources: string[]; dest: string; stage: number }[] {
  return instructions
    .filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))
    .map((i) => {
      const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      return { sources: words.slice(0, -1), dest: words.at(-1) ?? '', stage: i.stage };
    });
}

/** The exec-form command of the HEALTHCHECK instruction. */
function healthcheckCommand(): string[] {
  const [hc] = inFinal('HEALTHCHECK');
  assert.ok(hc, 'the image has a HEALTHCHECK');
  const cmd = /\bCMD\s+(\[[\s\S]*\])\s*$/.exec(hc.args);
  assert.ok(cmd, 'HEALTHCHECK uses CMD in exec form');
  return execForm(cmd[1]);
}

describe('server/Dockerfile', () => {
  it('builds every stage FROM a pinned official Node 24 image', () => {
    const args: Record<string, string> = {};
    for (const i of instructions.filter((x) => x.keyword === 'ARG' && x.stage === -1)) {
      Object.assign(args, keyValues(i.args));
    }
    const froms = instructions.filter((i) => i.keyword === 'FROM');
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const from of froms) {
      const image = from.args.split(/\s+/)[0].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => {
        const v = args[a ?? b];
        assert.ok(v, `ARG ${a ?? b} has a default`);
        return v;
      });
      assert.match(image, /^node:24\.\d+\.\d+-(trixie|bookworm)-slim$|^node:24\.\d+\.\d+-alpine[\d.]*$/, image);
    }
  });

  it('installs only production dependencies, from the lockfile', () => {
    const run = instructions.filter((i) => i.keyword === 'RUN').find((i) => /\bnpm ci\b/.test(i.args));
    assert.ok(run, 'RUN npm ci');
    assert.match(run.args, /--omit=dev/);
    const lockCopied = contextCopies().some(
      (c) => c.stage === run.stage && c.sources.includes('package.json') && c.sources.includes('package-lock.json'),
    );
    assert.ok(lockCopied, 'package.json and package-lock.json are copied before npm ci');
  });

  it('copies sources that exist and that .dockerignore does not exclude', () => {
    const copies = contextCopies();
    assert.ok(copies.length > 0);
    for (const { sources } of copies) {
      for (const source of sources) {
        const path = source.replace(/\/$/, '');
        assert.ok(exists(path), `${source} exists`);
        assert.equal(ignored(path), false, `${source} is in the build context`);
      }
    }
    const runtimeSources = copies.filter((c) => c.stage === finalStage).flatMap((c) => c.sources);
    for (const needed of ['server/', 'src/review-model/', 'package.json']) {
      assert.ok(runtimeSources.includes(needed), `the image copies ${needed}`);
    }
  });

  it('ships every module the sidecar imports at run time, and its packages are production dependencies', () => {
    const copied = contextCopies()
      .filter((c) => c.stage === finalStage)
      .flatMap((c) => c.sources)
      .map((s) => s.replace(/\/$/, ''));
    const pkg = obj(readJson('package.json'));
    const prodDeps = Object.keys(obj(pkg, 'dependencies'));
    const seen = new Set<string>();
    const queue = ['server/bin/reviewtrace-server.ts'];
    while (queue.length > 0) {
      const file = queue.shift() ?? '';
      if (seen.has(file)) {
        continue;
      }
      seen.add(file);
      assert.ok(exists(file), `${file} exists`);
      assert.ok(
        copied.some((c) => file === c || file.startsWith(`${c}/`)),
        `${file} is inside a directory the image copies`,
      );
      assert.equal(ignored(file), false, `${file} is not excluded by .dockerignore`);
      const { local, packages } = importsOf(file);
      queue.push(...local);
      for (const p of packages) {
        assert.ok(
          prodDeps.includes(p),
          `${p} (imported by ${file}) is in "dependencies", so npm ci --omit=dev installs it`,
        );
      }
    }
    assert.ok(seen.size > 20, `walked the import graph (${seen.size} modules)`);
    assert.ok(
      [...seen].some((f) => f.startsWith('src/review-model/')),
      'the sidecar uses src/review-model',
    );
  });

  it('runs as the non-root node user with /data as the data volume (REVIEWTRACE_DATA_DIR)', () => {
    const users = inFinal('USER').map((i) => i.args);
    assert.deepEqual(users, ['node']);
    const volumes = inFinal('VOLUME').flatMap((i) => (i.args.startsWith('[') ? execForm(i.args) : i.args.split(/\s+/)));
    assert.deepEqual(volumes, ['/data']);
    const env = imageEnv();
    assert.equal(env.REVIEWTRACE_DATA_DIR, '/data');
    // The real loader reads the image's environment as the sidecar will.
    const reviewtraceEnv = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('REVIEWTRACE_')));
    const config = loadConfig({ env: reviewtraceEnv });
    assert.equal(config.dataDir, '/data');
    assert.equal(config.databasePath, '/data/reviewtrace.db');
    // http.host defaults to loopback; the image listens on every interface for its published port.
    assert.equal(loadConfig({ env: {} }).http.host, '127.0.0.1');
    assert.equal(config.http.host, '0.0.0.0');
    // /data is created and handed to node before USER switches (a named volume inherits that owner).
    const stageRuns = instructions.filter((i) => i.stage === finalStage);
    const chown = stageRuns.findIndex((i) => i.keyword === 'RUN' && /chown\s+node(:node)?\s+\/data/.test(i.args));
    const user = stageRuns.findIndex((i) => i.keyword === 'USER');
    assert.ok(chown >= 0 && chown < user, 'RUN chown node /data comes before USER node');
  });

  it('sets heap limits in NODE_OPTIONS that Node accepts there', () => {
    const nodeOptions = imageEnv().NODE_OPTIONS;
    assert.equal(nodeOptions, '--max-old-space-size=256 --max-semi-space-size=16');
    const probe = spawnSync(
      process.execPath,
      ['-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))'],
      { env: { PATH: process.env.PATH, NODE_OPTIONS: nodeOptions }, encoding: 'utf8' },
    );
    assert.equal(probe.status, 0, probe.stderr);
    const limitMb = Number(probe.stdout) / 1024 / 1024;
    assert.ok(limitMb > 256 && limitMb < 320, `heap limit ${limitMb} MB reflects the flags`);
  });

  it('starts reviewtrace-server with a real command (run by default: never demo data on its own)', () => {
    const [entrypoint] = inFinal('ENTRYPOINT');
    const entry = execForm(entrypoint.args);
    assert.deepEqual(entry, ['node', 'server/bin/reviewtrace-server.cjs']);
    assert.ok(exists(entry[1]));
    assert.equal(obj(readJson('package.json'), 'bin')['reviewtrace-server'], entry[1]);
    // The shim loads the TypeScript CLI beside it, and the version check it requires.
    const shim = readText(entry[1]);
    assert.match(shim, /require\('\.\/require-node\.cjs'\)/);
    assert.match(shim, /'reviewtrace-server\.ts'/);
    assert.ok(exists('server/bin/reviewtrace-server.ts') && exists('server/bin/require-node.cjs'));
    const [cmd] = inFinal('CMD');
    const args = execForm(cmd.args);
    assert.deepEqual(args, ['run']);
    assert.ok(cliCommands().includes(args[0]), `${args[0]} is one of ${cliCommands().join(', ')}`);
  });

  it('exposes http.port and health-checks /health with node (the image has no curl)', async () => {
    const port = loadConfig({ env: {} }).http.port;
    assert.deepEqual(
      inFinal('EXPOSE').map((i) => Number(i.args)),
      [port],
    );
    const command = healthcheckCommand();
    assert.equal(command[0], 'node');
    assert.equal(command[1], '-e');
    assert.ok(command[2].includes('/health'));
    assert.ok(command[2].includes(String(port)), 'defaults to http.port');
    // Run the one-liner against a stand-in server: 200 → healthy (0), 503 or nothing → unhealthy (1).
    let status = 200;
    let paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port: testPort } = server.address() as AddressInfo;
    const check = () => runCommand(command, { ...process.env, REVIEWTRACE_HTTP__PORT: String(testPort) });
    try {
      assert.equal(await check(), 0);
      assert.deepEqual(paths, ['/health']);
      status = 503;
      paths = [];
      assert.equal(await check(), 1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.equal(await check(), 1, 'unhealthy when nothing listens');
  });
});

describe('.dockerignore', () => {
  it('keeps local state and build output out of the build context', () => {
    for (const path of ['node_modules', 'dist', '.git', 'test-results', 'data', '.data', 'server/gerrit/fixtures']) {
      assert.ok(ignored(path), `${path} is excluded`);
    }
    assert.ok(ignored('server/config/config.test.ts'), 'tests are excluded');
    for (const path of [
      'server/bin/reviewtrace-server.cjs',
      'server/bin/require-node.cjs',
      'server/bin/reviewtrace-server.ts',
      'src/review-model/span-schema.ts',
      'package-lock.json',
    ]) {
      assert.equal(ignored(path), false, `${path} is in the context`);
    }
  });
});

/** Runs a command without blocking (the stand-in server must keep answering meanwhile). */
function runCommand(command: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  const [bin, ...args] = command;
  const child = spawn(bin === 'node' ? process.execPath : bin, args, { env, stdio: 'ignore' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
