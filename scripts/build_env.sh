# Sourced by scripts/run.sh and scripts/test.sh: how they build.
#
# Ninja: it compiles a target's C++ objects while the targets it links are still being
# built. With Make, every target waited for the CUDA library, whose one file takes ~20
# minutes on a 2-core machine, with the second core idle.
# ccache: the Python package's own CMake build (scikit-build-core, build/python-*)
# compiles the same core and CUDA objects with the same flags and generator as the
# Release build: with the cache they are hits, and a second run rebuilds nothing.
# Both are installed by scripts/install_deps.sh; without them CMake's defaults are used.
if command -v ninja >/dev/null; then
  export CMAKE_GENERATOR=Ninja
fi
if command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache CMAKE_CUDA_COMPILER_LAUNCHER=ccache
  # one name for the compiler in both builds: the Python build is given Python's own
  # (sysconfig CXX, g++ here), CMake's default is c++, and ccache tells those apart
  export CC="${CC:-gcc}" CXX="${CXX:-g++}"
fi

# A build directory made earlier with another generator cannot be reused by CMake:
# forget its configuration (its objects come back from ccache).
ionflux_reset_other_generator() {
  local dir="$1" cache="$1/CMakeCache.txt"
  [ -n "${CMAKE_GENERATOR:-}" ] && [ -f "$cache" ] || return 0
  if ! grep -qx "CMAKE_GENERATOR:INTERNAL=${CMAKE_GENERATOR}" "$cache"; then
    echo "ionflux: $dir was configured with another generator; configuring it again for ${CMAKE_GENERATOR}"
    rm -rf "$cache" "$dir/CMakeFiles"
  fi
}

# Device code. With a GPU in sight (nvidia-smi lists one) it is compiled to SASS for that
# GPU's compute capability (sm_90 on an H100/H200, CMakeLists.txt's default, also when the
# driver is too old to report it). Without one -- CI, a laptop -- it is compiled to
# compute_90 PTX only: the CUDA sources still go through nvcc's front end and code
# generator, warnings as errors, and link, but ptxas, which spends ~30 of CI's ~107
# CPU-minutes turning the per-cell kernels into SASS that no device there could run, is
# not run (benchmarks/LOG.md, "CI time without ptxas"). A driver that meets such a binary
# on a GPU compiles the PTX itself at first launch (minutes for the per-cell kernels,
# then cached). The GPU check builds SASS (../shared/gpu/pack.sh), and so does setting
# CUDAARCHS yourself (CUDAARCHS=90 bash scripts/test.sh). Passed to every configure as
# -DCMAKE_CUDA_ARCHITECTURES (and to the Python package's build), so that a build
# directory configured the other way earlier follows.
if [ -z "${CUDAARCHS:-}" ]; then
  # (bounded: nvidia-smi can hang on a driver in a bad state; its output read whole, not
  # piped into grep -q, which under pipefail could fail it with SIGPIPE)
  ionflux_gpus="$(command -v nvidia-smi >/dev/null && timeout 30 nvidia-smi -L 2>/dev/null || true)"
  if grep -q '^GPU ' <<<"$ionflux_gpus"; then
    # "9.0" per GPU -> "90"; several kinds -> "80;90"
    CUDAARCHS="$(timeout 30 nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null |
      tr -d ' .' | grep -E '^[0-9]+$' | sort -u | paste -sd ';' || true)"
    export CUDAARCHS="${CUDAARCHS:-90}"
  else
    export CUDAARCHS=90-virtual
  fi
fi
