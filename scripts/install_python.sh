#!/usr/bin/env bash
# Builds and installs the Python package (ionflux + its compiled core) into the current
# Python environment, with the test extras (pytest, notebooks, dask.distributed for the
# distributed-sweep tests, and pybamm for the PyBaMM-object tests) when called with
# --test. Safe to run again (the CMake build directory under build/ is reused).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
extras=""
[ "${1:-}" = "--test" ] && extras="[test,distributed]"
"$PY" -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
# Ninja, ccache and the device code's architectures as the Release build's
# (scripts/build_env.sh): the same compile commands, so that ccache serves them
. scripts/build_env.sh
"$PY" -m pip install --quiet --config-settings="cmake.define.CMAKE_CUDA_ARCHITECTURES=${CUDAARCHS}" ".${extras}"
# PyBaMM, for the tests of pybamm.ParameterValues/Experiment conversion (tests/python/
# test_pybamm_objects.py; they skip without it). Wheels only: 49 s, 97 s and 197 s (busy
# machine) into a fresh venv here (Dec 2026).
if [ "${1:-}" = "--test" ]; then
  "$PY" -m pip install --quiet --only-binary=:all: "pybamm==26.10.1.1"
fi
