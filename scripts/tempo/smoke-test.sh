#!/usr/bin/env bash
# End-to-end check of the real Tempo started by start-tempo.sh.
#
# Usage: scripts/tempo/smoke-test.sh
#
# Starts Tempo on free loopback ports with a throw-away data dir, pushes
# traces over OTLP/HTTP JSON and checks, with timings:
#   1. /ready, /api/echo, /api/status/buildinfo
#   2. a trace stamped "now": found by /api/v2/traces/<id> and /api/traces/<id>
#   3. the same trace found by /api/search (TraceQL on resource.service.name)
#   4. /api/search with `| select(...)` and spss= returns the selected attribute
#   5. a trace stamped 90 days ago: found by id, and by a search whose
#      start/end cover those 90-day-old timestamps
# Stops Tempo afterwards. Exits non-zero if any check fails.
# Needs only bash, curl and python3 (plus the tempo binary, built on demand).
#
# Environment: SMOKE_KEEP_DATA=1 keeps the data dir and log;
# SMOKE_TIMEOUT (default 90) is the per-check polling limit in seconds.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
TIMEOUT="${SMOKE_TIMEOUT:-90}"

say() { printf '[smoke] %s\n' "$*" >&2; }
FAILED=0
fail() { say "FAIL: $*"; FAILED=$((FAILED + 1)); }
pass() { say "ok:   $*"; }

command -v curl >/dev/null || { say "curl is required"; exit 1; }
command -v python3 >/dev/null || { say "python3 is required"; exit 1; }

# Build (or find) the binary first so that build time is not counted as start-up time.
BIN="$("$SCRIPT_DIR/install-tempo.sh" | tail -n 1)"
say "tempo binary: $BIN"

read -r HTTP_PORT GRPC_PORT OTLP_PORT < <(python3 - <<'PY'
import socket
socks = []
for _ in range(3):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
PY
)
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/reviewtrace-tempo-smoke.XXXXXX")"
LOG="$DATA_DIR/tempo.log"
BASE="http://127.0.0.1:$HTTP_PORT"
OTLP="http://127.0.0.1:$OTLP_PORT/v1/traces"

TEMPO_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$TEMPO_PID" ]] && kill -0 "$TEMPO_PID" 2>/dev/null; then
    say "stopping tempo (pid $TEMPO_PID)"
    "$SCRIPT_DIR/stop-tempo.sh" "$TEMPO_PID" 10 || true
  fi
  if [[ $rc -ne 0 || "$FAILED" -ne 0 ]]; then
    say "last lines of the tempo log ($LOG):"
    tail -n 40 "$LOG" >&2 2>/dev/null || true
  fi
  if [[ "${SMOKE_KEEP_DATA:-0}" == 1 ]]; then
    say "kept data dir $DATA_DIR"
  else
    rm -rf "$DATA_DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
since() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$(now)"; }

# ---------------------------------------------------------------- start
T0="$(now)"
TEMPO_BIN="$BIN" TEMPO_LOG_LEVEL="${TEMPO_LOG_LEVEL:-info}" \
  "$SCRIPT_DIR/start-tempo.sh" "$DATA_DIR" "$HTTP_PORT" "$GRPC_PORT" "$OTLP_PORT" >"$LOG" 2>&1 &
TEMPO_PID=$!
disown "$TEMPO_PID" 2>/dev/null || true  # no "Killed" job notice if the SIGKILL fallback is used
say "started tempo pid $TEMPO_PID (http $HTTP_PORT, grpc $GRPC_PORT, otlp-http $OTLP_PORT, data $DATA_DIR)"

ready=0
deadline=$(( $(date +%s) + TIMEOUT ))
while (( $(date +%s) < deadline )); do
  kill -0 "$TEMPO_PID" 2>/dev/null || { say "tempo exited early"; exit 1; }
  code="$(curl -s -o /dev/null -w '%{http_code}' "$BASE/ready" || true)"
  if [[ "$code" == 200 ]]; then ready=1; break; fi
  sleep 0.5
done
[[ $ready == 1 ]] || { fail "/ready never returned 200 within ${TIMEOUT}s"; exit 1; }
pass "/ready 200 after $(since "$T0")s"

body="$(curl -s "$BASE/api/echo" || true)"
[[ "$body" == echo* ]] && pass "/api/echo -> '$body'" || fail "/api/echo returned '$body'"
body="$(curl -s "$BASE/api/status/buildinfo" || true)"
[[ "$body" == *version* ]] && pass "/api/status/buildinfo -> $body" || fail "/api/status/buildinfo returned '$body'"

