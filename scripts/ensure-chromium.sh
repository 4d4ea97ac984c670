#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium through Playwright (its own browser download is not
# available here). This installs the package when it is missing and it can (root or passwordless sudo with
# apt-get), or says in one line what to install. HUB_CHROMIUM points at another Chromium binary.
set -euo pipefail
bin="${HUB_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$bin" ]]; then exit 0; fi
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "== apt-get install chromium (the console's browser tests)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "Chromium is not installed: run 'sudo apt-get install -y chromium' (or set HUB_CHROMIUM to a Chromium binary)." >&2
exit 1
