#!/usr/bin/env bash
# Install (download + cache) a Gerrit Code Review launcher for tests.
#
# Usage: scripts/gerrit/install-gerrit.sh
#
# Environment:
#   GERRIT_VERSION     Gerrit version (default 3.10.2, the newest 3.10.x on Maven Central;
#                      3.10.x runs on Java 17, 3.11+ needs Java 21)
#   GERRIT_BC_VERSION  Bouncy Castle version for the assembled launcher (default 1.72)
#   REVIEWTRACE_CACHE  cache root (default $HOME/.cache/reviewtrace)
#   MVN                maven executable (default mvn); the local repository is Maven's default
#
# Result: ${REVIEWTRACE_CACHE}/gerrit/gerrit-<ver>.war ; its path is the LAST line on stdout.
# All progress output goes to stderr. Idempotent: a cached, valid war is reused without
# touching the network.
#
# Where the war comes from:
#   1. com.google.gerrit:gerrit-war:<ver>:war from Maven Central, if it is published there.
#   2. Otherwise (the case for every 3.10.x at the time of writing: Gerrit publishes its
#      release wars only on its own download site, which this environment cannot reach) the
#      war is ASSEMBLED from artifacts that ARE on Maven Central:
#        com.google.gerrit:gerrit-plugin-api:<ver>            (server, sshd, httpd, lucene, ...)
#        com.google.gerrit:gerrit-acceptance-framework:<ver>  (pgm: Init, Daemon, Reindex, jetty, h2, ...)
#        org.bouncycastle:bc{prov,pkix,util,pg}-jdk18on        ("provided" deps of the above)
#      laid out exactly like the official war (WEB-INF/lib/*.jar + GerritLauncher as
#      Main-Class), so `java -jar gerrit-<ver>.war init|daemon|reindex|version` behaves like
#      the release war, minus the bundled plugins and the PolyGerrit web UI (run the daemon
#      with --headless; REST, SSH and stream-events are all there).
set -euo pipefail

GERRIT_VERSION="${GERRIT_VERSION:-3.10.2}"
BC_VERSION="${GERRIT_BC_VERSION:-1.72}"
CACHE_ROOT="${REVIEWTRACE_CACHE:-$HOME/.cache/reviewtrace}"
DEST_DIR="$CACHE_ROOT/gerrit"
WAR="$DEST_DIR/gerrit-$GERRIT_VERSION.war"
MVN="${MVN:-mvn}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"

log() { echo "install-gerrit: $*" >&2; }
die() { echo "install-gerrit: ERROR: $*" >&2; exit 1; }

valid_war() {
  # A war is valid when it is a readable zip holding the launcher and at least one lib.
  python3 - "$1" <<'PY' 2>/dev/null
import sys, zipfile
try:
    with zipfile.ZipFile(sys.argv[1]) as z:
        names = set(z.namelist())
        ok = "com/google/gerrit/launcher/GerritLauncher.class" in names and any(
            n.startswith("WEB-INF/lib/") and n.endswith(".jar") for n in names)
        sys.exit(0 if ok and z.testzip() is None else 1)
except Exception:
    sys.exit(1)
PY
}

if [[ -f "$WAR" ]] && valid_war "$WAR"; then
  log "using cached $WAR"
  echo "$WAR"
  exit 0
fi

command -v python3 >/dev/null 2>&1 || die "python3 is required"
command -v "$MVN" >/dev/null 2>&1 || die "maven ('$MVN') is required to fetch Gerrit from Maven Central"
mkdir -p "$DEST_DIR" || die "cannot create $DEST_DIR"

# Serialise concurrent installs (parallel test workers).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$DEST_DIR/.install-$GERRIT_VERSION.lock"
  flock 9
  if [[ -f "$WAR" ]] && valid_war "$WAR"; then
    log "using cached $WAR (installed concurrently)"
    echo "$WAR"
    exit 0
  fi
