#!/usr/bin/env bash
# Initialise (if needed) and run a local Gerrit in the FOREGROUND for tests.
#
# Usage: scripts/gerrit/start-gerrit.sh <site-dir> <http-port> <ssh-port>
#
# - First run: `java -jar gerrit.war init --batch --dev --no-auto-start --skip-all-downloads -d <site>`
#   (--dev = auth.type DEVELOPMENT_BECOME_ANY_ACCOUNT; batch init also creates account
#   1000000 "admin" in Administrators).
# - Every run: rewrites the test settings in <site>/etc/gerrit.config (loopback-only listeners
#   on the given ports, lucene index, no e-mail, small thread pools, modest heap), then
#   `exec java ... -jar gerrit.war daemon -d <site> --console-log`, so the caller
#   (a test harness) owns the process: SIGTERM/SIGINT stops Gerrit.
# - The SSH host keys are <site>/etc/ssh_host_*_key.pub (ed25519, ecdsa, rsa): pin them.
#
# Environment:
#   GERRIT_WAR       war to use (default: output of install-gerrit.sh)
#   GERRIT_JAVA      java executable (default: $JAVA_HOME/bin/java, else java on PATH; >= 17)
#   GERRIT_HEAP      JVM heap limit (default 768m)
#   GERRIT_HEADLESS  0 (default) = serve the web front page. The assembled war has no PolyGerrit
#                    JS bundle, but the front page (index.html) is still what sets the XSRF_TOKEN
#                    cookie that cookie-authenticated REST writes need (X-Gerrit-Auth header);
#                    1 = --headless (then only /a/ + HTTP password auth works for REST).
set -euo pipefail

die() { echo "start-gerrit: ERROR: $*" >&2; exit 1; }
log() { echo "start-gerrit: $*" >&2; }

