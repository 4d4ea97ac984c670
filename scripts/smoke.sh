#!/usr/bin/env bash
# Starts the hub exactly as the README says (scripts/run.sh), posts a signed demo SMS and a gateway SMS, plays
# a Messenger and a Zalo conversation, replays a 111 call, runs the platform API with a takedown round trip,
# and checks each became a stored case. Stops the hub (and its Azurite) afterwards.
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
# The demos' tool (tools/Hub.Cli) is built once here, not inside the first demo's time.
dotnet build tools/Hub.Cli -nologo -v quiet >"$log.build" 2>&1 || { echo "smoke: building tools/Hub.Cli failed"; cat "$log.build"; exit 1; }
# Each demo's whole output goes to a file first (a pipe into "grep -q" can cut the writer off with SIGPIPE).
demo() {
  local what=$1 expect=$2
  if ! dotnet run --project tools/Hub.Cli --no-build -- demo "$what" >"$log.$what" 2>&1; then
    echo "smoke: demo $what failed"; cat "$log.$what"; exit 1
  fi
  if ! grep -q "$expect" "$log.$what"; then
    echo "smoke: demo $what did not show a stored case"; cat "$log.$what"; exit 1
  fi
  echo "smoke: demo $what OK"
}
demo sms '"schema": "hub.report/v1"'
demo gateway '"schema": "hub.report/v1"'
demo messenger '"channel": "messenger"'
demo zalo '"channel": "zalo"'
demo voice '"channel": "voice-111"'
demo platform 'Time to removal:'
echo "smoke: OK"
