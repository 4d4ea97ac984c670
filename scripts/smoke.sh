#!/usr/bin/env bash
# Starts the hub exactly as the README says (scripts/run.sh), posts a signed demo SMS and a gateway SMS, plays
# a Messenger and a Zalo conversation, and checks each became a stored case. Stops the hub (and its Azurite) afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
bash scripts/run.sh >"$log" 2>&1 &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pkill -TERM -f 'node_modules/.bin/azurite|azurite/dist' 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  if curl -fsS http://localhost:7071/api/health >/dev/null 2>&1; then break; fi
  sleep 1
done
curl -fsS http://localhost:7071/api/health || { echo "hub did not become healthy"; tail -50 "$log"; exit 1; }
echo
dotnet run --project functions/Hub.Functions --no-build -- demo sms | tee /dev/stderr | grep -q '"schema": "hub.report/v1"'
dotnet run --project functions/Hub.Functions --no-build -- demo gateway | grep -q '"schema": "hub.report/v1"'
for bot in messenger zalo; do
  dotnet run --project functions/Hub.Functions --no-build -- demo "$bot" >"$log.$bot" 2>&1 || { cat "$log.$bot"; exit 1; }
  grep -q 'Mã báo cáo của bạn là' "$log.$bot" && grep -q '"channel": "'"$bot"'"' "$log.$bot" || { cat "$log.$bot"; exit 1; }
done
echo "smoke: OK"
