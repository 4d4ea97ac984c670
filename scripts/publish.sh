#!/usr/bin/env bash
# Builds the deployable Azure Functions package, artifacts/hub-functions.zip (docs/deploy.md):
#   host.json                 customHandler: app/Hub.Functions, HTTP proxying, /api prefix, queue settings
#   <Function>/function.json  one folder per function, at the root, as the Functions host expects
#   app/                      the hub, self-contained for linux-x64 (the platform's .NET version does not matter)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/artifacts/functionapp
zip=$root/artifacts/hub-functions.zip
rm -rf "$out" "$zip"
dotnet publish functions/Hub.Functions -c Release -r linux-x64 --self-contained true \
  -p:PublishDir="$out/app/" -p:DebugType=none --nologo -v:q
mv "$out/app/FunctionApp/"* "$out/"
rmdir "$out/app/FunctionApp"
cp host.json "$out/host.json"
chmod 755 "$out/app/Hub.Functions"
dotnet msbuild scripts/package.proj -t:Zip -p:Source="$out" -p:Destination="$zip" -nologo -v:q
echo "$zip ($(du -h "$zip" | cut -f1)): $(ls "$out" | grep -vc -e '^app$' -e '^host.json$') functions"
