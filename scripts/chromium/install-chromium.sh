#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests and the UI benchmark (Playwright drives it through
# playwright-core / @playwright/test with executablePath; `npx playwright install` downloads browser
# builds from outside the package registries and cannot be used). Idempotent: does nothing when the
# binary is already there. Prints the binary's path as the last line of stdout.
#
#   CHROMIUM_PATH   use this binary instead of /usr/bin/chromium (nothing is installed then)
set -euo pipefail

want="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [[ -x "$want" ]]; then
  echo "chromium: $("$want" --version 2>/dev/null || echo 'version unknown') at $want" >&2
  echo "$want"
  exit 0
fi

if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  echo "error: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi

if [[ "$(id -u)" -ne 0 ]]; then
  cat >&2 <<MSG
error: /usr/bin/chromium is missing and this script is not running as root, so it cannot install it.
Install Debian's chromium package yourself, e.g.:
    sudo apt-get update && sudo apt-get install -y chromium
or point CHROMIUM_PATH at a Chromium/Chrome binary.
MSG
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: /usr/bin/chromium is missing and apt-get is not available; install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi

echo "chromium: installing Debian's chromium package (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2
apt-get install -y --no-install-recommends chromium fonts-liberation >&2

if [[ ! -x /usr/bin/chromium ]]; then
  echo "error: apt-get finished but /usr/bin/chromium is still missing" >&2
  exit 1
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown') at /usr/bin/chromium" >&2
echo /usr/bin/chromium
