#!/usr/bin/env bash
# Stop a Tempo started by start-tempo.sh.
#
# Usage: scripts/tempo/stop-tempo.sh <pid> [grace-seconds]
#
# Sends SIGTERM, waits up to grace-seconds (default 10) and then SIGKILLs.
# The SIGKILL fallback is needed: this Tempo version deadlocks on shutdown
# when a query reached the query-frontend less than ~30s earlier (its
# request queue waits for a cleanup ticker that has already been stopped;
# upstream grafana/tempo PR #7967). The ingester has normally flushed and
# stopped by then, and the WAL is on disk either way.
set -euo pipefail
[[ $# -ge 1 && "$1" =~ ^[0-9]+$ ]] || { echo "usage: $0 <pid> [grace-seconds]" >&2; exit 2; }
PID="$1" GRACE="${2:-10}"
kill -0 "$PID" 2>/dev/null || exit 0
kill -TERM "$PID" 2>/dev/null || exit 0
for ((i = 0; i < GRACE * 4; i++)); do
  kill -0 "$PID" 2>/dev/null || exit 0
  sleep 0.25
done
echo "[stop-tempo] pid $PID still running ${GRACE}s after SIGTERM; sending SIGKILL" >&2
kill -KILL "$PID" 2>/dev/null || true
for ((i = 0; i < 40; i++)); do
  kill -0 "$PID" 2>/dev/null || exit 0
  sleep 0.25
done
echo "[stop-tempo] pid $PID did not exit" >&2
exit 1
