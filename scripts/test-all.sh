#!/usr/bin/env bash
# The README's test command (`npm run test:all`): installs every real dependency the tests use
# (cached outside the repository), then runs static checks, unit tests, integration tests against a
# real Tempo and a real Gerrit, and browser tests (Debian's Chromium) against the built plugin.
# A missing dependency fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(scripts/ensure-node.sh):$PATH"
export REVIEWTRACE_CACHE="${REVIEWTRACE_CACHE:-$HOME/.cache/reviewtrace}"

step() { printf '\n== %s\n' "$*" >&2; }

step "npm packages"
# A fresh clone has no node_modules; an older install may not match package-lock.json any more
# (npm writes node_modules/.package-lock.json on every install).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules matches package-lock.json" >&2
fi

step "dependencies: Tempo, Gerrit, Chromium"
REVIEWTRACE_TEMPO_BIN="$(scripts/tempo/install-tempo.sh | tail -n 1)"
REVIEWTRACE_GERRIT_WAR="$(scripts/gerrit/install-gerrit.sh | tail -n 1)"
CHROMIUM_PATH="$(scripts/chromium/install-chromium.sh | tail -n 1)"
export REVIEWTRACE_TEMPO_BIN REVIEWTRACE_GERRIT_WAR CHROMIUM_PATH

step "static checks: tsc, eslint, prettier"
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check

step "unit tests"
npm run --silent test:unit

step "integration tests (real Gerrit, real Tempo)"
npm run --silent test:integration

step "fault suite (real Gerrit, real Tempo, proxies on the wire)"
npm run --silent test:faults

step "release archive against the plugin catalog's validator rules"
npm run --silent build
npm run --silent package
npm run --silent test:catalog

step "browser tests (Chromium, test host, real sidecar, real Tempo)"
npm run --silent test:e2e
