#!/usr/bin/env bash
# Installs what ionflux needs to build and test (Debian/Ubuntu). Safe to run again:
# only missing packages are installed. Usage: scripts/install_deps.sh [--python]
set -euo pipefail
# ninja and ccache: see scripts/build_env.sh (the builds also work without them).
pkgs=(cmake g++ make ninja-build ccache libgtest-dev nlohmann-json3-dev libhdf5-dev python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "ionflux: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
# A comma-decimal locale for the test that checks number parsing ignores LC_NUMERIC
# (skipped where none can be made; best effort, never fatal).
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$' && [ -d /usr/share/i18n/locales ] && command -v localedef >/dev/null; then
  if [ "$(id -u)" -eq 0 ]; then localedef -i de_DE -f UTF-8 de_DE.UTF-8 >/dev/null 2>&1 || true; fi
fi
