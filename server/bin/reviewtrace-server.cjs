#!/usr/bin/env node
// The `reviewtrace-server` command. A plain-JavaScript shim: it checks the Node.js version first
// (server/bin/require-node.cjs), so an old Node says "needs Node.js 22.15 or newer" in one line,
// then loads the TypeScript CLI (server/bin/reviewtrace-server.ts), which Node runs directly.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: an old Node must parse it */

var problem = require('./require-node.cjs').nodeVersionProblem(process.versions.node, 'reviewtrace-server');
if (problem) {
  process.stderr.write(problem + '\n');
  process.exit(1);
}
// Through Function so that a Node too old to parse import() still reaches the check above.
new Function('specifier', 'return import(specifier)')(
  require('url').pathToFileURL(require('path').join(__dirname, 'reviewtrace-server.ts')).href,
);
