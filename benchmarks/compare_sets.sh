#!/usr/bin/env bash
# Per-set before/after on one machine, alternated, then "after" against PyBaMM in the same run
# (issue 14's per-set table). Usage: benchmarks/compare_sets.sh BEFORE_DIR AFTER_DIR [OUT_DIR]
# where each DIR holds a bench_dfn and a bench_sweep binary (copy them out of the build trees
# first). Pause other work on the machine while it runs (a few minutes): wall times are the
# numbers read. The tables in benchmarks/LOG.md (and RESULTS.md) are written by hand from OUT_DIR/*.txt.
# Every run is pinned to one core (taskset, where it exists; PIN_CORE, default 1): on the
# 2-core VMs an unpinned process moved between cores and its medians of 20 solves varied by
# up to 15 % between runs; pinned, by about 1 %. PyBaMM runs in bench_dfn's child process
# on the same core.
set -uo pipefail
before="$1"; after="$2"; out="${3:-compare_sets_out}"
pin=""
command -v taskset >/dev/null && pin="taskset -c ${PIN_CORE:-1}"
mkdir -p "$out"
uptime | tee "$out/uptime_start.txt"
for s in Chen2020 Marquis2019 Prada2013 Mohtat2020 NCA_Kim2011 Ecker2015 Ai2020 OKane2022 ORegan2022; do
  case $s in Chen2020|Marquis2019|Prada2013|Mohtat2020|NCA_Kim2011) r=20;; Ecker2015|Ai2020) r=10;; *) r=3;; esac
  extra=""; [ "$s" = Mohtat2020 ] && extra="--soc 1"
  for round in 1 2; do
    $pin "$before/bench_dfn" --set "$s" $extra --repeats $r --no-pybamm > "$out/before_${s}_$round.txt" 2>&1
    $pin "$after/bench_dfn" --set "$s" $extra --repeats $r --no-pybamm > "$out/after_${s}_$round.txt" 2>&1
  done
  $pin "$after/bench_dfn" --set "$s" $extra --repeats $r > "$out/peer_${s}.txt" 2>&1
  printf '%s: before %s / %s, after %s / %s ms; %s\n' "$s" \
    "$(grep -o 'median [0-9.]*' "$out/before_${s}_1.txt" | cut -d' ' -f2)" "$(grep -o 'median [0-9.]*' "$out/before_${s}_2.txt" | cut -d' ' -f2)" \
    "$(grep -o 'median [0-9.]*' "$out/after_${s}_1.txt" | cut -d' ' -f2)" "$(grep -o 'median [0-9.]*' "$out/after_${s}_2.txt" | cut -d' ' -f2)" \
    "$(grep -o 'PyBaMM IDAKLU.*median [0-9.]* ms\|Speed-up.*' "$out/peer_${s}.txt" | tr '\n' ' ')"
done
for round in 1 2; do
  OMP_NUM_THREADS=1 $pin "$before/bench_sweep" --cells 200 --no-pybamm > "$out/sweep_before_$round.txt" 2>&1
  OMP_NUM_THREADS=1 $pin "$after/bench_sweep" --cells 200 --no-pybamm > "$out/sweep_after_$round.txt" 2>&1
  echo "bench_sweep round $round: before $(grep -o '[0-9.]* cells/s' "$out/sweep_before_$round.txt"), after $(grep -o '[0-9.]* cells/s' "$out/sweep_after_$round.txt")"
done
uptime | tee "$out/uptime_end.txt"