fi

WORK="$(mktemp -d "$DEST_DIR/.work.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

fetch() { # fetch <groupId:artifactId:version[:packaging]> -> copies into $WORK/dl
  "$MVN" -q -B -Dstyle.color=never "$DEP_PLUGIN:copy" -Dartifact="$1" -DoutputDirectory="$WORK/dl" \
    -Dmdep.overWriteReleases=true >"$WORK/mvn.log" 2>&1
}

log "fetching com.google.gerrit:gerrit-war:$GERRIT_VERSION from Maven Central"
if fetch "com.google.gerrit:gerrit-war:$GERRIT_VERSION:war" &&
   [[ -f "$WORK/dl/gerrit-war-$GERRIT_VERSION.war" ]]; then
  mv "$WORK/dl/gerrit-war-$GERRIT_VERSION.war" "$WORK/gerrit.war"
else
  log "gerrit-war $GERRIT_VERSION is not on Maven Central; assembling it from gerrit-plugin-api +" \
      "gerrit-acceptance-framework $GERRIT_VERSION + bouncycastle $BC_VERSION"
  ARTIFACTS=(
    "com.google.gerrit:gerrit-plugin-api:$GERRIT_VERSION"
    "com.google.gerrit:gerrit-acceptance-framework:$GERRIT_VERSION"
    "org.bouncycastle:bcprov-jdk18on:$BC_VERSION"
    "org.bouncycastle:bcutil-jdk18on:$BC_VERSION"
    "org.bouncycastle:bcpkix-jdk18on:$BC_VERSION"
    "org.bouncycastle:bcpg-jdk18on:$BC_VERSION"
  )
  for a in "${ARTIFACTS[@]}"; do
    log "  fetching $a"
    if ! fetch "$a"; then
      sed 's/^/    mvn: /' "$WORK/mvn.log" | grep -E 'ERROR|Could not' | head -5 >&2 || true
      die "could not fetch $a from Maven Central (is Gerrit $GERRIT_VERSION published there? set GERRIT_VERSION)"
    fi
  done
  python3 - "$WORK/gerrit.war" "$GERRIT_VERSION" "$WORK/dl/gerrit-plugin-api-$GERRIT_VERSION.jar" \
      "$WORK"/dl/*.jar <<'PY' || die "assembling the war failed"
import sys, zipfile, os
out, ver, api, libs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
manifest = (
    "Manifest-Version: 1.0\n"
    "Main-Class: com.google.gerrit.launcher.GerritLauncher\n"
    "Implementation-Title: Gerrit Code Review\n"
    f"Implementation-Version: {ver}\n"
    "X-ReviewTrace-Assembled-From: gerrit-plugin-api gerrit-acceptance-framework bouncycastle\n\n"
)
with zipfile.ZipFile(api) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as w:
    w.writestr("META-INF/MANIFEST.MF", manifest)
    # GerritLauncher must be at the war root: it locates the war it was loaded from and
    # builds a class loader from WEB-INF/lib/*.jar (same as the release war).
    launcher = [n for n in z.namelist()
                if n.startswith("com/google/gerrit/launcher/") and n.endswith(".class")]
    if not launcher:
        sys.exit("GerritLauncher not found in " + api)
    for n in launcher:
        w.writestr(n, z.read(n))
    # com.google.gerrit.common.Version reads this resource (parent-first class loading
    # finds it at the war root); without it the server reports "(dev)".
    w.writestr("com/google/gerrit/common/Version", ver + "\n")
    for lib in sorted(set(libs)):
        w.write(lib, "WEB-INF/lib/" + os.path.basename(lib), compress_type=zipfile.ZIP_STORED)
PY
fi

valid_war "$WORK/gerrit.war" || die "resulting war $WORK/gerrit.war is not valid"
mv -f "$WORK/gerrit.war" "$WAR"
log "installed $WAR"
echo "$WAR"