# ---------------------------------------------------------------- helpers
# make_trace <service> <trace-id-hex> <start-unix-seconds> -> OTLP JSON on stdout
make_trace() {
  python3 - "$@" <<'PY'
import json, os, sys
svc, tid, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
s_ns = int(start * 1e9)
def span(sid, parent, name, off_ms, dur_ms, attrs):
    d = {"traceId": tid, "spanId": sid, "name": name, "kind": 1,
         "startTimeUnixNano": str(s_ns + off_ms * 1_000_000),
         "endTimeUnixNano": str(s_ns + (off_ms + dur_ms) * 1_000_000),
         "attributes": [{"key": k, "value": v} for k, v in attrs],
         "status": {"code": 1}}
    if parent: d["parentSpanId"] = parent
    return d
root = os.urandom(8).hex(); child = os.urandom(8).hex()
doc = {"resourceSpans": [{
  "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": svc}}]},
  "scopeSpans": [{"scope": {"name": "reviewtrace-smoke"}, "spans": [
     span(root, None, "review 12345", 0, 900,
          [("gerrit.change.number", {"intValue": "12345"}),
           ("gerrit.project", {"stringValue": "smoke/project"})]),
     span(child, root, "patchset 1", 100, 300,
          [("gerrit.change.number", {"intValue": "12345"}),
           ("gerrit.patchset", {"intValue": "1"})]),
  ]}]}]}
print(json.dumps(doc))
PY
}
new_trace_id() { python3 -c 'import os; print("1" + os.urandom(16).hex()[1:])'; }
push() { # push <json>
  local code
  code="$(curl -s -o "$DATA_DIR/push.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data-binary "$1" "$OTLP" || true)"
  [[ "$code" == 200 ]] || { say "push returned HTTP $code: $(cat "$DATA_DIR/push.out" 2>/dev/null)"; return 1; }
}
# trace_found <path> <trace-id>: the trace-by-id response has our 2 spans
trace_found() {
  curl -s "$BASE$1" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(1)
t = d.get("trace", d)          # v2 wraps the trace in {"trace": ...}
n = sum(len(ss.get("spans", [])) for b in t.get("batches", t.get("resourceSpans", []))
        for ss in b.get("scopeSpans", b.get("instrumentationLibrarySpans", [])))
sys.exit(0 if n >= 2 else 1)'
}
# search_found <trace-id> <curl args...>: the search response lists the trace
search_found() {
  local tid="$1"; shift
  curl -s -G "$BASE/api/search" "$@" | python3 -c '
import json, sys
want = sys.argv[1].lstrip("0")
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(1)
ids = [t.get("traceID", "").lstrip("0") for t in d.get("traces", [])]
sys.exit(0 if want in ids else 1)' "$tid"
}
# poll <label> <command...>: retry until the command succeeds; prints the seconds taken
poll() {
  local label="$1"; shift
  local t0 end
  t0="${POLL_FROM:-$(now)}"; end=$(( $(date +%s) + TIMEOUT ))
  while (( $(date +%s) < end )); do
    if "$@"; then
      pass "$label: $(since "$t0")s after push"
      return 0
    fi
    sleep 0.25
  done
  fail "$label: not within ${TIMEOUT}s"
  return 1
}

# ---------------------------------------------------------------- recent trace
SVC="smoke-$(python3 -c 'import os; print(os.urandom(4).hex())')"
TID="$(new_trace_id)"
NOW_S="$(date +%s)"
Q="{resource.service.name=\"$SVC\"}"
POLL_FROM="$(now)"
push "$(make_trace "$SVC" "$TID" "$((NOW_S - 2))")" && pass "pushed trace $TID (service $SVC, stamped now)" || fail "push of recent trace"
poll "recent trace in /api/search (start/end = last hour)" search_found "$TID" \
  --data-urlencode "q=$Q" --data-urlencode "start=$((NOW_S - 3600))" --data-urlencode "end=$((NOW_S + 60))" || true
poll "recent trace by id (/api/v2/traces)" trace_found "/api/v2/traces/$TID" || true
trace_found "/api/traces/$TID" && pass "recent trace by id (/api/traces, v1)" || fail "/api/traces/$TID"
search_found "$TID" --data-urlencode "q=$Q" && pass "recent trace in /api/search without start/end (ingester only)" \
  || fail "recent trace in /api/search without start/end"

