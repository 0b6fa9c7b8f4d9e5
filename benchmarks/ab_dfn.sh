#!/usr/bin/env bash
# One change's effect on one set: two bench_dfn binaries run in turn, ROUNDS times each,
# pinned to one core (taskset, where it exists; PIN_CORE, default 1), and the median of
# each binary's per-round medians. Usage:
#   benchmarks/ab_dfn.sh SET ROUNDS BENCH_DFN_A BENCH_DFN_B [REPEATS]
# (REPEATS: solves per round, default 20). Copy the binaries out of the build trees first.
set -euo pipefail
set_name="$1"; rounds="$2"; a="$3"; b="$4"; repeats="${5:-20}"
pin=""
command -v taskset >/dev/null && pin="taskset -c ${PIN_CORE:-1}"
extra=""; [ "$set_name" = Mohtat2020 ] && extra="--soc 1"  # its initial state is below the cut-off
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ra=(); rb=()
for _ in $(seq "$rounds"); do
  ra+=("$($pin "$a" --set "$set_name" $extra --repeats "$repeats" --no-pybamm | grep -o 'median [0-9.]*' | head -1 | cut -d' ' -f2)")
  rb+=("$($pin "$b" --set "$set_name" $extra --repeats "$repeats" --no-pybamm | grep -o 'median [0-9.]*' | head -1 | cut -d' ' -f2)")
done
echo "$set_name A: ${ra[*]} ms | median $(printf '%s\n' "${ra[@]}" | median)"
echo "$set_name B: ${rb[*]} ms | median $(printf '%s\n' "${rb[@]}" | median)"
