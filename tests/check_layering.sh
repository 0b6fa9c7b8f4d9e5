#!/bin/sh
# Layering check (docs/architecture.md): kernels/ holds device code and thin launchers
# only, so no file under kernels/ may include a header of the host library (solver/) or
# of the Python module (python/), by any path ("solver/x.hpp", "../../solver/x.hpp",
# <python/...>), and host code under solver/ includes from the repository root. Usage: check_layering.sh ROOT (the source tree). Exit 1, listing the
# offending lines, when one does; 0 otherwise.
root=${1:?usage: check_layering.sh SOURCE_ROOT}
if [ ! -d "$root/kernels" ]; then
  echo "check_layering: no kernels/ folder under '$root'" >&2
  exit 2
fi
bad=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^">]*/)?(solver|python)/' "$root/kernels")
if [ -n "$bad" ]; then
  echo "kernels/ must not include solver/ or python/ headers (docs/architecture.md, 'Layering rules'):" >&2
  echo "$bad" >&2
  exit 1
fi
# Host code includes from the repository root (docs/architecture.md, "Layout of solver/"):
# "solver/<role>/x.hpp" or "kernels/...", never a bare or "../" path.
if [ -d "$root/solver" ]; then
  bad=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$root/solver" | grep -vE '#[[:space:]]*include[[:space:]]*"(solver|kernels)/')
  if [ -n "$bad" ]; then
    echo "solver/ includes must be written from the repository root (\"solver/<role>/x.hpp\"):" >&2
    echo "$bad" >&2
    exit 1
  fi
fi
echo "check_layering: kernels/ includes no solver/ or python/ header; solver/ includes from the root"
