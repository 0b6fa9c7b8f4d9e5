#!/bin/sh
# The files of a multi-file test executable (tests/unit, tests/integration) are compiled as
# unity batches by scripts/test.sh (IONFLUX_UNITY_TESTS, tests/CMakeLists.txt): several files
# in one translation unit. Each file therefore keeps its definitions inside
#   namespace IONFLUX_TEST_FILE_ID { ... }  // unique per file in a unity batch
# (directly, or directly inside `namespace ionflux {`), so that a helper of one file is never
# redefined by, or silently chosen as an overload for, another file's. Outside it only
# preprocessor lines, comments, using-directives/declarations, namespace aliases and the
# `namespace ionflux {` lines may stand; the wrapper opens and closes outside any #if and
# holds no #include. Usage: check_test_file_ids.sh TESTS_DIR. Exit 1,
# listing file:line, where a file breaks the rule.
dir=${1:?usage: check_test_file_ids.sh TESTS_DIR}
status=0
for f in "$dir"/unit/*.cpp "$dir"/integration/*.cpp; do
  [ -e "$f" ] || continue
  case "$f" in */test_team.cpp) continue ;; esac  # compiled alone (its own flags)
  out=$(awk '
    /^#[ \t]*if/ { depth++ }
    /^#[ \t]*endif/ { depth-- }
    /^namespace IONFLUX_TEST_FILE_ID \{/ || /^\}  \/\/ namespace IONFLUX_TEST_FILE_ID/ {
      if (depth != 0) print FILENAME ":" FNR ": IONFLUX_TEST_FILE_ID opened or closed inside #if: " $0
    }
    /^namespace IONFLUX_TEST_FILE_ID \{/ { inside = 1; seen = 1; next }
    /^\}  \/\/ namespace IONFLUX_TEST_FILE_ID/ { inside = 0; next }
    inside && /^#[ \t]*include/ { print FILENAME ":" FNR ": #include inside namespace IONFLUX_TEST_FILE_ID: " $0 }
    inside { next }
    /^[ \t]*$/ || /^[ \t]*\/\// || /^#/ || /^namespace ionflux \{/ || /^\}  \/\/ namespace ionflux/ { next }
    /^using [^(]*;[ \t]*(\/\/.*)?$/ || /^namespace [A-Za-z_0-9]+ = [A-Za-z_0-9:]+;/ { next }
    { print FILENAME ":" FNR ": outside namespace IONFLUX_TEST_FILE_ID: " $0 }
    END { if (!seen) print FILENAME ": no namespace IONFLUX_TEST_FILE_ID { ... }" }
  ' "$f")
  if [ -n "$out" ]; then
    echo "$out" >&2
    status=1
  fi
done
[ $status -eq 0 ] && echo "check_test_file_ids: every unit/integration test file keeps its names in IONFLUX_TEST_FILE_ID"
exit $status
