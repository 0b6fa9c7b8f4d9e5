#!/bin/sh
# The CLI is its own target (docs/architecture.md): the library the Python module links
# (ionflux_core) must define none of the CLI's entry points, which live in ionflux_cli.
# Usage: check_no_cli_in_core.sh NM CORE_LIBRARY CLI_LIBRARY. Exit 1 when the core
# defines a CLI entry point, or when the CLI library does not (then the check itself
# would prove nothing: the symbol names below are stale).
nm=${1:?usage: check_no_cli_in_core.sh NM CORE_LIB CLI_LIB}
core=${2:?core library}
cli=${3:?cli library}
# the CLI's entry points (solver/cli/cli.hpp), demangled, as defined (T) symbols
pattern='^[0-9a-f]* T ionflux::(cli_main|run_sweep_command)\('
in_core=$("$nm" -C --defined-only "$core" 2>/dev/null | grep -E "$pattern")
in_cli=$("$nm" -C --defined-only "$cli" 2>/dev/null | grep -cE "$pattern")
if [ -n "$in_core" ]; then
  echo "ionflux_core ($core) defines CLI entry points; the CLI belongs in ionflux_cli:" >&2
  echo "$in_core" >&2
  exit 1
fi
if [ "$in_cli" -lt 3 ]; then
  echo "ionflux_cli ($cli) defines $in_cli of the 3 CLI entry points expected (cli_main x2, run_sweep_command): update this check" >&2
  exit 1
fi
echo "check_no_cli_in_core: ionflux_core defines no CLI entry point; ionflux_cli defines $in_cli"
