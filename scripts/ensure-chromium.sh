#!/usr/bin/env bash
# The console's browser tests drive Debian's Chromium through Playwright (its own browser download is not
# available here). This installs the package when it is missing and it can, or says in one line what to install
# (scripts/apt-install.sh). HUB_CHROMIUM points at another Chromium binary.
set -euo pipefail
if [[ -x "${HUB_CHROMIUM:-/usr/bin/chromium}" ]]; then exit 0; fi
exec bash "$(dirname "$0")/apt-install.sh" chromium "the console's browser tests; or set HUB_CHROMIUM to a Chromium binary"
