#!/usr/bin/env bash
# Builds and runs every test: the Release build (CUDA code compiled too where nvcc
# exists, to PTX only where no GPU is in sight: scripts/build_env.sh; tests labelled
# `gpu` skip without a device), the Python package (pytest and
# the example notebooks, executed), then the C++ tests once more under
# AddressSanitizer + UndefinedBehaviorSanitizer. Safe to run again. The test executables are
# compiled as unity batches (IONFLUX_UNITY_TESTS, tests/CMakeLists.txt) in both builds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
jobs="$(nproc)"
. scripts/build_env.sh
ionflux_reset_other_generator build
ionflux_reset_other_generator build-asan

echo "== Release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DIONFLUX_BUILD_TESTS=ON -DIONFLUX_BUILD_BENCHMARKS=ON -DIONFLUX_CUDA=AUTO -DIONFLUX_SANITIZE=OFF -DIONFLUX_UNITY_TESTS=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$CUDAARCHS" >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== Python package: build, install, pytest, example notebooks"
bash scripts/install_python.sh --test
command -v ccache >/dev/null && ccache --show-stats 2>/dev/null | grep -E "^ *(Hits|Misses):" || true
IONFLUX_CLI="$PWD/build/ionflux" python3 -m pytest tests/python -q
python3 tests/python/run_notebooks.py

echo "== AddressSanitizer + UndefinedBehaviorSanitizer build and tests"
# -O1 -g1 (line tables, enough for the sanitizers' stack traces), not RelWithDebInfo's
# -O2 -g: the heaviest test file compiles in 94 s instead of 221 s on the 2-core VM.
# UBSan's null/alignment/vptr checks are left out (CMakeLists.txt says why).
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
  -DIONFLUX_SANITIZE=ON -DIONFLUX_CUDA=OFF -DIONFLUX_BUILD_BENCHMARKS=OFF -DIONFLUX_UNITY_TESTS=ON >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE gpu
