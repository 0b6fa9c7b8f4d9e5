#!/usr/bin/env bash
# Per-set before/after on one machine, alternated, then "after" against PyBaMM in the same run
# (issue 14's per-set table). Usage: benchmarks/compare_sets.sh BEFORE_DIR AFTER_DIR [OUT_DIR]
# where each DIR holds a bench_dfn and a bench_sweep binary (copy them out of the build trees
# first). Pause other work on the machine while it runs (a few minutes): wall times are the
# numbers read. The table in benchmarks/RESULTS.md is written by hand from OUT_DIR/*.txt.
set -uo pipefail
before="$1"; after="$2"; out="${3:-compare_sets_out}"
mkdir -p "$out"
uptime | tee "$out/uptime_start.txt"
for s in Chen2020 Marquis2019 Prada2013 Mohtat2020 NCA_Kim2011 Ecker2015 Ai2020 OKane2022 ORegan2022; do
  case $s in Chen2020|Marquis2019|Prada2013|Mohtat2020|NCA_Kim2011) r=20;; Ecker2015|Ai2020) r=10;; *) r=3;; esac
  extra=""; [ "$s" = Mohtat2020 ] && extra="--soc 1"
  for round in 1 2; do
    "$before/bench_dfn" --set "$s" $extra --repeats $r --no-pybamm > "$out/before_${s}_$round.txt" 2>&1
    "$after/bench_dfn" --set "$s" $extra --repeats $r --no-pybamm > "$out/after_${s}_$round.txt" 2>&1
  done
  "$after/bench_dfn" --set "$s" $extra --repeats $r > "$out/peer_${s}.txt" 2>&1
  printf '%s: before %s / %s, after %s / %s ms; %s\n' "$s" \
    "$(grep -o 'median [0-9.]*' "$out/before_${s}_1.txt" | cut -d' ' -f2)" "$(grep -o 'median [0-9.]*' "$out/before_${s}_2.txt" | cut -d' ' -f2)" \
    "$(grep -o 'median [0-9.]*' "$out/after_${s}_1.txt" | cut -d' ' -f2)" "$(grep -o 'median [0-9.]*' "$out/after_${s}_2.txt" | cut -d' ' -f2)" \
    "$(grep -o 'PyBaMM IDAKLU.*median [0-9.]* ms\|Speed-up.*' "$out/peer_${s}.txt" | tr '\n' ' ')"
done
for round in 1 2; do
  OMP_NUM_THREADS=1 "$before/bench_sweep" --cells 200 --no-pybamm > "$out/sweep_before_$round.txt" 2>&1
  OMP_NUM_THREADS=1 "$after/bench_sweep" --cells 200 --no-pybamm > "$out/sweep_after_$round.txt" 2>&1
  echo "bench_sweep round $round: before $(grep -o '[0-9.]* cells/s' "$out/sweep_before_$round.txt"), after $(grep -o '[0-9.]* cells/s' "$out/sweep_after_$round.txt")"
done
uptime | tee "$out/uptime_end.txt"
