#!/usr/bin/env bash
# The whole test suite: installs what it needs (Azurite via npm, NuGet packages), builds with warnings
# as errors, runs every test project, and ends with one plain line "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ ! -x node_modules/.bin/azurite ]]; then
  echo "== npm ci (Azurite)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Cases are tested against a real PostgreSQL the tests start themselves (one private cluster per test run).
bash scripts/ensure-postgres.sh
# The console is tested in Debian's Chromium (Playwright drives it; its own browser download is not used).
bash scripts/ensure-chromium.sh

results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

echo "== dotnet build (Release, warnings are errors)"
if ! dotnet build Hub.sln -c Release -nologo -v quiet; then
  echo "the build failed: no test ran"
  echo "0 passed, 1 failed, 0 skipped" | tee "$results/summary.txt"
  exit 1
fi

echo "== dotnet test"
status=0
for project in tests/*.Tests/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results" || status=$?
done

passed=0; failed=0; skipped=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  p=$(get passed); f=$(get failed); t=$(get total); e=$(get executed)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${t:-0} - ${e:-0}))
done

if (( ${#trx_files[@]} == 0 )); then
  echo "no test results were produced"
  failed=$((failed + 1))
fi
if (( status != 0 && failed == 0 )); then
  failed=1 # the runner failed without reporting a failed test (a crash, a build error): never report green
fi

echo "${passed} passed, ${failed} failed, ${skipped} skipped" | tee "$results/summary.txt"
(( failed == 0 && status == 0 ))
