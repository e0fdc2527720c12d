// The Node.js version check every entry point runs first: the bin shim (server/bin/reviewtrace-server.cjs)
// and the npm scripts that run TypeScript (server/bin/require-node.cjs). With this machine's older
// Node (found on PATH with `which -a node`) the real shim and the real `npm run build` are run; where
// no older Node exists (another CI machine) the same check is tested with fake version strings, and
// the test says so in its output.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { readJson, obj } from './support.ts';

const repo = new URL('../../', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const { nodeVersionProblem, requiredVersion } = require('../../server/bin/require-node.cjs') as {
  nodeVersionProblem: (version: string, program?: string) => string | undefined;
  requiredVersion: () => [number, number, number];
};

/** Node binaries on PATH (and the usual system one) older than engines.node. */
function olderNodes(): string[] {
  const which = spawnSync('which', ['-a', 'node'], { encoding: 'utf8' });
  const found = [...(which.stdout ?? '').split('\n').filter(Boolean), '/usr/bin/node'].filter((b) => existsSync(b));
  const candidates = new Set(found.map((b) => realpathSync(b)));
  return [...candidates].filter((bin) => {
    const v = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' });
    return v.status === 0 && nodeVersionProblem(v.stdout.trim()) !== undefined;
  });
}

const NO_STACK = /^\s+at /m;

describe('Node.js version check', () => {
  it('reads the minimum from package.json engines', () => {
    const engines = obj(readJson('package.json'), 'engines');
    assert.equal(engines.node, '>=22.15.0');
    assert.deepEqual(requiredVersion(), [22, 15, 0]);
  });

  it('accepts 22.15 and newer, refuses older with one line that says what to do', () => {
    for (const ok of ['22.15.0', '22.16.1', '23.0.0', '24.21.0', '30.1.2']) {
      assert.equal(nodeVersionProblem(ok), undefined, ok);
    }
    for (const old of ['22.14.9', '20.20.2', '18.0.0', '8.9.4']) {
      const problem = nodeVersionProblem(old, 'reviewtrace-server');
      assert.ok(problem, old);
      assert.ok(problem.startsWith(`reviewtrace-server needs Node.js 22.15 or newer (this is v${old}`), problem);
      assert.match(problem, /nvm install 24/);
      assert.ok(!problem.includes('\n'));
    }
  });

  it('runs first in every npm script that runs TypeScript', () => {
    const scripts = obj(readJson('package.json'), 'scripts') as Record<string, string>;
    for (const name of ['server', 'build', 'dev', 'test:unit', 'test:integration', 'test:e2e']) {
      assert.ok(scripts[name].startsWith('node server/bin/require-node.cjs '), `${name}: ${scripts[name]}`);
    }
    for (const [name, script] of Object.entries(scripts)) {
      if (/\.ts\b|webpack|playwright/.test(script)) {
        assert.ok(script.startsWith('node server/bin/require-node.cjs '), `${name} checks the Node version first`);
      }
    }
  });

  const old = olderNodes();
  it(`with this machine's older Node (${old.join(', ') || 'none found: checked with fake versions above'})`, () => {
    for (const bin of old) {
      const version = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
      const shim = spawnSync(bin, ['server/bin/reviewtrace-server.cjs', '--help'], { cwd: repo, encoding: 'utf8' });
      assert.equal(shim.status, 1);
      assert.equal(shim.stdout, '');
      assert.equal(
        shim.stderr.trim().split('\n').length,
        1,
        `one line, not "Unknown file extension .ts": ${shim.stderr}`,
      );
      assert.ok(shim.stderr.startsWith(`reviewtrace-server needs Node.js 22.15 or newer (this is v${version}`));
      assert.doesNotMatch(shim.stderr, NO_STACK);
      // `npm run build` with that Node first on PATH: the check stops it before webpack loads a .ts config.
      const npmDir = spawnSync('dirname', [bin], { encoding: 'utf8' }).stdout.trim();
      const build = spawnSync('npm', ['run', '--silent', 'build'], {
        cwd: repo,
        encoding: 'utf8',
        env: { ...process.env, PATH: `${npmDir}:/usr/bin:/bin` },
      });
      if (build.error) {
        // No npm beside that Node: run the script's check the way npm would.
        const check = spawnSync(bin, ['server/bin/require-node.cjs', 'npm run build'], { cwd: repo, encoding: 'utf8' });
        assert.equal(check.status, 1);
        assert.ok(check.stderr.startsWith('npm run build needs Node.js 22.15 or newer'));
        continue;
      }
      assert.equal(build.status, 1);
      assert.ok(build.stderr.trim().endsWith('scripts/ensure-node.sh prints the directory of one'), build.stderr);
      assert.match(build.stderr, /^npm run build needs Node\.js 22\.15 or newer/m);
      assert.doesNotMatch(build.stderr, /ts-node|Unknown file extension/);
    }
  });
});