[[ $# -eq 3 ]] || die "usage: $0 <site-dir> <http-port> <ssh-port>"
SITE_ARG="$1"; HTTP_PORT="$2"; SSH_PORT="$3"
[[ "$HTTP_PORT" =~ ^[0-9]+$ && "$HTTP_PORT" -ge 1 && "$HTTP_PORT" -le 65535 ]] || die "bad http port: $HTTP_PORT"
[[ "$SSH_PORT" =~ ^[0-9]+$ && "$SSH_PORT" -ge 1 && "$SSH_PORT" -le 65535 ]] || die "bad ssh port: $SSH_PORT"
[[ "$HTTP_PORT" != "$SSH_PORT" ]] || die "http and ssh port must differ"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$SITE_ARG" || die "cannot create site dir $SITE_ARG"
SITE="$(cd "$SITE_ARG" && pwd)"
HEAP="${GERRIT_HEAP:-768m}"

if [[ -n "${GERRIT_JAVA:-}" ]]; then JAVA="$GERRIT_JAVA"
elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"
else JAVA="$(command -v java || true)"; fi
[[ -n "$JAVA" && -x "$JAVA" ]] || die "java not found (set GERRIT_JAVA or JAVA_HOME)"
JAVA_MAJOR="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1)"
[[ "$JAVA_MAJOR" =~ ^[0-9]+$ && "$JAVA_MAJOR" -ge 17 ]] || die "$JAVA is Java '$JAVA_MAJOR'; Gerrit 3.10 needs Java 17 or 21"
command -v python3 >/dev/null 2>&1 || die "python3 is required"

if [[ -n "${GERRIT_WAR:-}" ]]; then WAR="$GERRIT_WAR"
else WAR="$("$HERE/install-gerrit.sh" | tail -n 1)" || die "install-gerrit.sh failed"; fi
[[ -f "$WAR" ]] || die "gerrit war not found: $WAR"

CFG="$SITE/etc/gerrit.config"
STAMP="$SITE/etc/reviewtrace-war"
WAR_ID="$(basename "$WAR") $(stat -c %s "$WAR")"

initialised() {
  [[ -f "$CFG" && -d "$SITE/git/All-Projects.git" && -d "$SITE/git/All-Users.git" && -d "$SITE/index" \
     && -f "$STAMP" && "$(cat "$STAMP")" == "$WAR_ID" ]]
}

if ! initialised; then
  log "initialising site $SITE with $(basename "$WAR")"
  t0=$(date +%s.%N)
  # NB: init treats a NON-EMPTY site dir as an existing site and then ignores --dev (no
  # DEVELOPMENT_BECOME_ANY_ACCOUNT, no "admin" account), so the log goes outside the site.
  INIT_LOG="$(mktemp "${TMPDIR:-/tmp}/gerrit-init.XXXXXX")"
  if ! "$JAVA" -Xmx"$HEAP" -jar "$WAR" init --batch --dev --no-auto-start \
      --skip-all-downloads -d "$SITE" >"$INIT_LOG" 2>&1 </dev/null; then
    tail -n 40 "$INIT_LOG" >&2
    die "gerrit init failed (full log: $INIT_LOG)"
  fi
  mkdir -p "$SITE/logs" && mv -f "$INIT_LOG" "$SITE/logs/init.log"
  grep -q 'DEVELOPMENT_BECOME_ANY_ACCOUNT' "$CFG" ||
    log "WARNING: site was not created in --dev mode (was $SITE non-empty before init?)"
  echo "$WAR_ID" >"$STAMP"
  log "init done in $(python3 -c "print(round($(date +%s.%N)-$t0,1))")s"
fi

# Rewrite test settings in git-config syntax (no git binary needed).
python3 - "$CFG" "$HTTP_PORT" "$SSH_PORT" "$HEAP" <<'PY' || die "cannot update $CFG"
import re, sys
path, http, ssh, heap = sys.argv[1:5]
url = f"http://127.0.0.1:{http}/"
settings = [
    ("gerrit", "canonicalWebUrl", url),
    ("httpd", "listenUrl", url),
    ("sshd", "listenAddress", f"127.0.0.1:{ssh}"),
    ("sshd", "advertisedAddress", f"127.0.0.1:{ssh}"),
    ("sshd", "threads", "4"),
    ("sshd", "batchThreads", "1"),
    ("sshd", "streamThreads", "2"),
    ("sshd", "commandStartThreads", "2"),
    ("httpd", "minThreads", "2"),
    ("httpd", "maxThreads", "16"),
    ("index", "type", "lucene"),
    ("index", "threads", "1"),
    ("index", "batchThreads", "1"),
    ("container", "heapLimit", heap),
    ("sendemail", "enable", "false"),
    ("plugins", "allowRemoteAdmin", "false"),
    ("receive", "autogc", "false"),
    ("receive", "enableSignedPush", "false"),
    ("gc", "startTime", ""),          # no periodic gc
    ("auth", "type", "DEVELOPMENT_BECOME_ANY_ACCOUNT"),
]
lines = open(path).read().splitlines()

def section_of(line):
    """Lower-case section name for '[name]', a never-matching key for '[name "sub"]', else None."""
    m = re.match(r'^\s*\[\s*([A-Za-z0-9.-]+)\s*("([^"]*)")?\s*\]', line)
    if not m:
        return None
    return m.group(1).lower() + ("\0" + m.group(3) if m.group(2) else "")

for sec, key, val in settings:
    cur, start, end, found = None, None, None, None
    for i, line in enumerate(lines):
        s = section_of(line)
        if s is not None:
            if cur == sec and end is None:
                end = i
            cur = s
            if s == sec and start is None:
                start = i
            continue
        if cur == sec:
            m = re.match(r'^\s*([A-Za-z0-9-]+)\s*(=|$)', line)
            if m and m.group(1).lower() == key.lower():
                found = i
    if start is not None and end is None:
        end = len(lines)
    new = f"\t{key} = {val}"
    if val == "":
        if found is not None:
            del lines[found]
        continue
    if found is not None:
        lines[found] = new
    elif start is not None:
        lines.insert(end, new)
    else:
        lines += [f"[{sec}]", new]
open(path, "w").write("\n".join(lines) + "\n")
PY

# Same JVM options gerrit.sh would use: container.javaOptions from gerrit.config.
mapfile -t JAVA_OPTS < <(python3 - "$CFG" <<'PY'
import re, sys, shlex
sec = None
for line in open(sys.argv[1]):
    m = re.match(r'^\s*\[\s*([A-Za-z0-9.-]+)', line)
    if m:
        sec = m.group(1).lower(); continue
    m = re.match(r'^\s*javaOptions\s*=\s*(.*?)\s*$', line, re.I)
    if sec == "container" and m:
        v = m.group(1)
        if len(v) >= 2 and v[0] == v[-1] == '"':
            v = v[1:-1]
        for tok in shlex.split(v):
            print(tok)
PY
)

HEADLESS=()
[[ "${GERRIT_HEADLESS:-0}" == "1" ]] && HEADLESS=(--headless)

log "starting Gerrit: http=http://127.0.0.1:$HTTP_PORT/ ssh=127.0.0.1:$SSH_PORT site=$SITE"
log "ssh host keys: $SITE/etc/ssh_host_*_key.pub"
cd "$SITE"
exec "$JAVA" -Xmx"$HEAP" "${JAVA_OPTS[@]}" -Djava.io.tmpdir="$SITE/tmp" \
  -jar "$WAR" daemon -d "$SITE" --console-log "${HEADLESS[@]}"
