#!/usr/bin/env bash
# One script for a lent GPU machine (run from the repo root, under 8 minutes on an
# H100/H200): configure and build with CUDA, run the `gpu`-labelled tests, then the
# GPU throughput table and the built-in vs expression vs table comparison.
set -uo pipefail
cd "$(dirname "$0")/.."
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader || true
cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DIONFLUX_CUDA=ON -DIONFLUX_BUILD_TESTS=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 >/dev/null || exit 1
cmake --build build-gpu -j"$(nproc)" --target gpu_tests bench_gpu bench_functions >/dev/null || exit 1
echo "== gpu tests"
ctest --test-dir build-gpu -L gpu --output-on-failure -V 2>&1 | grep -E "largest|device|Passed|Failed|Skipped|tests passed" 
echo "== throughput (Chen2020 1C to cut-off)"
bw=3350
nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | grep -q H200 && bw=4800
timeout 300 ./build-gpu/benchmarks/bench_gpu --max "${IONFLUX_GPU_MAX_CELLS:-100000}" --bandwidth "$bw"
echo "== built-in vs expression vs table functions (GPU)"
timeout 120 ./build-gpu/benchmarks/bench_functions --device cuda --gpu-cells "${IONFLUX_GPU_FUNCTION_CELLS:-10000}"