# Unknown ids: v1 answers 404, v2 answers 200 with an empty {"trace":{}}.
code="$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/traces/0000000000000000000000000000abcd" || true)"
[[ "$code" == 404 ]] && pass "unknown id: /api/traces -> 404" || fail "unknown id: /api/traces -> $code (expected 404)"
body="$(curl -s "$BASE/api/v2/traces/0000000000000000000000000000abcd" || true)"
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if not d.get("trace") else 1)' "$body" 2>/dev/null \
  && pass "unknown id: /api/v2/traces -> empty trace ($body)" || fail "unknown id: /api/v2/traces -> $body"

# select() + spss
SEL="$(curl -s -G "$BASE/api/search" \
  --data-urlencode "q={resource.service.name=\"$SVC\"} | select(span.gerrit.change.number, span.gerrit.patchset)" \
  --data-urlencode "spss=5" --data-urlencode "limit=5" \
  --data-urlencode "start=$((NOW_S - 3600))" --data-urlencode "end=$((NOW_S + 60))" || true)"
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
tr = d["traces"][0]
sets = tr.get("spanSets") or [tr["spanSet"]]
spans = {s["spanID"]: s for ss in sets for s in ss["spans"]}
keys = {a["key"] for s in spans.values() for a in s.get("attributes", [])}
assert len(spans) == 2, spans
assert {"gerrit.change.number", "gerrit.patchset"} <= keys, keys
' "$SEL" 2>"$DATA_DIR/sel.err"; then
  pass "/api/search with '| select(...)' and spss=5: both spans, with the selected attributes"
else
  fail "/api/search select/spss: $(cat "$DATA_DIR/sel.err") body=$SEL"
fi

# ---------------------------------------------------------------- 90-day-old trace
OLD_SVC="${SVC}-old"
OLD_TID="$(new_trace_id)"
OLD_S=$((NOW_S - 90 * 86400))
OLD_Q="{resource.service.name=\"$OLD_SVC\"}"
POLL_FROM="$(now)"
push "$(make_trace "$OLD_SVC" "$OLD_TID" "$OLD_S")" && pass "pushed trace $OLD_TID (service $OLD_SVC, stamped 90 days ago)" || fail "push of old trace"
poll "old trace in /api/search over its own 90-day-old hour" search_found "$OLD_TID" \
  --data-urlencode "q=$OLD_Q" --data-urlencode "start=$((OLD_S - 1800))" --data-urlencode "end=$((OLD_S + 1800))" || true
poll "old trace by id (/api/v2/traces)" trace_found "/api/v2/traces/$OLD_TID" || true
search_found "$OLD_TID" --data-urlencode "q=$OLD_Q" \
  --data-urlencode "start=$((NOW_S - 3600))" --data-urlencode "end=$((NOW_S + 60))" \
  && fail "old trace unexpectedly matched a search over the last hour" \
  || pass "old trace correctly absent from a search over the last hour"

# After the head block is cut (max_block_duration) it is flushed to the local
# backend; the backend block must then be searched too, and still match.
say "waiting for the ingester to flush its block to the local backend..."
end=$(( $(date +%s) + TIMEOUT ))
while (( $(date +%s) < end )); do
  compgen -G "$DATA_DIR/blocks/single-tenant/*/meta.json" >/dev/null && break
  sleep 0.5
done
if compgen -G "$DATA_DIR/blocks/single-tenant/*/meta.json" >/dev/null; then
  pass "block flushed to the local backend: $(since "$POLL_FROM")s after the old push"
  backend_search_found() {
    curl -s -G "$BASE/api/search" --data-urlencode "q=$OLD_Q" \
      --data-urlencode "start=$((OLD_S - 1800))" --data-urlencode "end=$((OLD_S + 1800))" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ids = [t.get("traceID", "").lstrip("0") for t in d.get("traces", [])]
sys.exit(0 if sys.argv[1].lstrip("0") in ids and int(d.get("metrics", {}).get("totalBlocks", 0)) >= 1 else 1)' "$OLD_TID"
  }
  poll "old trace found by a search that also scanned the backend block (totalBlocks>=1)" backend_search_found || true
else
  fail "no block flushed to the local backend within ${TIMEOUT}s"
fi

if [[ "$FAILED" -ne 0 ]]; then
  say "$FAILED check(s) failed"
  exit 1
fi
say "all checks passed"
