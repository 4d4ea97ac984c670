#!/usr/bin/env bash
# Cases live in PostgreSQL. The hub, the tests and the benchmarks start a private cluster with the machine's own
# server binaries (Debian's postgresql package); this installs them when they are missing and it can, or says in
# one line what to install (scripts/apt-install.sh). Nothing is needed when Hub__Cases__ConnectionString points at a server.
set -euo pipefail
if [[ -n "${Hub__Cases__ConnectionString:-}" ]]; then exit 0; fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then exit 0; fi
exec bash "$(dirname "$0")/apt-install.sh" postgresql "the case store's server binaries; or set Hub__Cases__ConnectionString to a server"
