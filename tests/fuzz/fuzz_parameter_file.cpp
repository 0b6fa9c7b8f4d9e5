// Parameter files (solver/inputs/parameter_file.*): the JSON text through parse_parameter_file,
// then, when it parses, the set's validation and its cell parameters at 1 A.
#include "solver/inputs/parameter_file.hpp"
#include "tests/fuzz/fuzz_common.hpp"

IONFLUX_FUZZ_TARGET(parameter_file) {
  using namespace ionflux_fuzz;
  if (size > kMaxInput) return 0;
  return expect_documented([&] {
    const ionflux::ParameterSet p = ionflux::parse_parameter_file(text(data, size), "/nonexistent/fuzz.json");
    p.validate();
    (void)p.cell_params(1.0);
  });
}
