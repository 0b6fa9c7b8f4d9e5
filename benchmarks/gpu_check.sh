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
# on the GPU, on the CPU cores and on both in the same run, built-in vs expression vs table functions,
# the ageing sweep (examples/sweep_ageing_okane2022.json: 1,000 OKane2022 cells with SEI +
# plating, a few cycles) on the GPU and on the CPU cores with their agreement, the
# out-of-device-memory fault path (IONFLUX_FAULT_DEVICE_ALLOC) and the per-cell wall-time
# budget on the GPU (issue 15).
# IONFLUX_GPU_STEPS picks steps (default "info tests bench lhs functions ageing faults walltime";
# "profile" adds an ncu profile of one advance_cells launch; "ranges" runs a sweep whole and
# as two --cells ranges on the GPU and compares them: what each Dask worker does).
# IONFLUX_GPU_BUDGET_S (default 420) bounds the whole script: every step's timeout is cut
# to the time left, and a step that would start with less than 10 s left is skipped (said
# in the log), so the script stays within the budget whatever a step takes.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${IONFLUX_GPU_BUILD:-build-gpu}
OUT=${OUT:-/tmp/ionflux-gpu/out}
mkdir -p "$OUT"
LOG="$OUT/gpu_check.log"
STEPS=" ${IONFLUX_GPU_STEPS:-info tests bench lhs functions ageing faults walltime} "
BUDGET=${IONFLUX_GPU_BUDGET_S:-420}
T0=$(date +%s)
left() { echo $((BUDGET - ($(date +%s) - T0))); }
# a step's timeout, cut to the time the script has left
cap() { local l; l=$(left); if [ "$1" -lt "$l" ]; then echo "$1"; else echo "$((l > 1 ? l : 1))"; fi; }
want() {
  [[ "$STEPS" == *" $1 "* ]] || return 1
  [ "$(left)" -ge 10 ] && return 0
  echo "== step '$1' skipped: $(left) s left of the script's budget of $BUDGET s (IONFLUX_GPU_BUDGET_S)" | tee -a "$LOG"
  return 1
}
say() { echo "== $* ($(date -u +%H:%M:%S))" | tee -a "$LOG"; }
run() { local t; t=$(cap "$1"); shift; timeout "$t" stdbuf -oL -eL "$@" 2>&1 | tee -a "$LOG"; echo "[rc=${PIPESTATUS[0]}]" | tee -a "$LOG"; }
# Two sweep files of the same config, cell by cell: statuses, every /summary column and the
# /cycles columns (PyBaMM's summary variables): the largest difference relative to each
# column's largest value, and per value for the named columns.
compare_h5() {
  run 60 python3 - "$@" <<'EOF'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
sa, sb = a["cells/status"][()], b["cells/status"][()]
print("status equal:", bool(np.array_equal(sa, sb)), "counts", dict(zip(*(v.tolist() for v in np.unique(sa, return_counts=True)))))
named = ("End time [s]", "Discharge capacity [A.h]", "Energy [W.h]", "Capacity [A.h]", "Loss of lithium inventory [%]",
         "Loss of capacity to negative SEI [A.h]", "Loss of capacity to negative lithium plating [A.h]")
for g in ("summary", "cycles"):
    if g not in a:
        continue
    worst, where, nan_eq = 0.0, "", True
    for k in a[g]:
        x, y = a[g][k][()], b[g][k][()]
        if x.dtype.kind != "f":
            continue
        nan_eq &= bool(np.array_equal(np.isnan(x), np.isnan(y)))
        ok = np.isfinite(x) & np.isfinite(y)
        if not ok.any():
            continue
        d = np.abs(x[ok] - y[ok])
        scale = np.max(np.abs(y[ok]))
        if scale > 0 and np.max(d) / scale > worst:
            worst, where = float(np.max(d) / scale), k
        if k in named:
            rel = float(np.max(d / np.maximum(np.abs(y[ok]), 1e-300)))
            print(f"  {g}/{k}: max rel diff {rel:.3g} over {ok.sum()} values")
    print(f"{g}: largest difference relative to its column's largest value {worst:.3g} ({where}); NaN patterns equal: {nan_eq}")
EOF
}

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
    timeout "$(cap "${IONFLUX_LHS_TIMEOUT:-150}")" "$B/ionflux" sweep "$cfg" --device "$dev" $extra --output "$OUT/lhs_$dev.h5" 2>&1 |
      tr '\r' '\n' | grep -v '^$' | tee "$OUT/lhs_$dev.progress" | tail -6 | tee -a "$LOG"
    rc=${PIPESTATUS[0]}
    echo "wall $(( ($(date +%s%N) - t0) / 1000000 )) ms (rc $rc)" | tee -a "$LOG"
    grep -E "progress: [0-9]+/[0-9]+ cells \((9[5-9]|100)%\)" "$OUT/lhs_$dev.progress" | head -1 | sed 's/^/  first at >= 95 %: /' | tee -a "$LOG"
  done
  if [ -f "$OUT/lhs_cuda.h5" ] && [ -f "$OUT/lhs_cpu.h5" ]; then
    say "LHS: CUDA vs CPU per-cell summaries"
    compare_h5 "$OUT/lhs_cuda.h5" "$OUT/lhs_cpu.h5"
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
if want ageing; then
  # 1,000 OKane2022 cells, SEI (solvent-diffusion limited) + SEI porosity change + partially
  # reversible plating, a grid of 10 SEI solvent diffusivities x 10 plating rate constants x
  # 10 C-rates of the ageing discharge, IONFLUX_AGEING_CYCLES CC-CV cycles (default 3): on
  # the GPU (its last cells handed to the CPU threads, the default) and on the CPU cores
  # alone, in the same run (cells/s on the "Done:" lines), then their agreement per cell and
  # per cycle (PyBaMM's summary variables in /cycles)
  cycles=${IONFLUX_AGEING_CYCLES:-3}
  cfg="$OUT/ageing.json"
  sed -E "s/\"cycles\": [0-9]+/\"cycles\": $cycles/" examples/sweep_ageing_okane2022.json > "$cfg"
  for dev in cuda cpu; do
    say "ageing sweep: 1,000 OKane2022 cells x $cycles cycles (SEI + plating), --device $dev"
    run "${IONFLUX_AGEING_TIMEOUT:-120}" "$B/ionflux" sweep "$cfg" --device "$dev" --output "$OUT/ageing_$dev.h5"
  done
  if [ -f "$OUT/ageing_cuda.h5" ] && [ -f "$OUT/ageing_cpu.h5" ]; then
    say "ageing: CUDA vs CPU per cell and per cycle"
    compare_h5 "$OUT/ageing_cuda.h5" "$OUT/ageing_cpu.h5"
  fi
