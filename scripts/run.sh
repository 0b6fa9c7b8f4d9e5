#!/usr/bin/env bash
# The main job on the embedded default: builds ionflux (Release) and simulates a
# Chen2020 1C constant-current discharge on the CPU, writing out/chen2020_1C.csv and
# printing the summary. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DIONFLUX_BUILD_TESTS=OFF -DIONFLUX_SANITIZE=OFF >/dev/null
cmake --build build -j"$(nproc)" --target ionflux
mkdir -p out
./build/ionflux simulate --parameters Chen2020 --c-rate 1 --period 10 --output out/chen2020_1C.csv "$@"
