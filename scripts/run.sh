#!/usr/bin/env bash
# The main job on the embedded default: builds ionflux (Release) and runs the example
# sweep examples/sweep_chen2020.json (1,000 Chen2020 variants: negative-electrode
# thickness x particle radius x C-rate) on the best device present (the GPU when one is
# usable, else all CPU cores), writing out/sweep_chen2020.h5 and printing the summary
# and throughput; then installs the Python package and prints the answer: the best and
# worst designs (python3 -m ionflux.report), with their heat map in out/sweep_chen2020.png.
# Extra arguments go to `ionflux sweep`. Safe to run again (the outputs are overwritten,
# an interrupted run's too: --overwrite; pass --resume to continue one instead).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
. scripts/build_env.sh
ionflux_reset_other_generator build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DIONFLUX_BUILD_TESTS=OFF -DIONFLUX_SANITIZE=OFF \
  -DCMAKE_CUDA_ARCHITECTURES="$CUDAARCHS" >/dev/null
cmake --build build -j"$(nproc)" --target ionflux
mkdir -p out
replace=(--overwrite)
for a in "$@"; do [[ "$a" == --resume ]] && replace=(); done
./build/ionflux sweep examples/sweep_chen2020.json --output out/sweep_chen2020.h5 "${replace[@]}" "$@"
# the Python package too, so that `import ionflux` works afterwards (notebooks in examples/)
bash scripts/install_python.sh
# the answer: the best and worst designs and a heat map next to the HDF5 file
"${PYTHON:-python3}" -m ionflux.report out/sweep_chen2020.h5 --png out/sweep_chen2020.png