fi
if want faults; then
  # Device memory exhausted at the engine's 3rd allocation (IONFLUX_FAULT_DEVICE_ALLOC=3,
  # docs/reliability.md): the sweep warns, goes on with half the device slots and loses
  # nothing (its cells equal the run without the fault; no hand-off, so both runs are the
  # GPU's alone)
  n=${IONFLUX_FAULT_CELLS:-2000}
  cfg="$OUT/faults.json"
  sed -E "s/\"samples\": [0-9]+/\"samples\": $n/" examples/sweep_lhs_chen2020.json > "$cfg"
  say "device out of memory: $n LHS cells on the GPU, without a fault"
  run 60 "$B/ionflux" sweep "$cfg" --device cuda --gpu-handoff 0 --output "$OUT/fault_none.h5" | tee "$OUT/fault_none.txt"
  say "device out of memory: the same with IONFLUX_FAULT_DEVICE_ALLOC=3"
  IONFLUX_FAULT_DEVICE_ALLOC=3 run 60 "$B/ionflux" sweep "$cfg" --device cuda --gpu-handoff 0 \
    --output "$OUT/fault_alloc3.h5" | tee "$OUT/fault_alloc3.txt"
  slots() { grep -o 'streamed through [0-9]* device slots' "$1" | grep -o '[0-9]*' | head -1; }
  a=$(slots "$OUT/fault_none.txt"); b=$(slots "$OUT/fault_alloc3.txt")
  w=$(grep -c 'warning: out of device memory' "$OUT/fault_alloc3.txt")
  verdict=no; [ -n "$a" ] && [ -n "$b" ] && [ "$w" -ge 1 ] && [ "$b" -eq $((a / 2)) ] && verdict=yes
  echo "slots without the fault: ${a:-?}, with it: ${b:-?}; warnings: $w; warned and went on with half the slots: $verdict" |
    tee -a "$LOG"
  [ -f "$OUT/fault_none.h5" ] && [ -f "$OUT/fault_alloc3.h5" ] && compare_h5 "$OUT/fault_alloc3.h5" "$OUT/fault_none.h5"
fi
if want walltime; then
  # The per-cell wall-time budget on the GPU (issue 15, docs/reliability.md "A budget per
  # cell"): the ageing sweep with 100 cycles (far more work than the budget) and
  # "max_wall_time": S (IONFLUX_WALL_S, default 5): every cell ends time_limit (status 13)
  # with its outputs so far, and the run ends within about S + two launches of each cell's
  # start (the host reads the clock after each launch), not after the cycles
  s=${IONFLUX_WALL_S:-5}
  cfg="$OUT/walltime.json"
  sed -E -e "s/\"cycles\": [0-9]+/\"cycles\": 100/" -e "s/\"solver\": \{/\"solver\": {\"max_wall_time\": $s, /" \
    examples/sweep_ageing_okane2022.json > "$cfg"
  say "wall-time budget: 1,000 ageing cells x 100 cycles, max_wall_time $s s, --device cuda"
  t0=$(date +%s%N)
  run 90 "$B/ionflux" sweep "$cfg" --device cuda --gpu-handoff 0 --output "$OUT/walltime.h5"
  echo "wall $(( ($(date +%s%N) - t0) / 1000000 )) ms" | tee -a "$LOG"
  [ -f "$OUT/walltime.h5" ] && run 30 python3 - "$OUT/walltime.h5" <<'EOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
st, cnt, dev = f["cells/status"][()], f["cells/count"][()], f["cells/device"][()]
cut = st == 13
print(f"time_limit (13): {cut.sum()} of {len(st)} cells; statuses {dict(zip(*(v.tolist() for v in np.unique(st, return_counts=True))))}")
print(f"devices {dict(zip(*(v.tolist() for v in np.unique(dev, return_counts=True))))}; outputs kept per cut cell: "
      f"min {cnt[cut].min() if cut.any() else 0}, max {cnt[cut].max() if cut.any() else 0}")
msg = f["cells/message"][()]
if cut.any():
    m = msg[np.argmax(cut)]
    print("message of the first cut cell:", m.decode() if isinstance(m, bytes) else m)
EOF
fi
say "done"
