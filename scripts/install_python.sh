#!/usr/bin/env bash
# Builds and installs the Python package (ionflux + its compiled core) into the current
# Python environment, with the test extras (pytest, notebooks, dask.distributed for the
# distributed-sweep tests) when called with --test. Safe to run again (the CMake build
# directory under build/ is reused).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
extras=""
[ "${1:-}" = "--test" ] && extras="[test,distributed]"
"$PY" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
"$PY" -m pip install --quiet ".${extras}"
