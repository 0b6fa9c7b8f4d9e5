#!/usr/bin/env bash
# One script for a lent GPU machine, run over a CUDA build packed on a machine that can
# build (the GPU host lacks GoogleTest, HDF5 and json headers; ../shared/gpu/README.md):
#
#   bash ../shared/gpu/pack.sh                                  # here: build with CUDA, pack
#   bash .gpu-pack/remote.sh bash benchmarks/gpu_check.sh       # there (device tool, carry .gpu-pack)
#
# Steps (each with its own timeout, output line-buffered and tee'd into $OUT/gpu_check.log):
# device, registers/stack/spills per kernel, the `gpu`-labelled tests, GPU throughput
# (Chen2020 1C to cut-off), the Latin-hypercube sweep (examples/sweep_lhs_chen2020.json)
# on the GPU, on the CPU cores and on both in the same run, built-in vs expression vs table functions.
# IONFLUX_GPU_STEPS picks steps (default "info tests bench lhs functions"; "profile" adds an
# ncu profile of one advance_cells launch; "ranges" runs a sweep whole and as two --cells
# ranges on the GPU and compares them: what each Dask worker does).
set -uo pipefail
cd "$(dirname "$0")/.."
B=${IONFLUX_GPU_BUILD:-build-gpu}
OUT=${OUT:-/tmp/ionflux-gpu/out}
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
STEPS=" ${IONFLUX_GPU_STEPS:-info tests bench lhs functions} "
want() { [[ "$STEPS" == *" $1 "* ]]; }
say() { echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$LOG"; }
run() { local t=$1; shift; timeout "$t" stdbuf -oL -eL "$@" 2>&1 | tee -a "$LOG"; echo "[rc=${PIPESTATUS[0]}]" | tee -a "$LOG"; }

if want info; then
  say "device"
  run 20 nvidia-smi --query-gpu=name,memory.total,clocks.max.sm,driver_version --format=csv,noheader
  say "registers, stack and spills per kernel (cuobjdump -res-usage)"
  run 60 bash -c "cuobjdump -res-usage $B/ionflux 2>/dev/null | grep -E 'Function|REG' | sed 's/^[[:space:]]*//' | paste - - | sed -E 's/Function ([^ ]*):/\\1/' | cut -c1-220"
fi
if want tests; then
  say "gpu-labelled tests"
  run "${IONFLUX_GPU_TEST_TIMEOUT:-300}" ctest --test-dir "$B" -L gpu --output-on-failure --timeout 240
fi
if want bench; then
  bw=3350
  nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | grep -q H200 && bw=4800
  # a warp per cell (the default) and one thread per cell (IONFLUX_GPU_TEAM=1), same run
  for team in 32 1; do
    max=${IONFLUX_GPU_MAX_CELLS:-1000000}
    [ "$team" = 1 ] && max=${IONFLUX_GPU_MAX_CELLS_SERIAL:-100000}
    say "throughput: Chen2020 1C to the cut-off, D_s,n varies, IONFLUX_GPU_TEAM=$team"
    IONFLUX_GPU_TEAM=$team run "${IONFLUX_GPU_BENCH_TIMEOUT:-200}" "$B/benchmarks/bench_gpu" --max "$max" --bandwidth "$bw"
  done
fi
if want lhs; then
  n=${IONFLUX_LHS_CELLS:-20000}
  cfg="$OUT/lhs.json"
  sed -E "s/\"samples\": [0-9]+/\"samples\": $n/" examples/sweep_lhs_chen2020.json > "$cfg"
  # the GPU alone (its last cells handed to the CPU), the CPU cores alone, and both
  # (--device auto: CPU threads take queued cells while the GPU works), in the same run;
  # the sweep's progress lines give the time at which 95 % of the cells were done
  for dev in cuda cpu auto; do
    say "Latin-hypercube sweep, $n cells, --device $dev"
    t0=$(date +%s%N)
    extra=""
    [ "$dev" != cpu ] && extra="--gpu-handoff auto"
    timeout "${IONFLUX_LHS_TIMEOUT:-150}" "$B/ionflux" sweep "$cfg" --device "$dev" $extra --output "$OUT/lhs_$dev.h5" 2>&1 |
      tr '\r' '\n' | grep -v '^$' | tee "$OUT/lhs_$dev.progress" | tail -6 | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    echo "wall $(( ($(date +%s%N) - t0) / 1000000 )) ms (rc $rc)" | tee -a "$LOG"
    grep -E "progress: [0-9]+/[0-9]+ cells \((9[5-9]|100)%\)" "$OUT/lhs_$dev.progress" | head -1 | sed 's/^/  first at >= 95 %: /' | tee -a "$LOG"
  done
  if [ -f "$OUT/lhs_cuda.h5" ] && [ -f "$OUT/lhs_cpu.h5" ]; then
    say "LHS: CUDA vs CPU per-cell summaries"
    run 60 python3 - "$OUT/lhs_cuda.h5" "$OUT/lhs_cpu.h5" <<'EOF'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
sa, sb = a["cells/status"][()], b["cells/status"][()]
print("status equal:", bool(np.array_equal(sa, sb)), "counts cuda", np.unique(sa, return_counts=True))
for k in ("End time [s]", "Discharge capacity [A.h]", "Energy [W.h]"):
    x, y = a["summary"][k][()], b["summary"][k][()]
    ok = np.isfinite(x) & np.isfinite(y)
    rel = np.max(np.abs(x[ok] - y[ok]) / np.maximum(np.abs(y[ok]), 1e-30)) if ok.any() else float("nan")
    print(f"{k}: max rel diff {rel:.3g} over {ok.sum()} cells; NaN pattern equal: {bool(np.array_equal(np.isnan(x), np.isnan(y)))}")
EOF
  fi
fi
if want profile; then
  say "ncu: one advance_cells_team launch at 10^4 cells (Chen2020 1C)"
  run 240 ncu --clock-control none -k regex:advance_cells --launch-skip 2 --launch-count 1 \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
    --section MemoryWorkloadAnalysis "$B/benchmarks/bench_gpu" --min 10000 --max 10000 --no-cycle
fi
if want functions; then
  say "built-in vs expression vs table functions (GPU)"
  run 120 "$B/benchmarks/bench_functions" --device cuda --gpu-cells "${IONFLUX_GPU_FUNCTION_CELLS:-10000}"
fi
if want ranges; then  # opt-in (issue 12 item 5): what each Dask worker runs, a cell range, on the GPU
  n=${IONFLUX_RANGE_CELLS:-2000}
  cfg="$OUT/ranges.json"
  sed -E "s/\"samples\": [0-9]+/\"samples\": $n/" examples/sweep_lhs_chen2020.json > "$cfg"
  say "cell ranges on the GPU: $n cells whole, then as 0:$((n / 3)) and $((n / 3)):$n (--cells)"
  run 120 "$B/ionflux" sweep "$cfg" --device cuda --quiet --output "$OUT/range_all.h5"
  run 120 "$B/ionflux" sweep "$cfg" --device cuda --quiet --cells "0:$((n / 3))" --output "$OUT/range_a.h5"
  run 120 "$B/ionflux" sweep "$cfg" --device cuda --quiet --cells "$((n / 3)):$n" --output "$OUT/range_b.h5"
  run 60 python3 - "$OUT/range_all.h5" "$OUT/range_a.h5" "$OUT/range_b.h5" <<'EOF'
import sys, h5py, numpy as np
whole, *parts = (h5py.File(p, "r") for p in sys.argv[1:4])
idx = np.concatenate([p["cells/index"][()] for p in parts])
print("every cell once, in order:", bool(np.array_equal(idx, np.arange(len(whole["cells/status"])))))
print("status equal:", bool(np.array_equal(np.concatenate([p["cells/status"][()] for p in parts]), whole["cells/status"][()])))
for k in ("End time [s]", "Discharge capacity [A.h]", "Energy [W.h]"):  # chunks differ: hand-offs may too (<= 1e-7)
    x, y = np.concatenate([p["summary"][k][()] for p in parts]), whole["summary"][k][()]
    ok = np.isfinite(x) & np.isfinite(y)
    rel = np.max(np.abs(x[ok] - y[ok]) / np.maximum(np.abs(y[ok]), 1e-30)) if ok.any() else float("nan")
    print(f"{k}: max rel diff {rel:.3g} over {ok.sum()} cells")
EOF
fi
say "done"
