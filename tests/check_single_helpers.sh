#!/bin/sh
# Small text helpers are defined once, in solver/util/text.{hpp,cpp} (issue 12: `num()` was
# written out in five files). Usage: check_single_helpers.sh SOURCE_ROOT. Exit 1, listing
# the definitions, when one of the helpers below is defined anywhere else in the host code.
root=${1:?usage: check_single_helpers.sh SOURCE_ROOT}
status=0
for name in num shortest_num trim quoted_list; do
  defs=$(grep -rnE "^(static |inline )?std::string ${name}\(" "$root/solver" "$root/python/src" "$root/benchmarks" \
           --include='*.cpp' --include='*.hpp' --include='*.cu' | grep -v "solver/util/text\.\(cpp\|hpp\):")
  if [ -n "$defs" ]; then
    echo "$name() is defined outside solver/util/text.cpp (use the one in solver/util/text.hpp):" >&2
    echo "$defs" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "check_single_helpers: num, shortest_num, trim, quoted_list defined once (solver/util/text.cpp)"
exit $status
