// Checks that this Node.js is as new as package.json's "engines" asks, before anything parses
// TypeScript. Plain CommonJS in syntax any old Node parses (no const/let, arrows, template strings or
// import), so an old Node prints one line that says what to do instead of "Unknown file extension
// .ts". Run directly (`node server/bin/require-node.cjs`, the npm scripts do) it exits 1 on an old
// Node; required, it exports the check (server/bin/reviewtrace-server.cjs).
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: an old Node must parse it */

var path = require('path');

/** The lowest version package.json's engines.node allows, as [major, minor, patch]. */
function requiredVersion() {
  var engines = require(path.join(__dirname, '..', '..', 'package.json')).engines || {};
  var m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(String(engines.node || '0.0.0'));
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] || 0)] : [0, 0, 0];
}

/** Undefined when `version` (e.g. "20.20.2") is new enough, else the one-line message. */
function nodeVersionProblem(version, program) {
  var want = requiredVersion();
  var have = String(version).split('.').map(Number);
  for (var i = 0; i < 3; i += 1) {
    if ((have[i] || 0) !== want[i]) {
      if ((have[i] || 0) > want[i]) {
        return undefined;
      }
      return (
        (program || 'reviewtrace') +
        ' needs Node.js ' +
        want[0] +
        '.' +
        want[1] +
        ' or newer (this is v' +
        version +
        ', ' +
        process.execPath +
        '): install Node 24 LTS (nodejs.org, or `nvm install 24`) and put it first on PATH;' +
        ' scripts/ensure-node.sh prints the directory of one'
      );
    }
  }
  return undefined;
}

module.exports = { nodeVersionProblem: nodeVersionProblem, requiredVersion: requiredVersion };

if (require.main === module) {
  var problem = nodeVersionProblem(process.versions.node, process.argv[2]);
  if (problem) {
    process.stderr.write(problem + '\n');
    process.exit(1);
  }
}
