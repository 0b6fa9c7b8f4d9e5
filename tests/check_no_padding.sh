#!/bin/sh
# The per-cell parameters (CellParams and what it holds) have no padding bytes: cells are
# compared byte for byte (solver/problem/sweep_plan.cpp, same_cell), and a padding hole
# holds whatever the stack held, so that two equal cells could compare unequal on one
# machine and equal on another. Usage: check_no_padding.sh CXX SOURCE_DIR
cxx="$1"; src="$2"
tu=$(mktemp --suffix=.cpp)
printf '#include "kernels/model/cell_params.hpp"\nionflux::CellParams ionflux_check_no_padding{};\n' > "$tu"
out=$("$cxx" -std=c++17 -I"$src" -Wpadded -fsyntax-only "$tu" 2>&1)
rm -f "$tu"
# (Drive and ModelOptions are not in CellParams: they may keep their holes)
bad=$(printf '%s\n' "$out" | grep -- '-Wpadded' | grep -v "Drive::\|ModelOptions::")
if [ -n "$bad" ]; then
  echo "padding in the per-cell parameters (an explicit member or a wider type: see FunctionId):"
  printf '%s\n' "$bad"
  exit 1
fi
echo "no padding in CellParams"
