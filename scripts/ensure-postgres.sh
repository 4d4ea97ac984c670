#!/usr/bin/env bash
# Cases live in PostgreSQL. The hub, the tests and the benchmarks start a private cluster with the machine's own
# server binaries (Debian's postgresql package); this installs them when they are missing and it can
# (root with apt-get), or says in one line what to install. Nothing is needed when
# Hub__Cases__ConnectionString points at a server.
set -euo pipefail
if [[ -n "${Hub__Cases__ConnectionString:-}" ]]; then exit 0; fi
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then exit 0; fi
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "== apt-get install postgresql (the case store's server binaries)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
echo "PostgreSQL is not installed: run 'sudo apt-get install -y postgresql' (or set Hub__Cases__ConnectionString to a server)." >&2
exit 1
