#!/usr/bin/env bash
# Prints the directory of a Node >= 24 binary. Uses the machine's node when it is new enough,
# otherwise installs the `node@24` package (which ships the binary) into a cache outside the repo.
# Usage: export PATH="$(scripts/ensure-node.sh):$PATH"
set -euo pipefail
want_major=24
cache="${REVIEWTRACE_CACHE:-$HOME/.cache/reviewtrace}/node${want_major}"

have_major=0
if command -v node >/dev/null 2>&1; then
  have_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
fi
if [ "$have_major" -ge "$want_major" ]; then
  dirname "$(command -v node)"
  exit 0
fi

bin="$cache/node_modules/node/bin"
if [ ! -x "$bin/node" ] || ! "$bin/node" -e 'process.exit(+process.versions.node.split(".")[0] >= '"$want_major"' ? 0 : 1)' 2>/dev/null; then
  echo "ensure-node: machine node is v${have_major}; installing node@${want_major} into $cache" >&2
  mkdir -p "$cache"
  npm install --silent --no-audit --no-fund --prefix "$cache" "node@${want_major}" >&2
fi
"$bin/node" --version >&2
echo "$bin"
