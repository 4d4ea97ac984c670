#!/usr/bin/env bash
# apt-install.sh PACKAGE WHY: installs a Debian package when it can (root, or passwordless sudo, with apt-get), or
# says in one line what to install and fails. The ensure-*.sh scripts call it for what the hub and its tests need.
set -euo pipefail
package=$1 why=$2
if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "== apt-get install $package ($why)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  exit 0
fi
if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null && command -v apt-get >/dev/null 2>&1; then
  echo "== sudo apt-get install $package ($why)"
  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  exit 0
fi
echo "$package is not installed: run 'sudo apt-get install -y $package' ($why)." >&2
exit 1
