#!/usr/bin/env bash
# Do two builds give the same results? `ionflux simulate --period 10` for the nine shipped
# sets and two lumped thermal cases with each binary, then per case: byte for byte equal
# or not, and the largest voltage difference. Usage:
#   benchmarks/compare_csvs.sh IONFLUX_A IONFLUX_B [OUT_DIR]
set -euo pipefail
a="$1"; b="$2"; out="${3:-compare_csvs_out}"
mkdir -p "$out"
run() {  # name, then the simulate options
  local name="$1"; shift
  "$a" simulate "$@" --period 10 --quiet --output "$out/a_$name.csv"
  "$b" simulate "$@" --period 10 --quiet --output "$out/b_$name.csv"
  python3 - "$out/a_$name.csv" "$out/b_$name.csv" "$name" <<'PY'
import csv, sys
fa, fb, name = sys.argv[1:4]
ra, rb = list(csv.reader(open(fa))), list(csv.reader(open(fb)))
col = [i for i, h in enumerate(ra[0]) if h.lower().startswith("voltage")][0]
dv = max((abs(float(x[col]) - float(y[col])) for x, y in zip(ra[1:], rb[1:])), default=0.0)
same = open(fa, "rb").read() == open(fb, "rb").read()
print(f"{name}: rows {len(ra) - 1} / {len(rb) - 1}, byte for byte {same}, max |dV| {dv:.3g} V")
PY
}
for s in Chen2020 Marquis2019 Prada2013 Mohtat2020 NCA_Kim2011 Ecker2015 Ai2020 OKane2022 ORegan2022; do
  extra=(); [ "$s" = Mohtat2020 ] && extra=(--soc 1)
  run "$s" --parameters "$s" "${extra[@]}"
done
run Chen2020_lumped --parameters Chen2020 --thermal lumped
run Marquis2019_lumped --parameters Marquis2019 --thermal lumped
