#!/usr/bin/env bash
# Starts the hub exactly as the README says (scripts/run.sh), posts a signed demo SMS and a gateway SMS, plays
# a Messenger and a Zalo conversation, replays a 111 call, runs the platform API with a takedown round trip,
# and checks each became a stored case. Stops the hub (and its Azurite) afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
bash scripts/run.sh >"$log" 2>&1 &
pid=$!
cleanup() {
  kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  pkill -TERM -f 'node_modules/.bin/azurite|azurite/dist' 2>/dev/null || true
  # The hub stops the PostgreSQL cluster it started; this only catches a hub that died first.
  if [[ -f .pgdata/postmaster.pid ]]; then
    pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$pgbin/pg_ctl" stop -D "$PWD/.pgdata" -m fast >/dev/null 2>&1 || true
    else "$pgbin/pg_ctl" stop -D "$PWD/.pgdata" -m fast >/dev/null 2>&1 || true; fi
  fi
}
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
# The demo text says "Quảng Nam", which is part of Đà Nẵng (48) since July 2025: the case is in that province's queue.
grep -q "in the queue of team province-48" "$log.sms" || { echo "smoke: the demo SMS is not in Đà Nẵng's team queue"; cat "$log.sms"; exit 1; }
# The back office from the console: a named counsellor claims, closes and reopens the demo case; the audit chain holds.
code=$(sed -n 's/^Stored case \([0-9A-Z]\{4\}-[0-9A-Z]\{4\}\).*/\1/p' "$log.sms" | head -1)
admin() {
  if ! dotnet run --project functions/Hub.Functions --no-build -- "$@" >"$log.admin" 2>&1; then
    echo "smoke: '$*' failed"; cat "$log.admin"; exit 1
  fi
  cat "$log.admin"
}
login="smoke-$RANDOM$RANDOM"
admin users add "$login" --name "Smoke Counsellor" --team province-48 --role counsellor >/dev/null
admin cases claim "$code" --as "$login" >/dev/null
admin cases close "$code" --reason resolved --note "smoke" --as "$login" >/dev/null
admin cases reopen "$code" --reason "smoke reopen" --as "$login" >/dev/null
admin cases show "$code" --as "$login" | grep -q "reopen" || { echo "smoke: the case's history lacks the reopen"; cat "$log.admin"; exit 1; }
admin audit verify | grep -q "Audit chain intact" || { echo "smoke: audit verify failed"; cat "$log.admin"; exit 1; }
echo "smoke: cases claim/close/reopen as $login on $code OK; audit chain intact"
# The operator API, signed in at /auth/dev (Development's demo users): the demo counsellor finds the case, claims and
# closes it with ETags; Hà Nội's liaison gets 404 for it; the analyst gets 403.
hub=http://localhost:7071
devlogin() {
  local who=$1 jar=$2 token
  curl -fsS -c "$jar" -b "$jar" "$hub/auth/dev" >"$log.dev" || { echo "smoke: /auth/dev failed"; exit 1; }
  token=$(grep -o 'name="__RequestVerificationToken" value="[^"]*"' "$log.dev" | head -1 | sed 's/.*value="//; s/"$//')
  curl -fsS -o /dev/null -c "$jar" -b "$jar" --data-urlencode "__RequestVerificationToken=$token" --data-urlencode "login=$who" "$hub/auth/dev" \
    || { echo "smoke: signing in as $who failed"; exit 1; }
}
status() { curl -sS -o "$log.api" -w '%{http_code}' "$@"; }
json() { python3 -c "import json,sys; d=json.load(open('$log.api')); print($1)"; }
jar=$(mktemp); for _ in $(seq 1 30); do grep -q demo.counsellor <(curl -fsS "$hub/auth/dev" 2>/dev/null) && break; sleep 1; done
devlogin demo.counsellor "$jar"
[[ $(status -b "$jar" "$hub/api/console/v1/cases?q=$code") == 200 ]] || { echo "smoke: GET /cases failed"; cat "$log.api"; exit 1; }
case_id=$(json "d['cases'][0]['id']")
etag=$(curl -fsS -D - -o "$log.api" -b "$jar" "$hub/api/console/v1/cases/$case_id" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
[[ $(status -X POST -b "$jar" -H 'X-Hub-Request: 1' -H "If-Match: $etag" "$hub/api/console/v1/cases/$case_id/claim") == 200 ]] || { echo "smoke: claim failed"; cat "$log.api"; exit 1; }
etag="\"$(json "d['version']")\""
[[ $(status -X POST -b "$jar" -H 'X-Hub-Request: 1' -H "If-Match: $etag" -H 'Content-Type: application/json' -d '{"reason":"resolved","note":"smoke"}' "$hub/api/console/v1/cases/$case_id/close") == 200 ]] \
  || { echo "smoke: close failed"; cat "$log.api"; exit 1; }
admin audit show "$code" | grep -q "case.view" || { echo "smoke: the API's detail read is not in the audit"; cat "$log.admin"; exit 1; }
other=$(mktemp); devlogin demo.liaison.hn "$other"
[[ $(status -b "$other" "$hub/api/console/v1/cases/$case_id") == 404 ]] || { echo "smoke: another province's liaison was not answered 404"; cat "$log.api"; exit 1; }
analyst=$(mktemp); devlogin demo.analyst "$analyst"
[[ $(status -b "$analyst" "$hub/api/console/v1/cases/$case_id") == 403 ]] || { echo "smoke: the analyst was not answered 403"; cat "$log.api"; exit 1; }
[[ $(status "$hub/api/console/v1/cases") == 401 ]] || { echo "smoke: an anonymous request was not answered 401"; exit 1; }
echo "smoke: console API as demo.counsellor: found, claimed and closed $code with ETags; other province 404, analyst 403, anonymous 401"
# The console's pages: the queue and the case render in Vietnamese with the hub's own assets; signed out, /console goes to sign-in.
[[ $(status -b "$jar" "$hub/console?q=$code") == 200 ]] && grep -q "$code" "$log.api" && grep -q 'lang="vi"' "$log.api" || { echo "smoke: the console's queue did not show $code"; exit 1; }
asset=$(grep -o '/console/assets/console\.[0-9a-f]*\.js' "$log.api" | head -1)
[[ -n "$asset" && $(status "$hub$asset") == 200 ]] || { echo "smoke: the console's script is not served"; exit 1; }
[[ $(status -b "$jar" "$hub/console/cases/$case_id") == 200 ]] && grep -q "Đã đóng" "$log.api" || { echo "smoke: the console's case page failed"; exit 1; }
[[ $(status "$hub/console") == 302 ]] || { echo "smoke: signed out, /console did not redirect to sign-in"; exit 1; }
echo "smoke: console pages: queue found $code, case page shows it closed, assets served, signed-out redirect"
demo gateway '"schema": "hub.report/v1"'
demo messenger '"channel": "messenger"'
demo zalo '"channel": "zalo"'
demo voice '"channel": "voice-111"'
demo platform 'Hash lookup: platform-demo-platform, csam-a1, pdq distance 4'
grep -q 'Time to removal:' "$log.platform" || { echo "smoke: the platform demo's takedown was not confirmed"; cat "$log.platform"; exit 1; }
# The public web form, as a browser posts it (multipart, a screenshot): a receipt, the status page, one case with the image.
demo web '"channel": "web"'
grep -q '"kind": "image"' "$log.web" || { echo "smoke: the web report's case has no screenshot"; cat "$log.web"; exit 1; }
grep -q "in the queue of team province-48" "$log.web" || { echo "smoke: the web report (Quảng Nam) is not in Đà Nẵng's queue"; cat "$log.web"; exit 1; }
# Referrals: a Đà Nẵng sextortion report referred to the police and A05; A05's simulated system verifies the signed
# webhook and acknowledges; the police liaison records the outcome; the case stays its counsellor's.
demo referral 'referral-webhook-delivered'
grep -q "in the queue of province-48 (routing rule online-sexual-crime); proposed referrals: police-48, agency-a05" "$log.referral" \
  || { echo "smoke: the sextortion report was not routed to Đà Nẵng with the police and A05 proposed"; cat "$log.referral"; exit 1; }
grep -q "agency-a05: acknowledged" "$log.referral" && grep -q "police-48: done (child-safe)" "$log.referral" \
  || { echo "smoke: the referrals did not reach acknowledged / done"; cat "$log.referral"; exit 1; }
# Hash banks: a list imported through the CLI matches a near-duplicate PDQ hash; a bad list imports nothing.
bank="smoke-$RANDOM$RANDOM"; list=$(mktemp --suffix=.csv); bad=$(mktemp --suffix=.csv)
printf 'type,value,classification\npdq,d8f8f0cec0f4a84f0637022a278f67f0b36e2ed596621e1d33e6339c4e9c9b22,smoke\n' >"$list"
printf 'md5,not-a-hash,smoke\n' >"$bad"
admin hashes bank add "$bank" --owner agency-a05 --kind agency >/dev/null
admin hashes import --bank "$bank" "$list" >/dev/null; grep -q "1 hash(es) added" "$log.admin" || { echo "smoke: the hash list was not imported"; cat "$log.admin"; exit 1; }
dotnet run --project functions/Hub.Functions --no-build -- hashes import --bank "$bank" "$bad" >"$log.admin" 2>&1 && { echo "smoke: a bad hash list was accepted"; exit 1; }
grep -q "Nothing imported" "$log.admin" || { echo "smoke: a bad hash list was not refused by line"; cat "$log.admin"; exit 1; }
admin hashes match pdq d8f8f1eec0f4a84f0e37022a078f63f0b36e2ed596621e1d33e6239c4e9c9b22 100 >/dev/null; grep -q "in $bank: smoke, pdq distance 6" "$log.admin" \
  || { echo "smoke: the near-duplicate PDQ hash did not match the imported list"; cat "$log.admin"; exit 1; }
echo "smoke: hash bank $bank: list imported, a near-duplicate matched at distance 6, a bad list refused"
echo "smoke: OK"
