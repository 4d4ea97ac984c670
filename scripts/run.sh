#!/usr/bin/env bash
# Runs the hub locally on http://localhost:7071 (Development): installs Azurite if needed; the app starts
# Azurite itself when nothing is listening on its ports, and a private PostgreSQL cluster (.pgdata/) for cases,
# installing Debian's postgresql package first if it is missing. Extra arguments go to the app (admin commands);
# "demo ..." goes to tools/Hub.Cli, which carries the provider simulators the deployable does not.
set -euo pipefail
# Relative paths in admin commands (hashes pdq FILE…) are the caller's, not the project's: dotnet run changes directory.
export HUB_CALLER_DIR="${HUB_CALLER_DIR:-$PWD}"
cd "$(dirname "$0")/.."
if [[ ! -x node_modules/.bin/azurite ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
bash scripts/ensure-postgres.sh
if [[ "${1:-}" == "demo" ]]; then
  exec dotnet run --project tools/Hub.Cli -- "$@"
fi
exec dotnet run --project functions/Hub.Functions -- "$@"
